"""End to end: the real console in tmux with its embedded hub; a chat customer writes through
the socket, the text shows up in the pane, keys send a reply, the customer's client gets it."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from omnitui.channels.chat.client import ChatClient
from omnitui.tui.demo import build_demo

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

LAUNCH = ("import sys; from pathlib import Path; from omnitui.config import load_settings; "
          "from omnitui.tui.app import run_console; "
          "run_console(load_settings(Path(sys.argv[1])), 'anna')")


class Tmux:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.name, *args], check=True, text=True,
                              capture_output=True, timeout=10).stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "console", *keys)

    def type(self, text: str) -> None:
        self.run("send-keys", "-t", "console", "-l", text)

    def pane(self) -> str:
        return self.run("capture-pane", "-p", "-t", "console")

    async def wait_for(self, text: str, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            pane = self.pane()
            if text in pane:
                return pane
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the pane was:\n{pane}")
            await asyncio.sleep(0.05)


@pytest.fixture
def tmux(tmp_path: Path):  # type: ignore[no-untyped-def]
    t = Tmux(f"omnitui-test-{uuid.uuid4().hex[:8]}")
    yield t
    subprocess.run(["tmux", "-L", t.name, "kill-server"], capture_output=True, timeout=10)


async def test_chat_customer_and_agent_in_real_terminal(tmux: Tmux, tmp_path: Path) -> None:
    settings = build_demo(tmp_path / "shop")
    assert settings.path is not None
    command = f"{sys.executable} -c \"{LAUNCH}\" {settings.path}"
    tmux.run("new-session", "-d", "-s", "console", "-x", "100", "-y", "30",
             "-e", "TERM=xterm-256color", command)
    await tmux.wait_for("Inbox: Mine", timeout=20)
    socket = settings.data_dir / "chat.sock"
    deadline = time.monotonic() + 15
    while not socket.exists():
        assert time.monotonic() < deadline, "the embedded hub never opened the chat socket"
        await asyncio.sleep(0.05)

    client = await ChatClient.connect(socket)
    try:
        await client.hello("visitor-e2e", name="Eve Tester")
        await client.send("Hello from the e2e test, order 4711")
        tmux.keys("3")
        await tmux.wait_for("Eve Tester")
        tmux.keys("/")
        await tmux.wait_for("Search messages")
        tmux.type("4711")
        await tmux.wait_for("Hello from the e2e test")
        tmux.keys("Enter")
        await tmux.wait_for("r reply to")
        tmux.keys("r")  # and type at once: keys typed ahead of the box opening land in it
        tmux.type("Hi Eve, order 4711 ships today")
        tmux.keys("C-j")
        reply = None
        try:
            async with asyncio.timeout(15):
                async for item in client.messages():
                    if item.get("type") == "message":
                        reply = item
                        break
        except TimeoutError:
            raise AssertionError("no reply reached the client; pane:\n" + tmux.pane()) from None
        assert reply is not None and reply["text"] == "Hi Eve, order 4711 ships today"
        await tmux.wait_for("Hi Eve, order 4711 ships today")
    finally:
        await client.close()
