"""The inbox list keeps each row's drawn line: a scroll reuses them, a style change does not."""

from __future__ import annotations

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
