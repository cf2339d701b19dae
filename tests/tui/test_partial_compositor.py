"""The inbox's partial compositor: partial updates render only the changed lines, and what
they write leaves the terminal exactly as a full repaint would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rich.cells import cell_len
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

from omnitui.channels.base import Inbound
from omnitui.core import actions
from omnitui.core.agents import get_agent
from omnitui.core.ingest import ingest, ingest_batch
from omnitui.tui.app import OmniConsole
from omnitui.tui.compositor import PartialCompositor
from omnitui.tui.widgets.inbox_list import InboxList
from omnitui.tui.widgets.side_panel import SidePanel

from .helpers import KASIA, open_conv

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


def waiting(console: OmniConsole, customers: int) -> OmniConsole:
    ingest_batch(console.store, [
        Inbound(channel="chat", kind="chat", external_id=f"band-{n}", address=f"visitor-band-{n}",
                display_name=f"Band {n}", text=f"question {n}") for n in range(customers)])
    return console


@pytest.fixture
def busy_console(console: OmniConsole) -> OmniConsole:
    """Sixty customers waiting, so the default view scrolls."""
    return waiting(console, 60)


def fresh_screen(app: OmniConsole) -> Cells:
    """What the screen shows drawn from scratch: every widget and scrollbar repainted."""
    screen = app.screen
    for widget in [screen, *screen.walk_children(with_self=False)]:
        widget.refresh()
        for bar in (widget._vertical_scrollbar, widget._horizontal_scrollbar):
            if bar is not None:
                bar.refresh()
    compositor = screen._compositor
    return full_screen(compositor.render_strips(), compositor.size.width)


async def test_partial_updates_leave_the_screen_a_full_repaint_would_draw(
        console: OmniConsole) -> None:
    """Over 800 rows the scrollbar's thumb stays put for most one-row scrolls and is not
    repainted then, yet always shows where the list is (page keys, end and home move it)."""
    app = waiting(console, 800)
    bar_repaints = 0
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        compositor = app.screen._compositor
        assert isinstance(compositor, PartialCompositor)
        width = compositor.size.width
        shadow = full_screen(compositor.render_strips(), width)
        partial = 0
        original = compositor.render_update

        def render_update(*args: Any, **kwargs: Any) -> Any:
            nonlocal partial, bar_repaints
            bar_repaints += bool(inbox.vertical_scrollbar._repaint_regions)
            update = original(*args, **kwargs)
            if update is not None:
                partial += isinstance(update, ChopsUpdate)
                apply(shadow, update)
            return update

        inbox = app.screen.query_one(InboxList)
        compositor.render_update = render_update  # type: ignore[method-assign]
        # (key, compare now): stale cells persist, so the unchecked keys are checked later too
        keys = ([("down", n >= 17) for n in range(24)] + [("up", n < 3 or n >= 20)
                                                          for n in range(26)]
                + [(key, True) for key in ("pagedown", "pagedown", "end", "up", "home", "x",
                                           "down", "x", "escape", "4", "down", "1", "down")])
        scrolls = 0
        for n, (key, check) in enumerate(keys):
            top, bar_before = inbox.scroll_y, bar_repaints
            await pilot.press(key)
            await pilot.pause(0.02)
            scrolls += inbox.scroll_y != top and bar_repaints > bar_before
            if check:
                assert shadow == fresh_screen(app), f"after key {n} ({key})"
                await pilot.pause(0.02)  # (the fresh screen's repaint reaches the shadow)
        assert partial >= len(keys) // 2  # (the arrows took the partial path)
        assert inbox.cursor == 1
    assert scrolls < 10  # the thumb moved a few times in the ~20 scrolls


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


def shadowed(app: OmniConsole) -> tuple[Cells, list[int]]:
    """A terminal's cells that follow every update the app's current screen writes from here
    on, and a one-item list counting its partial updates."""
    compositor = app.screen._compositor
    assert isinstance(compositor, PartialCompositor)
    shadow = full_screen(compositor.render_strips(), compositor.size.width)
    partial = [0]
    original = compositor.render_update

    def render_update(*args: Any, **kwargs: Any) -> Any:
        update = original(*args, **kwargs)
        if update is not None:
            partial[0] += isinstance(update, ChopsUpdate)
            apply(shadow, update)
        return update

    compositor.render_update = render_update  # type: ignore[method-assign]
    return shadow, partial


async def test_a_conversation_updated_part_by_part_shows_what_a_full_repaint_draws(
        console: OmniConsole) -> None:
    """Messages arriving (the timeline scrolls, the side panel's date changes), the side panel
    growing (a label, a transfer note), a reply typed, the timeline scrolled back and forth:
    after each, the terminal holds what a full repaint would draw."""
    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, KASIA)
        await pilot.pause(0.2)
        shadow, partial = shadowed(console)
        steps: list[tuple[str, Callable[[], Any]]] = []
        for n in range(4):
            steps.append((f"message {n}", lambda n=n: ingest(console.store, Inbound(
                channel="chat", kind="chat", external_id=f"shadow-{n}", address="visitor-kasia",
                text=f"message {n} " + "word " * (n * 9)))))
        ben = get_agent(console.store, "ben")
        steps += [  # the side panel: a line longer, then a transfer note (lines more)
            ("label", lambda: actions.label(console.store, KASIA, "vip-customer", ben)),
            ("transfer", lambda: actions.transfer(console.store, KASIA, "anna",
                                                  "Her parcel is lost; refund agreed.", ben))]
        steps += [(key, lambda key=key: pilot.press(key)) for key in
                  ("r", "h", "i", "space", "t", "escape", "pageup", "up", "pagedown", "end")]
        for name, step in steps:
            done = step()
            if hasattr(done, "__await__"):
                await done
            await pilot.pause(0.3)
            assert shadow == fresh_screen(console), f"after {name}"
            body = console.screen.query_one(SidePanel).query_one("#side-body", Static)
            height = body.size.height  # as laid out, or not, by the side panel's own choice
            body.refresh(layout=True)
            await pilot.pause(0.05)  # (the fresh screen's repaint reaches the shadow)
            assert body.size.height == height, f"after {name}: laid out again, it changed"
        assert partial[0] >= len(steps)


async def test_a_new_message_renders_neither_the_bars_nor_what_the_timeline_hides(
        console: OmniConsole, monkeypatch: pytest.MonkeyPatch) -> None:
    """The title, reply label, status line, key bar and side panel stay as drawn, and the
    containers under the timeline are not rendered: a new message (once the side panel shows
    today's date) renders the timeline and its scrollbar, nothing else."""
    rendered: list[str] = []
    render_lines = Widget.render_lines

    def counting(self: Widget, crop: Any) -> list[Strip]:
        rendered.append(type(self).__name__)
        return render_lines(self, crop)

    def message(n: int) -> None:
        ingest(console.store, Inbound(channel="chat", kind="chat", external_id=f"more-{n}",
                                      address="visitor-kasia", text=f"one more question {n}"))

    async with console.run_test(size=(80, 24)) as pilot:
        await open_conv(pilot, KASIA)
        message(0)  # (the side panel's line for this conversation takes the new date)
        await pilot.pause(0.5)
        monkeypatch.setattr(Widget, "render_lines", counting)
        message(1)
        await pilot.pause(0.5)
    assert "Timeline" in rendered
    assert set(rendered) <= {"Timeline", "ScrollBar"}
