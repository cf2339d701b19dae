"""The reply line follows the chat visitor: kept between messages, read again when they go."""

from __future__ import annotations

import asyncio

from omnitui.channels.base import Inbound
from omnitui.core.chat_presence import set_online
from omnitui.core.ingest import ingest
from omnitui.tui.app import OmniConsole

from .helpers import EMMA, KASIA, open_conv
from .screen_text import screen_text


async def test_the_reply_line_says_when_the_chat_visitor_comes_and_goes(
        console: OmniConsole) -> None:
    """The reply's target is read again when a visitor connects or leaves, with nothing else
    new in the conversation (it is otherwise kept between messages)."""
    async with console.run_test(size=(100, 30)) as pilot:
        await open_conv(pilot, KASIA)
        await pilot.pause()
        assert "(chat), offline" in screen_text(console)
        set_online(console.store, "chat", "visitor-kasia", True)
        for _ in range(300):
            await asyncio.sleep(0.05)
            if "(chat), offline" not in screen_text(console):
                break
        assert "(chat)" in screen_text(console)
        assert "(chat), offline" not in screen_text(console)
        set_online(console.store, "chat", "visitor-kasia", False)
        for _ in range(300):
            await asyncio.sleep(0.05)
            if "(chat), offline" in screen_text(console):
                break
        assert "(chat), offline" in screen_text(console)


async def test_the_reply_line_follows_the_customer_to_another_identity(
        console: OmniConsole) -> None:
    """Kept while she writes from the same identity; read again when she writes from another."""
    async with console.run_test(size=(100, 30)) as pilot:
        await open_conv(pilot, EMMA)
        await pilot.pause()
        assert "to Telegram Emma Johnson (bot)" in screen_text(console)
        ingest(console.store, Inbound(channel="mail", kind="email", external_id="<late@x>",
                                      address="emma.johnson@example.com",
                                      subject="Re: lamp", text="By email now"))
        for _ in range(300):
            await asyncio.sleep(0.05)
            if "to email emma.johnson@example.com (mail)" in screen_text(console):
                break
        assert "to email emma.johnson@example.com (mail)" in screen_text(console)
