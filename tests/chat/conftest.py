"""Fixtures for the chat channel: a real hub (in this process or a child), a real Unix socket in
a short temp dir, a real SQLite store.

Why a short dir under /tmp and not `tmp_path`: a Unix socket path must fit in 107 bytes, and
pytest's per-test paths grow with the test's name.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from omnitui.config import Settings, parse_settings
from omnitui.hub import serve
from omnitui.store.db import Store


def make_settings(root: Path, hours: dict[str, str] | None = None, **chat: Any) -> Settings:
    raw: dict[str, Any] = {"omnitui": {"data_dir": str(root), "timezone": "UTC"},
                           "channels": {"chat": {"kind": "chat", **chat}}}
    if hours is not None:
        raw["hours"] = hours
    return parse_settings(raw, None)


@pytest.fixture
def short_dir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="oc-", dir="/tmp"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@dataclass
class InProcessHub:
    """`omnitui.hub.serve` as a task of the test's event loop."""

    settings: Settings
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    @property
    def socket(self) -> Path:
        return self.settings.channel_path("chat.sock")

    async def start(self) -> InProcessHub:
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(serve(self.settings, install_signals=False,
                                              stop=self.stop))
        await wait_for_socket(self.socket, self.task)
        return self

    async def close(self) -> None:
        self.stop.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)
            self.task = None


async def wait_for_socket(path: Path, task: asyncio.Task[None] | None = None,
                          timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if task is not None and task.done():
            task.result()
            raise AssertionError("the hub stopped before its socket appeared")
        if path.exists():
            try:
                _, writer = await asyncio.open_unix_connection(str(path))
            except OSError:
                pass
            else:
                writer.close()
                return
        await asyncio.sleep(0.02)
    raise AssertionError(f"no chat socket at {path} after {timeout} s")


@pytest.fixture
async def hub(short_dir: Path) -> AsyncIterator[InProcessHub]:
    running = await InProcessHub(make_settings(short_dir)).start()
    yield running
    await running.close()


QUICK_UNDO_WINDOW = 0.4  # seconds; the shipped window (core.undo.UNDO_WINDOW) is 10


@pytest.fixture
async def quick_undo_hub(short_dir: Path,
                         monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[InProcessHub]:
    """A hub whose undo window is short, so that resolve's rating request leaves quickly."""
    monkeypatch.setattr("omnitui.core.undo.UNDO_WINDOW", QUICK_UNDO_WINDOW)
    running = await InProcessHub(make_settings(short_dir)).start()
    yield running
    await running.close()


@pytest.fixture
def db(hub: InProcessHub) -> Iterator[Store]:
    """The test's own connection to the hub's database, for checking what was stored."""
    store = Store.open(hub.settings.database)
    yield store
    store.close()


HUB_SCRIPT = """
import asyncio, sys
from omnitui.config import parse_settings
from omnitui.hub import serve, setup_logging
raw = {"omnitui": {"data_dir": sys.argv[1], "timezone": "UTC"},
       "channels": {"chat": {"kind": "chat", "rate_limit": int(sys.argv[2])}}}
settings = parse_settings(raw, None)
setup_logging(settings, to_stderr=False)
asyncio.run(serve(settings))
"""


class ChildProcess:
    """A hub run as a child process (`proc`): stopped politely, or killed mid-write."""

    proc: subprocess.Popen[bytes] | None = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
        self.kill()
        return self.proc.returncode


class HubProcess(ChildProcess):
    """A hub in a child process, so it can be killed with SIGKILL mid-write."""

    def __init__(self, root: Path, rate_limit: int = 1000) -> None:
        self.root = root
        self.rate_limit = rate_limit
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> Path:
        return self.root / "chat.sock"

    async def start(self) -> HubProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HUB_SCRIPT, str(self.root), str(self.rate_limit)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise AssertionError(f"hub exited {self.proc.returncode}: {err}")
            if self.socket.exists() and _connects(self.socket):
                return self
            await asyncio.sleep(0.05)
        raise AssertionError("hub subprocess did not open its socket")



def _connects(path: Path) -> bool:
    import socket

    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        probe.close()
