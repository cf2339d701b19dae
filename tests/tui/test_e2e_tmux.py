"""End to end: the real console in tmux with its embedded hub; a chat customer writes through
the socket, the text shows up in the pane, keys send a reply, the customer's client gets it."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from omnitui.channels.chat.client import ChatClient

from .tmux import Tmux, demo_console_with_hub

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")



async def test_chat_customer_and_agent_in_real_terminal(tmux: Tmux, tmp_path: Path) -> None:
    settings, _pane = await demo_console_with_hub(tmux, tmp_path / "shop")
    socket = settings.data_dir / "chat.sock"

    client = await ChatClient.connect(socket)
    try:
        await client.hello("visitor-e2e", name="Eve Tester")
        await client.send("Hello from the e2e test, order 4711")
        await tmux.wait_for("Eve Tester")  # a new chat waits: it is on the default view
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
