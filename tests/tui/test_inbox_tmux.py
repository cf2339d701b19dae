"""The real console in tmux with its embedded hub, sitting on the default view: a chat customer
writes through the socket and the row, the header's count and the notice appear with no key
pressed; space then opens that conversation."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from omnitui.channels.chat.client import ChatClient

from .tmux import Tmux, demo_console_with_hub

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")




def _needs_reply(pane: str) -> int:
    found = re.search(r"Needs reply (\d+)", pane)
    assert found, pane
    return int(found.group(1))


async def test_customer_appears_on_the_default_view_without_a_key(tmux: Tmux,
                                                                   tmp_path: Path) -> None:
    settings, pane = await demo_console_with_hub(tmux, tmp_path / "shop")
    before = _needs_reply(pane)
    socket = settings.data_dir / "chat.sock"
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
