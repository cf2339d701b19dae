"""The chat channel's Unix socket: bound so that it is never reachable with looser permissions.

Kept apart from the server so the channel's file stays one idea (connections and requests).
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
from pathlib import Path

from omnitui.channels.base import ConfigError

BACKLOG = 1024  # 500 clients connecting at once must not see ECONNREFUSED/EAGAIN
MAX_UNIX_PATH = 107  # sun_path holds 108 bytes including the terminating NUL


def bind_unix(path: Path) -> socket.socket:
    """Bind under a temporary name, set mode 0660, then rename over the final path: no
    moment exists where the socket is reachable with looser permissions, and a stale file
    left by a killed hub is replaced atomically. A socket someone still answers on is left
    alone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if len(os.fsencode(path)) > MAX_UNIX_PATH:
        raise ConfigError(f"The chat socket path {path} is longer than the {MAX_UNIX_PATH} "
                          "bytes a Unix socket allows; set a shorter 'socket'.")
    if path.exists() or path.is_symlink():
        if not stat.S_ISSOCK(path.lstat().st_mode):
            raise ConfigError(f"{path} exists and is not a socket; not replacing it.")
        if answers(path):
            raise ConfigError(f"Another process is serving the chat socket {path}.")
    tmp = path.parent / f".{path.name}.{os.getpid()}"
    if len(os.fsencode(tmp)) > MAX_UNIX_PATH:
        tmp = path.parent / f".c{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(tmp))
        os.chmod(tmp, 0o660)
        sock.listen(BACKLOG)
        os.replace(tmp, path)
    except BaseException:
        sock.close()
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return sock


def answers(path: Path) -> bool:
    """Whether a live process accepts connections on this Unix socket path."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(0.5)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    else:
        return True
    finally:
        probe.close()
