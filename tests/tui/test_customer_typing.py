"""The customer's typing (a `customer_typing` event from the chat hub) shows above the reply box
of the conversation's consoles, and fades when no further sign comes."""

from __future__ import annotations

import time

from omnitui.hub_context import _customer_typing
from omnitui.tui.app import OmniConsole
from omnitui.tui.screens.conversation import CUSTOMER_TYPING_SHOWN

from .helpers import KASIA, open_conv
from .screen_text import screen_text


async def test_customer_typing_shows_and_fades(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, KASIA)
        await pilot.pause(0.6)  # (opening marks the conversation read a moment later)
        reads = console.store.conn.execute(
            "SELECT count(*) FROM event WHERE kind = 'read'").fetchone()[0]
        assert _customer_typing(console.store, "chat", "chat", "visitor-kasia")
        await pilot.pause(0.3)
        assert "customer typing…" in screen_text(console)
        started = time.monotonic()
        while "customer typing…" in screen_text(console):
            assert time.monotonic() - started < CUSTOMER_TYPING_SHOWN + 1.5
            await pilot.pause(0.2)
        assert console.store.conn.execute(  # a sign of typing is not a new message to read
            "SELECT count(*) FROM event WHERE kind = 'read'").fetchone()[0] == reads
