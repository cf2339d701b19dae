"""A new message restyles only its own lines: the timeline's moved lines are kept, styled."""

from __future__ import annotations

import asyncio

from textual.geometry import Region

from omnitui.channels.base import Inbound
from omnitui.core.ingest import ingest, ingest_batch
from omnitui.tui.app import OmniConsole

from .helpers import KASIA, open_conv


async def test_a_new_message_keeps_the_styled_lines_it_scrolls_up(console: OmniConsole) -> None:
    ingest_batch(console.store, [
        Inbound(channel="chat", kind="chat", external_id=f"fill-{n}", address="visitor-kasia",
                text=f"line {n} of a long chat") for n in range(30)])
    async with console.run_test(size=(80, 24)) as pilot:
        screen = await open_conv(pilot, KASIA)
        timeline = screen.timeline
        await pilot.pause()
        whole = Region(0, 0, timeline.size.width, timeline.size.height)
        before = timeline.render_lines(whole)
        ingest(console.store, Inbound(channel="chat", kind="chat", external_id="new-one",
                                      address="visitor-kasia", text="one more question"))
        for _ in range(300):
            if "one more question" in timeline.plain():
                break
            await asyncio.sleep(0.05)
        await pilot.pause()
        after = timeline.render_lines(whole)
        assert "one more question" in "".join(strip.text for strip in after)
        kept = {id(strip) for strip in before}
        moved = sum(1 for strip in after if id(strip) in kept)
        assert moved >= timeline.size.height - 4, (moved, timeline.size.height)
        timeline.styles.tint = "red 30%"  # a style change draws every line again
        await pilot.pause()
        tinted = timeline.render_lines(whole)
        assert not {id(strip) for strip in tinted} & {id(strip) for strip in after}



async def test_a_new_message_moves_its_conversation_up_the_side_panel(
        console: OmniConsole) -> None:
    """The side panel's list of the customer's conversations, kept between messages of this
    conversation, still shows this one's new activity (from the conversation's own row)."""
    from datetime import datetime

    from omnitui.tui.widgets.side_panel import SidePanel

    async with console.run_test(size=(100, 30)) as pilot:
        screen = await open_conv(pilot, KASIA)
        await pilot.pause()
        panel = console.screen.query_one(SidePanel)

        def current_line() -> str:
            text = str(panel.query_one("#side-body").render())
            return next(line for line in text.splitlines() if line.startswith("▸"))

        ingest(console.store, Inbound(channel="chat", kind="chat", external_id="today",
                                      address="visitor-kasia", text="still there?"))
        for _ in range(300):
            if "still there?" in screen.timeline.plain():
                break
            await asyncio.sleep(0.05)
        await pilot.pause()
        today = datetime.fromtimestamp(console.store.clock(), console.tz).strftime("%d %b")
        assert current_line().endswith(today), current_line()
