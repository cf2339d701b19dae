"""The inbox list keeps each row's drawn line: a scroll reuses them, a style change does not."""

from __future__ import annotations

from textual.geometry import Region

from omnitui.channels.base import Inbound
from omnitui.core.ingest import ingest_batch
from omnitui.tui.app import OmniConsole
from omnitui.tui.widgets.inbox_list import InboxList


def cursor_background(inbox: InboxList) -> object:
    line = inbox.render_line(inbox.cursor - int(inbox.scroll_y))
    return next(s.style.bgcolor for s in line if s.text.strip() and s.style is not None)


async def test_focus_changes_the_cursor_line_drawn_from_kept_styles(
        console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        assert inbox.count >= 2
        await pilot.press("down")
        focused = cursor_background(inbox)
        assert focused == inbox.get_component_rich_style("inbox-list--cursor").bgcolor
        console.set_focus(None)
        await pilot.pause()
        blurred = cursor_background(inbox)
        assert blurred != focused
        assert blurred == inbox.get_component_rich_style("inbox-list--cursor").bgcolor
        inbox.focus()
        await pilot.pause()
        assert cursor_background(inbox) == focused


async def test_a_row_drawn_once_is_not_drawn_again_when_the_cursor_passes(
        console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        assert inbox.count >= 3
        first = inbox.render_line(2)
        await pilot.press("down", "down", "down", "up", "up", "up")
        assert inbox.cursor == 0
        assert inbox.render_line(2) is first
        inbox.reload()  # new data: drawn again
        assert inbox.render_line(2) is not first


async def test_a_scroll_reuses_styled_lines_and_a_style_change_restyles_them(
        console: OmniConsole) -> None:
    ingest_batch(console.store, [
        Inbound(channel="chat", kind="chat", external_id=f"kept-{n}", address=f"visitor-kept-{n}",
                display_name=f"Kept {n}", text=f"question {n}") for n in range(40)])
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        inbox = console.screen.query_one(InboxList)
        whole = Region(0, 0, inbox.size.width, inbox.size.height)
        for _ in range(inbox.size.height - 1):
            await pilot.press("down")
        await pilot.pause()
        before = inbox.render_lines(whole)
        await pilot.press("down")  # one row down: the list scrolls by one
        await pilot.pause()
        assert inbox.scroll_y == 1
        after = inbox.render_lines(whole)
        # rows that only moved are the very same styled strips (the cursor's two rows aside)
        assert all(after[y] is before[y + 1] for y in range(inbox.size.height - 3))
        inbox.styles.background = "darkred"
        await pilot.pause()
        red = inbox.render_lines(whole)
        assert red[0] is not after[0]
        assert any(s.style and s.style.bgcolor and s.style.bgcolor.triplet
                   and s.style.bgcolor.triplet.red > s.style.bgcolor.triplet.green
                   for s in red[0])
        inbox.styles.padding = (0, 2)  # drawn by position again, padding and all
        await pilot.pause()
        padded = inbox.render_lines(whole)
        assert padded[0].text.startswith("  ") and padded[0] is not red[0]
