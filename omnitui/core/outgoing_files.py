"""Files an agent attaches to a reply: checked and read before anything is stored.

A reply with a file that cannot go (missing, unreadable, a folder, a name a mail client or a
phone would mangle, too large for the channel it leaves on) is refused in one sentence before
its message, attachment rows or blobs exist: nothing half-stored, nothing sent.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from omnitui.core.errors import ActionError
from omnitui.core.sanitize import clean_line

MB = 1000 * 1000
TELEGRAM_MAX = 50 * MB  # the Bot API's upload limit for sendDocument
EMAIL_MAX = 20 * MB  # the usual provider limit once base64 is counted; `attachment_max`
CHAT_MAX = 10 * MB  # chat's `web_upload_max` default
KIND_DEFAULTS = {"telegram": TELEGRAM_MAX, "email": EMAIL_MAX, "chat": CHAT_MAX}


@dataclass(frozen=True, slots=True)
class FileLimits:
    """The largest file each channel sends, by channel name; a channel not named uses its
    kind's default."""

    by_channel: Mapping[str, int] = field(default_factory=dict)
    kinds: Mapping[str, str] = field(default_factory=dict)  # channel name → kind

    @property
    def largest(self) -> int:
        return max([*self.by_channel.values(), *KIND_DEFAULTS.values()])

    def limit(self, channel: str, kind: str) -> int:
        if channel in self.by_channel:
            return self.by_channel[channel]
        return KIND_DEFAULTS.get(self.kinds.get(channel, kind), TELEGRAM_MAX)

    def checker(self, files: list[OutgoingFile]) -> Callable[[str, str], None]:
        """`check` for these files, once the reply's channel is known."""
        return lambda channel, kind: self.check(channel, kind, files)

    def check(self, channel: str, kind: str, files: list[OutgoingFile]) -> None:
        """ActionError naming the first file too large to leave on `channel`."""
        limit = self.limit(channel, kind)
        for file in files:
            if file.size > limit:
                raise ActionError(
                    f"{file.filename} is {_mb(file.size)}; a file sent by {kind} on "
                    f"{channel.lstrip('@')} can be at most {_mb(limit)}.")


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    """An attachment read from the agent's disk, not stored yet."""

    filename: str
    content_type: str
    size: int
    sha256: str
    data: bytes


def read_all(paths: Sequence[Path], attachments_dir: Path | None,
             limits: FileLimits) -> list[OutgoingFile]:
    """Every file of one message checked and read, before its transaction begins."""
    files = [read_outgoing(path, ceiling=limits.largest) for path in paths]
    if files and attachments_dir is None:
        raise ActionError("Attachments need a data directory to be stored in.")
    return files


def read_outgoing(path: Path | str, *, ceiling: int) -> OutgoingFile:
    """Check one file an agent attaches and read it; one sentence when it cannot be sent."""
    path = Path(path).expanduser()
    name = path.name
    check_name(name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ActionError(f"Cannot attach {_shown(path)}: there is no such file.") from None
    except IsADirectoryError:
        raise ActionError(f"Cannot attach {_shown(path)}: it is a folder, not a file.") from None
    except OSError as exc:
        raise ActionError(f"Cannot attach {_shown(path)}: {exc.strerror or exc}.") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise ActionError(f"Cannot attach {_shown(path)}: it is {what}"
                          + (", not a file." if what == "a folder" else "."))
    with os.fdopen(fd, "rb") as fh:
        if st.st_size > ceiling:
            raise ActionError(f"{name} is {_mb(st.st_size)}; no channel sends a file over "
                              f"{_mb(ceiling)}.")
        try:
            data = fh.read(ceiling + 1)
        except OSError as exc:
            raise ActionError(f"Cannot attach {_shown(path)}: {exc.strerror or exc}.") from None
    if len(data) > ceiling:
        raise ActionError(f"{name} grew past {_mb(ceiling)} while it was read.")
    if not data:
        raise ActionError(f"Cannot attach {_shown(path)}: the file is empty.")
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return OutgoingFile(name, content_type, len(data), hashlib.sha256(data).hexdigest(), data)


def check_name(name: str) -> None:
    """A name the customer's side would receive as it is: no path separators, no control
    characters, not `.` or `..`, not empty."""
    if not name or name in (".", ".."):
        raise ActionError("Cannot attach a file without a name.")
    if "/" in name or "\\" in name:
        raise ActionError(f"Cannot attach {_shown(name)}: a file name cannot hold / or \\.")
    if clean_line(name) != name or "\x7f" in name:
        raise ActionError(f"Cannot attach {_shown(name)}: its name holds control characters; "
                          "rename it first.")


def _shown(path: Path | str) -> str:
    """A path for a sentence: control characters removed (they never reach a terminal)."""
    return clean_line(str(path)) or "the file"


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB" if size >= MB else f"{size:,} bytes"
