"""The inbox's band compositor: partial updates render only the changed lines, and what they
write leaves the terminal exactly as a full repaint would."""

from __future__ import annotations

from typing import Any

import pytest
from rich.cells import cell_len
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.strip import Strip
from textual.widget import Widget

from omnitui.channels.base import Inbound
from omnitui.core.ingest import ingest_batch
from omnitui.tui.app import OmniConsole
from omnitui.tui.compositor import BandCompositor
from omnitui.tui.widgets.inbox_list import InboxList

Cells = list[list[tuple[str, Style | None]]]


def paint(row: list[tuple[str, Style | None]], x: int, strip: Strip) -> None:
    """Write a strip into one line of cells, as a terminal would."""
    for segment in strip:
        if segment.control:
            continue
        for char in segment.text:
            width = cell_len(char)
            if x < len(row):
                row[x] = (char, segment.style)
            if width == 2 and x + 1 < len(row):
                row[x + 1] = ("", segment.style)
            x += width


def full_screen(strips: list[Strip], width: int) -> Cells:
    cells: Cells = []
    for strip in strips:
        row: list[tuple[str, Style | None]] = [(" ", None)] * width
        paint(row, 0, strip)
        cells.append(row)
    return cells


def apply(cells: Cells, update: Any) -> None:
    """Apply a compositor update to the cells the way `ChopsUpdate.render_segments` writes it."""
    if isinstance(update, LayoutUpdate):
        for y, line in enumerate(update.strips):
            cells[y] = full_screen([Strip.join(line)], len(cells[y]))[0]
        return
    assert isinstance(update, ChopsUpdate)
    for y, x1, x2 in update.spans:
        for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items(), strict=False):
            if strip is None or x > x2 or end <= x1:
                continue
            if not (x2 > x >= x1 and end <= x2):
                strip = strip.crop(0, min(end, x2) - x)
            paint(cells[y], x, strip)


@pytest.fixture
def busy_console(console: OmniConsole) -> OmniConsole:
    """Sixty customers waiting, so the default view scrolls."""
    ingest_batch(console.store, [
        Inbound(channel="chat", kind="chat", external_id=f"band-{n}", address=f"visitor-band-{n}",
                display_name=f"Band {n}", text=f"question {n}") for n in range(60)])
    return console


async def test_partial_updates_leave_the_screen_a_full_repaint_would_draw(
        busy_console: OmniConsole) -> None:
    app = busy_console
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        compositor = app.screen._compositor
        assert isinstance(compositor, BandCompositor)
        width = compositor.size.width
        shadow = full_screen(compositor.render_strips(), width)
        partial = 0
        original = compositor.render_update

        def render_update(*args: Any, **kwargs: Any) -> Any:
            nonlocal partial
            update = original(*args, **kwargs)
            if update is not None:
                partial += isinstance(update, ChopsUpdate)
                apply(shadow, update)
            return update

        compositor.render_update = render_update  # type: ignore[method-assign]
        keys = (["down"] * 25 + ["up"] * 30 + ["pagedown", "pagedown", "end", "up", "home"]
                + ["x", "down", "x", "escape", "4", "down", "down", "1", "down"])
        for n, key in enumerate(keys):
            await pilot.press(key)
            await pilot.pause(0.02)
            expected = full_screen(compositor.render_strips(), width)
            assert shadow == expected, f"after key {n} ({key})"
        assert partial >= len(keys) // 2  # (the arrows took the partial path)
        assert app.screen.query_one(InboxList).cursor == 1


async def test_an_arrow_in_view_renders_only_its_two_rows(
        busy_console: OmniConsole, monkeypatch: pytest.MonkeyPatch) -> None:
    app = busy_console
    rendered: list[tuple[str, int]] = []
    render_lines = Widget.render_lines

    def counting(self: Widget, crop: Any) -> list[Strip]:
        rendered.append((type(self).__name__, crop.height))
        return render_lines(self, crop)

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down")
        await pilot.pause(0.05)
        monkeypatch.setattr(Widget, "render_lines", counting)
        await pilot.press("down")  # rows 1 → 2 of 20 visible: nothing scrolls
        await pilot.pause(0.05)
    drawn = dict(rendered)
    assert drawn.get("InboxList") == 2
    assert sum(height for _, height in rendered) <= 2 * len(drawn)
    assert not {"Footer", "StatusLine", "Static"} & drawn.keys()
