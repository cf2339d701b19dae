"""Customer text is data: never markup, never terminal control sequences, never reordered."""

from __future__ import annotations

from datetime import UTC

from omnitui.store.queries import InboxRow, MessageRow
from omnitui.tui.app import OmniConsole
from omnitui.tui.timeline_text import message_text
from omnitui.tui.widgets.inbox_row import inbox_row

from .conftest import HOSTILE_BODY, HOSTILE_NAME, HOSTILE_SUBJECT, NOW
from .helpers import MALLORY, open_conv
from .screen_text import screen_text

CONTROL = [chr(c) for c in (*range(0, 9), *range(11, 32), 127, *range(0x80, 0xA0))]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
        "\u2069"]


def assert_inert(text: str) -> None:
    for ch in CONTROL + BIDI:
        assert ch not in text, repr(ch)


def test_formatting_never_interprets_raw_text() -> None:
    """Even text that skipped ingest (an old row, a bug) is shown literally and inert."""
    row = InboxRow(1, "mail", "email", 1, HOSTILE_NAME, HOSTILE_SUBJECT, "open", NOW - 60, None,
                   NOW, "anna", True, ("[b]x[/b]",))
    line = inbox_row(row, NOW, 120)
    assert "[@click=app.quit]M" in line.plain
    assert "[link=http://x]free[/link]" in line.plain
    assert not line.spans or all("link" not in str(s.style) for s in line.spans)
    assert_inert(line.plain)
    msg = MessageRow(1, 1, "inbound", "mail", HOSTILE_NAME, HOSTILE_BODY, HOSTILE_SUBJECT, NOW,
                     None, None, (), False, None, {})
    text = message_text(msg, UTC, NOW, 1)
    assert "[bold]not bold[/bold]" in text.plain
    assert "[@click=app.quit]quit[/]" in text.plain
    assert_inert(text.plain)


async def test_hostile_customer_on_screen(console: OmniConsole) -> None:
    async with console.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("4")
        text = screen_text(console)
        assert "[@click=app.quit]M" in text
        assert "[link=http://x]free[/link]" in text
        assert_inert(text)
        screen = await open_conv(pilot, MALLORY)
        await pilot.click("#conv-title")  # a click on the name must not run app.quit
        text = screen_text(console)
        assert "[bold]not bold[/bold]" in text
        assert "[@click=app.quit]quit[/]" in text
        assert "click me" in text
        assert_inert(text)
        assert "evil" in screen.timeline.plain()
        assert console.is_running
