"""`C` typed fast in a real terminal: the dialog, the recipient, the message and the send key
all typed before anything is drawn, and nothing is lost. A chat visitor online gets the message
through the console's embedded hub."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from omnitui.channels.chat.client import ChatClient
from omnitui.store.db import Store

from .tmux import Tmux, demo_console_with_hub

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


async def test_c_typed_ahead_starts_a_chat_conversation(tmux: Tmux, tmp_path: Path) -> None:
    settings, _pane = await demo_console_with_hub(tmux, tmp_path / "shop")
    client = await ChatClient.connect(settings.data_dir / "chat.sock")
    try:
        await client.hello("visitor-vera", name="Vera Online")
        await client.send("Just browsing, thanks")
        await tmux.wait_for("Vera Online")  # she is a customer now, and online
        # One burst: the key, her name, enter, the message, the send key.
        tmux.keys("C")
        tmux.type("Vera Online")
        tmux.keys("Enter")
        tmux.type("Can I help you find a size?")
        tmux.keys("C-j")
        pushed = await asyncio.wait_for(anext(client.messages()), 20)
        assert pushed["type"] == "message"
        assert pushed["text"] == "Can I help you find a size?"
        await tmux.wait_for("r reply to website chat Vera Online (chat)", timeout=20)
    finally:
        await client.close()
    store = Store.open(settings.database, migrate=False)
    try:
        started = store.conn.execute(
            "SELECT c.channel, a.username FROM conversation c JOIN agent a ON "
            "a.id = c.started_by").fetchall()
        assert [tuple(r) for r in started] == [("chat", "anna")]
    finally:
        store.close()
