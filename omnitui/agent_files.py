"""Each agent's files folder, and what may be sent where: settings turned into core's terms.

On a shared server the folder is `/var/lib/omnitui-files/<agent>/files` (README: Files over
SFTP). sshd confines the agent's SFTP login to `/var/lib/omnitui-files/<agent>` with
`ChrootDirectory`, which must be owned by root and writable by nobody else, every component of
its path; the `files` folder inside it is the agent's own (mode 0700: customers' files). Only
root can make that, so `init --shared-group` and `agent add`, run as root, do.
"""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

from omnitui.config import ChatSettings, EmailSettings, Settings, parse_size
from omnitui.core.outgoing_files import FileLimits
from omnitui.install import is_shared_install

CHROOT_MODE = 0o755
FOLDER_MODE = 0o700


def files_folder(settings: Settings, agent: str) -> Path:
    """Where `agent` saves files and picks files to attach."""
    return settings.files.folder(agent, shared=is_shared_install(settings))


def file_limits(settings: Settings) -> FileLimits:
    """The largest file each configured channel sends (Telegram's is the Bot API's 50 MB)."""
    limits: dict[str, int] = {}
    for name, ch in settings.channels.items():
        if isinstance(ch, EmailSettings):
            limits[name] = parse_size(ch.attachment_max)
        elif isinstance(ch, ChatSettings):
            limits[name] = ch.web_upload_bytes
    return FileLimits(limits, {name: ch.kind for name, ch in settings.channels.items()})


def prepare_sftp_folder(settings: Settings, agent: str) -> str:
    """As root: the agent's files folder and, above it, the root-owned folder sshd chroots
    the agent's SFTP login to. Returns one sentence saying what was done."""
    if os.geteuid() != 0:
        return "Files folders are made by root; run 'omnitui init --shared-group' as root."
    try:
        user = pwd.getpwnam(agent)
    except KeyError:
        return f"{agent} has no Unix account here, so no files folder was made for them."
    folder = files_folder(settings, agent)
    chroot = folder.parent
    if chroot.name != agent:
        _make_owned(folder, user)  # not the README's layout: no chroot to prepare
        return f"{agent}'s files folder is {folder}."
    for directory in reversed([chroot, *chroot.parents]):
        if not directory.exists():
            directory.mkdir()
        st = directory.lstat()
        if directory in (chroot, chroot.parent) and (st.st_uid != 0 or st.st_mode & 0o022):
            os.chown(directory, 0, 0)
            os.chmod(directory, CHROOT_MODE)
    _make_owned(folder, user)
    return f"{agent}'s files folder is {folder} (SFTP: files/)."


def _make_owned(folder: Path, user: pwd.struct_passwd) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    st = folder.lstat()
    if stat.S_ISLNK(st.st_mode):
        raise OSError(f"{folder} is a symbolic link; remove it and run this again")
    if st.st_uid != user.pw_uid or st.st_gid != user.pw_gid:
        os.chown(folder, user.pw_uid, user.pw_gid, follow_symlinks=False)
    if stat.S_IMODE(st.st_mode) != FOLDER_MODE:
        os.chmod(folder, FOLDER_MODE)
