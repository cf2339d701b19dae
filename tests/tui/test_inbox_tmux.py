"""The real console in tmux with its embedded hub, sitting on the default view: a chat customer
writes through the socket and the row, the header's count and the notice appear with no key
pressed; space then opens that conversation."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from pathlib import Path

import pytest

from omnitui.channels.chat.client import ChatClient
from omnitui.tui.demo import build_demo

from .tmux import Tmux, console_command

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


@pytest.fixture
def tmux():  # type: ignore[no-untyped-def]
    t = Tmux()
    yield t
    t.kill()


def _needs_reply(pane: str) -> int:
    found = re.search(r"Needs reply (\d+)", pane)
    assert found, pane
    return int(found.group(1))


async def test_customer_appears_on_the_default_view_without_a_key(tmux: Tmux,
                                                                   tmp_path: Path) -> None:
    settings = build_demo(tmp_path / "shop")
    assert settings.path is not None
    tmux.start(console_command(settings.path), width=100, height=30)
    pane = await tmux.wait_for("Inbox: Needs reply", timeout=20)
    before = _needs_reply(pane)
    socket = settings.data_dir / "chat.sock"
    deadline = time.monotonic() + 15
    while not socket.exists():
        assert time.monotonic() < deadline, "the embedded hub never opened the chat socket"
        await asyncio.sleep(0.05)
    client = await ChatClient.connect(socket)
    try:
        await client.hello("visitor-lead", name="Vera Waiting")
        await client.send("Is my parcel on its way?")
        pane = await tmux.wait_for("Vera Waiting")  # the row, no key pressed
        await tmux.wait_for("New conversation")  # the notice (its text may wrap)
        pane = tmux.pane()
        assert _needs_reply(pane) == before + 1
        row = next(line for line in pane.splitlines() if "Vera Waiting" in line)
        assert "waiting" in row or "left" in row or "overdue" in row
        tmux.keys("g")  # to the top, then space: the most urgent one opens
        tmux.keys("Space")
        await tmux.wait_for("r reply to")
    finally:
        await client.close()
