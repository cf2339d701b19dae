"""80 columns: nothing cut mid-word. Key hints are whole or left out, truncated names and
subjects end in "…", help columns never run together, and the reply box grows with its text
up to half the screen. Right-to-left text is reordered in the timeline and the box's preview."""

from __future__ import annotations

import re

from rich.cells import cell_len

from omnitui.core import actions
from omnitui.core.agents import get_agent
from omnitui.tui import keymap
from omnitui.tui.app import OmniConsole
from omnitui.tui.dialogs.help import help_text
from omnitui.tui.widgets.key_bar import key_line
from omnitui.tui.widgets.side_panel import PANEL_TEXT_WIDTH

from .helpers import AHMED, EMMA, LIAM, open_conv
from .screen_text import screen_text

LONG_SUBJECT = "Where is my order? It was a present for my grandmother's ninetieth birthday party"


def test_key_line_leaves_out_whole_hints_and_keeps_the_palette_key() -> None:
    items = [("esc", "Back"), ("r", "Reply"), ("z", "Snooze"), ("b", "Label")]
    line = key_line(items, 34, ("^p", "all actions"))
    assert line.plain.rstrip().endswith("^p all actions")
    assert "esc Back  r Reply" in line.plain and "Snooz" not in line.plain
    assert line.cell_len == 34
    wide = key_line(items, 80, None).plain
    assert "esc Back  r Reply  z Snooze  b Label" in wide


def bar_hints(text: str) -> list[str]:
    return [h.strip() for h in re.split(r"\s{2,}", text.strip()) if h.strip()]


async def test_conversation_key_bar_shows_only_whole_hints(console: OmniConsole) -> None:
    descriptions = {s.description for s in keymap.REGISTRY} | {"all actions"}
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, EMMA)
        for state in ("closed", "open"):
            hints = bar_hints(screen_text(console).splitlines()[-1])
            assert len(hints) >= 4, hints
            for hint in hints:
                _key, _, what = hint.partition(" ")
                assert what in descriptions, f"{state}: {hint!r} is cut"
            await pilot.press("r")
            await pilot.pause()


async def test_long_subject_and_panel_lines_end_in_an_ellipsis(console: OmniConsole) -> None:
    store = console.store
    store.conn.execute("UPDATE conversation SET subject = ? WHERE id = ?", (LONG_SUBJECT, EMMA))
    actions.assign(store, EMMA, "olga", get_agent(store, "anna"))
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, EMMA)
        lines = screen_text(console).splitlines()
        title = lines[0]
        assert "→ olga" in title  # the assignee is never pushed off the line
        assert "Where is my order? It was a present for my…" in title, title  # at a space
        assert cell_len(title) <= 80
        panel = [line.split("▏", 1)[1] for line in lines if "▏" in line]
        assert any(line.strip().startswith("Where is my order?") and line.rstrip().endswith("…")
                   for line in panel), panel
        assert all(cell_len(line.rstrip()) <= PANEL_TEXT_WIDTH + 1 for line in panel)
        await open_conv(pilot, LIAM)
        assert "#5 resolved · " in screen_text(console)  # not "#5 reso"


def test_help_columns_never_run_together() -> None:
    text = help_text({}).plain
    assert "ctrl+enterSend" not in text
    rows = [line for line in text.splitlines() if line.startswith("  ") and line.strip()]
    assert rows
    for row in rows:
        assert cell_len(row.rstrip()) <= 70, row  # the help dialog's text width at 80 columns
        if row[2:20].strip():  # a row that starts a binding: keys, two spaces, description
            assert row[20:22] == "  ", row
    assert "  ctrl+j / alt+enter  Send" in text
    assert re.search(r"^  ctrl\+enter\s*$", text, re.MULTILINE)  # wrapped inside its column


async def test_reply_box_grows_with_its_text_up_to_half_the_screen(
        console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        screen = await open_conv(pilot, EMMA)
        await pilot.press("r")
        await pilot.pause()
        empty = screen.composer.size.height
        screen.composer.insert("\n".join(f"line {n}" for n in range(1, 8)))
        await pilot.pause()
        assert screen.composer.size.height > empty
        text = screen_text(console)
        assert all(f"line {n}" in text for n in range(1, 8))  # the whole reply can be read
        screen.composer.insert("\n" + "\n".join(f"more {n}" for n in range(40)))
        await pilot.pause()
        assert screen.composer.outer_size.height == 12  # half of 24 rows, then it scrolls
        assert "more 39" in screen_text(console)  # the cursor's line stays in view
        await pilot.press("escape")
        await pilot.pause()
        assert "Draft kept" in screen_text(console) and not screen.composing


async def test_arabic_is_reordered_and_aligned_right_in_the_timeline(
        console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        screen = await open_conv(pilot, AHMED)
        lines = screen.timeline.plain().splitlines()
        body = [line for line in lines if "بلطلا مقر" in line]  # "رقم الطلب" in visual order
        assert body, lines
        width = max(cell_len(line) for line in lines)
        assert cell_len(body[0].rstrip()) == width  # aligned to the right edge
        assert body[0].lstrip().startswith("77801")  # numbers keep their own order
        assert "Subject: جتنملا عاجرإ" in screen.timeline.plain()
        assert " يسرافلا دمحأ" in screen_text(console).splitlines()[0]  # the title
        # Stored text is untouched.
        stored = console.store.conn.execute(
            "SELECT text FROM message WHERE conversation_id = ?", (AHMED,)).fetchone()[0]
        assert stored.startswith("مرحبا")


async def test_arabic_reply_has_a_preview_in_reading_order(console: OmniConsole) -> None:
    async with console.run_test(size=(80, 24)) as pilot:
        screen = await open_conv(pilot, AHMED)
        await pilot.press("r")
        await pilot.pause()
        assert not screen.query_one("#composer-preview").display
        screen.composer.insert("شكرا على رسالتك")
        await pilot.pause()
        text = screen_text(console)
        assert "As the customer reads it:" in text
        preview = next(line for line in text.splitlines() if "كتلاسر" in line)
        assert preview.rstrip().endswith("اركش")  # the first word on the right
        assert cell_len(preview.rstrip()) == 78  # aligned to the box's right edge
        screen.composer.clear()
        screen.composer.insert("thanks")
        await pilot.pause()
        assert not screen.query_one("#composer-preview").display
