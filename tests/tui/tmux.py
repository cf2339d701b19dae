"""A console in a real terminal: tmux runs it, tests type into it and read the pane."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from omnitui.config import Settings
from omnitui.tui.demo import build_demo

LAUNCH = ("import sys; from pathlib import Path; from omnitui.config import load_settings; "
          "from omnitui.tui.app import run_console; "
          "run_console(load_settings(Path(sys.argv[1])), sys.argv[2])")


def console_command(config: Path, agent: str = "anna") -> str:
    """The console as an agent starts it (with the embedded hub when none runs)."""
    return f"{sys.executable} -c \"{LAUNCH}\" {config} {agent}"


class Tmux:
    """One tmux server holding one console; `user`: run as that Unix user (root only), with
    `env` as the console's environment."""

    def __init__(self, name: str | None = None, *, user: str | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        self.name = name or f"omnitui-test-{uuid.uuid4().hex[:8]}"
        self.user = user
        self.env = dict(env or {})

    def run(self, *args: str) -> str:
        argv = ["tmux", "-L", self.name, *args]
        if self.user is not None:
            from tests.unix_users import run_as

            done = run_as(self.user, argv, env=self.env, timeout=30)
            assert done.returncode == 0, done.stderr
            return done.stdout
        return subprocess.run(argv, check=True, text=True, capture_output=True,
                              timeout=30).stdout

    def start(self, command: str, *, width: int = 80, height: int = 24) -> None:
        self.run("new-session", "-d", "-s", "console", "-x", str(width), "-y", str(height),
                 "-e", "TERM=xterm-256color", command)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "console", *keys)

    def type(self, text: str) -> None:
        """Literal text in one burst, as fast as tmux writes it."""
        self.run("send-keys", "-t", "console", "-l", text)

    def pane(self) -> str:
        return self.run("capture-pane", "-p", "-t", "console")

    def wait(self, text: str, timeout: float = 30.0) -> str:
        """`wait_for` for tests that are not coroutines."""
        deadline = time.monotonic() + timeout
        while True:
            pane = self.pane()
            if text in pane:
                return pane
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the pane was:\n{pane}")
            time.sleep(0.1)

    async def wait_for(self, text: str, timeout: float = 15.0) -> str:
        """`wait`, without blocking the test's event loop (servers may run on it)."""
        return await asyncio.to_thread(self.wait, text, timeout)

    def kill(self) -> None:
        """Close the terminal at once, as a dropped SSH connection does."""
        with contextlib.suppress(AssertionError, subprocess.SubprocessError):
            self.run("kill-server")


@contextmanager
def cpu_burner() -> Iterator[subprocess.Popen[bytes]]:
    """A neighbour process that keeps one core busy (load ≈ 1) for as long as it is open."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"],
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(5)


async def demo_console_with_hub(tmux: Tmux, root: Path) -> tuple[Settings, str]:
    """The demo shop's console in `tmux` at 100×30 with its embedded hub, once the default view
    is painted and the hub's chat socket is open; the settings and the first pane."""
    settings = build_demo(root)
    assert settings.path is not None
    tmux.start(console_command(settings.path), width=100, height=30)
    pane = await tmux.wait_for("Inbox: Needs reply", timeout=20)
    socket = settings.data_dir / "chat.sock"
    deadline = time.monotonic() + 15
    while not socket.exists():
        assert time.monotonic() < deadline, "the embedded hub never opened the chat socket"
        await asyncio.sleep(0.05)
    return settings, pane
