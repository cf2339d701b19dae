"""The inbox: a line-API ScrollView that reads only the pages it shows from SQLite.

Only visible rows are fetched (pages of PAGE rows through `inbox_page`, a few kept in a small
LRU) and drawn (`render_line`), so 50,000 conversations cost what 50 do. DataTable & co. would
hold every row in memory. An arrow key redraws the two rows the cursor leaves and enters, each
from a strip kept since that row was last drawn (`_row_strip`): only the cursor's colour changes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from math import ceil
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from omnitui.core.suggestions import suggestion_marks
from omnitui.first_screen import InboxStart
from omnitui.store.console_queries import newest_event_id
from omnitui.store.db import Store
from omnitui.store.inbox_query import (
    INBOX_PAGE,
    InboxRow,
    InboxView,
    inbox_count,
    inbox_ids,
    inbox_page,
)
from omnitui.tui import keymap
from omnitui.tui.database_trouble import DATABASE_ERRORS
from omnitui.tui.kept_lines import KeepsStyles, KeptLinesStylesCache
from omnitui.tui.widgets.inbox_row import deadline, inbox_row

PAGE = INBOX_PAGE
MAX_PAGES = 8
# The list's own keys; the views, next and the actions on marked conversations are the screen's.
LIST_ACTIONS = frozenset({"cursor_down", "cursor_up", "page_down", "page_up", "top", "bottom",
                          "open", "toggle_mark", "mark_all", "clear_marks"})


class InboxList(KeepsStyles, ScrollView, can_focus=True):
    """Conversations of one `InboxView`, most urgent first, some of them marked."""

    BINDINGS = [b for b in keymap.bindings("inbox") if b.action in LIST_ACTIONS]
    KEYS_REACH_APP = True  # no key handler of its own (see typeahead.keys_reach_app)
    COMPONENT_CLASSES = {"inbox-list--cursor", "inbox-list--empty"}

    DEFAULT_CSS = """
    InboxList { height: 1fr; overflow-x: hidden; }
    InboxList > .inbox-list--cursor { background: $accent 40%; text-style: bold; }
    InboxList:focus > .inbox-list--cursor { background: $accent; color: $text; }
    InboxList > .inbox-list--empty { color: $text-muted; text-style: italic; }
    """

    # No repaint of its own: `watch_cursor` refreshes the two rows that change (a full repaint
    # drew every visible row again on each arrow key, ~20 rows × ~1 ms).
    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    @dataclass
    class Opened(Message):
        """The agent asked to open a conversation."""

        conversation_id: int

    class MarksChanged(Message):
        """Conversations were marked or unmarked (the header counts them)."""

    def __init__(self, store: Store, view: InboxView, now: Callable[[], float],
                 *, start: InboxStart | None = None, id: str | None = None) -> None:
        """`start`: the view's count and first page as read before the console was drawn
        (first_screen.py), shown instead of reading them again on mount."""
        # row index → (its strip, (on the cursor, scroll x), the line as shown): a scroll
        # draws every visible line again, but each row's line is unchanged
        self._lines: dict[int, tuple[Strip, tuple[bool, int], Strip]] = {}
        self._style_pair: tuple[Style, Style] | None = None
        super().__init__(id=id)
        self._styles_cache = KeptLinesStylesCache()  # a scroll restyles no kept row
        self.store = store
        self.view = view
        self.now = now
        self.count = 0
        self._pages: OrderedDict[int, list[InboxRow]] = OrderedDict()
        # conversation id → (its row, what else its drawing depends on, the strip drawn)
        self._strips: dict[int, tuple[InboxRow, tuple[Any, ...], Strip]] = {}
        self.reads = 0  # pages read from the store; tests assert laziness with it
        # Customer id → label of an open suggestion that they are somebody known, read with
        # each page for that page's customers only (one indexed query).
        self.suggested: dict[int, str] = {}
        # Marked conversations → the newest event id when each was marked: a bulk action
        # skips those someone else changed after that (core.bulk).
        self.marks: dict[int, int] = {}
        self.empty_text = " Nothing here."
        self._start = start  # (used by the first reload, if it is of the same view)

    def on_mount(self) -> None:
        self.reload()

    # data -----------------------------------------------------------------------------------
    def reload(self, view: InboxView | None = None) -> None:
        """Forget cached pages (new data or a new view) and redraw what is visible."""
        keep = self.selected_id
        if view is not None and view != self.view:
            self.view = view
            keep = None
            if self.marks:
                self.clear_marks()
            self.cursor = 0
            self.scroll_to(y=0, animate=False)
        self._pages.clear()
        self._strips.clear()
        self._lines.clear()
        self.suggested.clear()
        start, self._start = self._start, None
        if start is not None and start.view == self.view:
            self.count = start.count
            if start.page:
                self._pages[0] = start.page
            self.suggested.update(start.suggested)
        else:
            try:
                self.count = inbox_count(self.store, self.view)
            except DATABASE_ERRORS as exc:  # rows are read again as drawn, once it answers
                self.app.database_failed(exc)  # type: ignore[attr-defined]
        self.virtual_size = Size(self.size.width, self.count)
        if keep is not None:
            self._follow(keep)
        self.cursor = max(0, min(self.cursor, self.count - 1))
        self.refresh()

    def _follow(self, conversation_id: int) -> None:
        """Keep the cursor on the same conversation when rows move, if it is still near."""
        start = max(0, self.cursor - PAGE // 2)
        for offset in range(start, min(self.count, start + PAGE)):
            row = self.row_at(offset)
            if row is not None and row.id == conversation_id:
                self.cursor = offset
                return

    def row_at(self, index: int) -> InboxRow | None:
        if index < 0 or index >= self.count:
            return None
        page_no = index // PAGE
        page = self._pages.get(page_no)
        if page is None:
            try:
                page = inbox_page(self.store, self.view, page_no * PAGE, PAGE)
                self.suggested.update(suggestion_marks(self.store,
                                                       [r.customer_id for r in page]))
            except DATABASE_ERRORS as exc:  # drawn empty now, read again on the next draw
                self.app.database_failed(exc)  # type: ignore[attr-defined]
                return None
            self.reads += 1
            self._pages[page_no] = page
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page_no)
        pos = index - page_no * PAGE
        return page[pos] if pos < len(page) else None

    @property
    def selected(self) -> InboxRow | None:
        return self.row_at(self.cursor)

    @property
    def selected_id(self) -> int | None:
        row = self.selected if self.count else None
        return row.id if row else None

    # drawing --------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        base, cursor_style = self._styles()
        if self.count == 0:
            if y == 0:
                style = self.get_component_rich_style("inbox-list--empty")
                return Strip([Segment(self.empty_text, style)]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        row = self.row_at(index)
        if row is None:
            return Strip.blank(width, base)
        strip = self._row_strip(row, width, base)
        on_cursor = index == self.cursor
        kept = self._lines.get(index)
        if kept is not None and kept[0] is strip and kept[1] == (on_cursor, scroll_x):
            return kept[2]  # a scroll moves rows that are drawn already
        styled = strip.apply_style(cursor_style if on_cursor else base) if (
            on_cursor or base) else strip
        line = styled.apply_offsets(scroll_x, index)
        if len(self._lines) >= MAX_PAGES * PAGE:
            self._lines.clear()
        self._lines[index] = (strip, (on_cursor, scroll_x), line)
        return line

    def _styles(self) -> tuple[Style, Style]:
        """The list's style and the cursor's, as CSS has them now (kept until the styles
        change: working them out walked the DOM for every line drawn)."""
        if self._style_pair is None:
            self._style_pair = (self.rich_style,
                                self.get_component_rich_style("inbox-list--cursor"))
        return self._style_pair

    def forget_styles(self) -> None:
        """Styles changed: the kept styles and the lines drawn with them are stale."""
        self._style_pair = None
        self._lines.clear()

    def _row_strip(self, row: InboxRow, width: int, base: Style) -> Strip:
        """The row drawn without the cursor: as last time unless something it shows changed.
        The key holds every input of `inbox_row` besides the row itself (a reload brings new
        row objects); a new input to `inbox_row` belongs in it too."""
        now = self.now()
        marked = row.id in self.marks
        suggestion = self.suggested.get(row.customer_id)
        key = (width, marked, suggestion, deadline(row, now), base)
        kept = self._strips.get(row.id)
        if kept is not None and kept[0] is row and kept[1] == key:
            return kept[2]
        text = inbox_row(row, now, width, marked=marked, suggestion=suggestion)
        strip = Strip(list(text.render(self.app.console))).crop_extend(0, width, base)
        if len(self._strips) >= MAX_PAGES * PAGE:  # (rows scrolled far past)
            self._strips.clear()
        self._strips[row.id] = (row, key, strip)
        return strip

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """As Textual's, but the scrollbar is repainted only when its thumb moves: over
        thousands of rows a one-row scroll moves it by less than an eighth of a cell, and its
        repaint (the bar's whole height) was a sixth of an arrow key's CPU."""
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            position = bar.validate_position(new_value)
            if thumb_at(bar, position) == thumb_at(bar, bar.position):
                bar.set_reactive(ScrollBar.position, position)
            else:
                bar.position = position
        if round(old_value) != round(new_value):
            self.refresh(self.size.region)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.count)

    def watch_cursor(self, old: int, new: int) -> None:
        top, width = int(self.scroll_y), self.size.width
        self.refresh(Region(0, old - top, width, 1), Region(0, new - top, width, 1))
        height = self.scrollable_content_region.height
        if height <= 0:  # (not laid out yet)
            self.scroll_to_region(Region(0, new, 1, 1), animate=False, force=True)
        elif new < top:  # the least scroll that shows the row, as scroll_to_region's, which
            self.scroll_to(y=new, animate=False, force=True)  # cost 0.6 ms even in view
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False, force=True)

    # actions --------------------------------------------------------------------------------
    def _move(self, delta: int) -> None:
        if self.count:
            self.cursor = max(0, min(self.count - 1, self.cursor + delta))

    def action_cursor_down(self) -> None:
        self._move(1)

    def action_cursor_up(self) -> None:
        self._move(-1)

    def action_page_down(self) -> None:
        self._move(max(1, self.size.height - 1))

    def action_page_up(self) -> None:
        self._move(-max(1, self.size.height - 1))

    def action_top(self) -> None:
        self._move(-self.count)

    def action_bottom(self) -> None:
        self._move(self.count)

    def action_open(self) -> None:
        row = self.selected
        if row is not None:
            self.post_message(self.Opened(row.id))

    def on_click(self, event: object) -> None:
        offset = getattr(event, "y", None)
        if offset is not None:
            self._move(int(self.scroll_y) + int(offset) - self.cursor)

    # marks ----------------------------------------------------------------------------------
    def toggle_mark(self, conversation_id: int) -> None:
        if self.marks.pop(conversation_id, None) is None:
            self.marks[conversation_id] = newest_event_id(self.store)
        self.refresh()
        self.post_message(self.MarksChanged())

    def action_toggle_mark(self) -> None:
        """Mark or unmark the highlighted conversation, and step to the next row."""
        row = self.selected if self.count else None
        if row is not None:
            self.toggle_mark(row.id)
            self._move(1)

    def action_mark_all(self) -> None:
        """Mark every conversation of the view; when all are marked already, unmark them."""
        with self.store.read():
            since = newest_event_id(self.store)
            ids = inbox_ids(self.store, self.view)
        if ids and all(i in self.marks for i in ids):
            self.clear_marks()
            return
        for conversation_id in ids:
            self.marks.setdefault(conversation_id, since)
        self.refresh()
        self.post_message(self.MarksChanged())

    def clear_marks(self) -> None:
        self.marks.clear()
        self.refresh()
        self.post_message(self.MarksChanged())

    def action_clear_marks(self) -> None:
        if self.marks:
            self.clear_marks()


def thumb_at(bar: ScrollBar, position: float) -> list[Segment]:
    """The vertical bar's cells with its thumb at `position`, as its renderer draws them."""
    window = bar.window_size if bar.window_size < bar.window_virtual_size else 0
    drawn = bar.renderer.render_bar(
        size=bar.size.height, virtual_size=ceil(bar.window_virtual_size),
        window_size=ceil(window), position=position, thickness=bar.thickness, vertical=True)
    return drawn.segments
