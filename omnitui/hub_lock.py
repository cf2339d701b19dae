"""One hub per data dir: an exclusive flock on data_dir/hub.lock that dies with the process."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from omnitui.store.data_files import DataDirAccess


class HubRunning(Exception):
    """Another process already runs the hub for this data dir."""


@dataclass(frozen=True, slots=True)
class HubInfo:
    pid: int
    started_at: float
    embedded: bool


class HubLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, *, embedded: bool = False) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            DataDirAccess.of(self.path.parent).settle_fd(fd)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            info = read_info(self.path)
            who = f"process {info.pid}" if info else "another process"
            raise HubRunning(f"A hub is already running for this data dir ({who} holds "
                             f"{self.path}).") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "started_at": time.time(),
                                 "embedded": embedded}).encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def read_info(path: Path) -> HubInfo | None:
    try:
        data = json.loads(path.read_text() or "{}")
        return HubInfo(int(data["pid"]), float(data["started_at"]), bool(data.get("embedded")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_hub(path: Path) -> HubInfo | None:
    """The hub holding the lock, or None when no hub runs (the lock is free)."""
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return read_info(path) or HubInfo(0, 0.0, False)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def hub_last_seen(lock_path: Path, log_path: Path) -> float | None:
    """When a hub last showed a sign of life: its last log line or its lock, else None.

    A hub logs as it stops (and as long as it works), so for a hub that is gone this is when
    it stopped, or near enough when it crashed."""
    times = []
    for path in (lock_path, log_path):
        with contextlib.suppress(OSError):
            times.append(path.stat().st_mtime)
    return max(times) if times else None
