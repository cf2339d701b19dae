"""A file the user may not use, said in one sentence: which file, its owner and mode, what to run.

On a shared server the usual causes are a user outside the agents' group, and a file in the data
dir left with the wrong owner or mode (by an older version, or by hand). The sentence names the
first path on the way that stops this user, because "Permission denied: config.toml" inside a
folder one may not enter points at the wrong thing.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path

from omnitui.store.data_files import is_group_shared

DATA_FILES = ("omnitui.db", "omnitui.db-wal", "omnitui.db-shm", "hub.log", "hub.lock")


def permission_sentence(filename: str | os.PathLike[str] | None,
                        data_dir: Path | None = None) -> str:
    """One sentence for a PermissionError on `filename` (data_dir helps name the repair)."""
    if filename is None:
        return "Permission denied; run the command as a user who may use omnitui's files."
    culprit, verb = _blocking_path(Path(filename))
    return _sentence(culprit, verb, data_dir)


def data_dir_problem(data_dir: Path, *, hub: bool = False) -> str | None:
    """The first file of the data dir this user cannot use (read and write), as one sentence.

    `hub`: also hub.log and hub.lock, which only the hub writes."""
    if not data_dir.exists():
        return None
    culprit, verb = _blocking_path(data_dir)
    if culprit != data_dir or not os.access(data_dir, os.R_OK | os.W_OK | os.X_OK):
        return _sentence(culprit, verb, data_dir)
    names = DATA_FILES if hub else DATA_FILES[:3]
    for name in names:
        path = data_dir / name
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            return _sentence(path, "write", data_dir)
    return None


def _blocking_path(path: Path) -> tuple[Path, str]:
    """The first folder on the way this user may not enter, else the path (or its folder, when
    it does not exist yet) and what this user may not do with it."""
    path = Path(os.path.abspath(path))
    for folder in [*reversed(path.parents), path]:
        if folder.is_dir() and not os.access(folder, os.X_OK):
            return folder, "enter"
    if not path.exists():
        return path.parent, "write in"
    if path.is_dir():
        return path, "write in"
    return path, "write" if os.access(path, os.R_OK) else "read"


def _sentence(path: Path, verb: str, data_dir: Path | None) -> str:
    try:
        st = path.stat()
    except OSError:
        return f"Cannot {verb} {path}: permission denied; ask the server's admin for access."
    owner, group, mode = _user_name(st.st_uid), _group_name(st.st_gid), stat.S_IMODE(st.st_mode)
    where = f"Cannot {verb} {describe(path)}"
    me = _user_name(os.geteuid())
    in_group = st.st_gid in os.getgroups() or st.st_gid == os.getegid()
    if not in_group and st.st_uid != os.geteuid() and mode & 0o070:
        return (f"{where}: you ({me}) are not in the group {group}; an admin adds you with "
                f"'usermod -aG {group} {me}', then log in again.")
    shared = _shared_data_dir(path, data_dir)
    if shared is not None:
        shared_group = _group_name(shared.stat().st_gid)
        return (f"{where}: run 'omnitui init --shared-group {shared_group}' as root or as "
                f"{_user_name(shared.stat().st_uid)} to repair the data dir's permissions.")
    return f"{where}: run the command as {owner}, or ask the server's admin for access."


def describe(path: Path) -> str:
    """`/var/lib/omnitui/data/hub.log (owner ann, group omnitui-agents, mode 0644)`."""
    try:
        st = path.lstat()
    except OSError:
        return str(path)
    return (f"{path} (owner {_user_name(st.st_uid)}, group {_group_name(st.st_gid)}, "
            f"mode {stat.S_IMODE(st.st_mode):04o})")


def _shared_data_dir(path: Path, data_dir: Path | None) -> Path | None:
    """The group-shared data dir `path` lies in, if any."""
    candidates = [data_dir] if data_dir is not None else [path, *path.parents]
    for candidate in candidates:
        if candidate is None:
            continue
        inside = path == candidate or candidate in path.parents
        if inside and is_group_shared(candidate):
            return candidate
    return None


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)
