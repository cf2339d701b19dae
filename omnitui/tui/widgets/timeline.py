"""The customer timeline: every message of the customer across channels, oldest at the top.

A RichLog (line API, wraps once per width) fed rich `Text`, so customer text is never markup.
"""

from __future__ import annotations

from datetime import tzinfo

from rich.console import Group
from rich.padding import Padding
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.reactive import Reactive
from textual.strip import Strip
from textual.widgets import RichLog

from omnitui.store.queries import MessageRow
from omnitui.tui.kept_lines import KeepsStyles, KeptLinesStylesCache
from omnitui.tui.timeline_text import message_parts

WINDOW = 60  # newest messages drawn on open; older ones on request (u, or up at the top)
MORE = 120


class Timeline(KeepsStyles, RichLog, can_focus=True):
    """Draws the newest WINDOW messages of the history it holds; `older()` draws more."""

    # Textual reflows the whole screen when a widget's virtual size changes; the timeline's own
    # size never depends on its content, so a new message only updates the scrollbar (a
    # scrollbar appearing still reflows). Saves a layout pass per message in every console.
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def watch_virtual_size(self, size: Size) -> None:
        self._scroll_update(size)

    DEFAULT_CSS = """
    Timeline { width: 1fr; height: 1fr; padding: 0 1; background: $surface; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, wrap=True, markup=False, highlight=False, auto_scroll=False,
                         max_lines=50_000, min_width=10)
        self._styles_cache = KeptLinesStylesCache()  # a new message restyles its lines only
        self._line_style: Style | None = None
        self.shown: list[MessageRow] = []
        self.window = WINDOW
        self._args: tuple[tzinfo, float, int] | None = None
        self._drawn_width = 0

    def render_line(self, y: int) -> Strip:
        """RichLog's line, styled with the widget's style worked out once until the styles
        change (`KeepsStyles`): RichLog asked the DOM for it on every line drawn."""
        scroll_x, scroll_y = self.scroll_offset
        line = self._render_line(scroll_y + y, scroll_x, self.scrollable_content_region.width)
        if self._line_style is None:
            self._line_style = self.rich_style
        return line.apply_style(self._line_style)

    def forget_styles(self) -> None:
        self._line_style = None

    @property
    def hidden(self) -> int:
        """Messages held but not drawn (above the top)."""
        return max(0, len(self.shown) - self.window)

    def show(self, messages: list[MessageRow], tz: tzinfo, now: float,
             conversation_id: int) -> None:
        """Redraw: the newest `window` messages, wrapped once for the current width."""
        self.shown = messages
        self._args = (tz, now, conversation_id)
        self._draw()

    def append(self, messages: list[MessageRow]) -> None:
        """New messages below the last one; the view follows only if it was at the bottom."""
        if not messages:
            return
        if self._args is None or not self._size_known:
            self.shown = [*self.shown, *messages]
            return
        at_bottom = self.scroll_y >= self.max_scroll_y - 1
        last_conv = self.shown[-1].conversation_id if self.shown else None
        self.shown = [*self.shown, *messages]
        self.window += len(messages)
        self._write(messages, last_conv)
        if at_bottom:
            self.scroll_end(animate=False, immediate=True)

    def _write(self, messages: list[MessageRow], last_conv: int | None) -> None:
        assert self._args is not None
        tz, now, conversation_id = self._args
        for msg in messages:
            if last_conv is not None and msg.conversation_id != last_conv:
                self.write(Text(f"── conversation #{msg.conversation_id} ──", style="dim"),
                           scroll_end=False)
            last_conv = msg.conversation_id
            head, body = message_parts(msg, tz, now, conversation_id, self._body_width)
            if body.plain:
                self.write(Group(head, Padding(body, (0, 0, 0, 2))), scroll_end=False)
            else:
                self.write(head, scroll_end=False)

    @property
    def _body_width(self) -> int:
        """Cells for a message body: the content width less its indent (right-to-left
        paragraphs are aligned to its right edge)."""
        return max(10, self.scrollable_content_region.width - 2)

    def older(self) -> bool:
        """Draw MORE older messages above, keeping the view where it was; False if none."""
        if not self.hidden:
            return False
        before = len(self.lines) - int(self.scroll_y)
        self.window += MORE
        self._draw(keep_from_bottom=before)
        return True

    def on_resize(self) -> None:
        self.call_after_refresh(self._redraw_if_resized)

    def _redraw_if_resized(self) -> None:
        if self._args is not None and self.scrollable_content_region.width != self._drawn_width:
            self._draw()

    def _draw(self, keep_from_bottom: int | None = None) -> None:
        if self._args is None or not self._size_known:
            return  # drawn once the width is known (on_resize)
        messages = self.shown[-self.window:] if self.window else self.shown
        self._drawn_width = self.scrollable_content_region.width
        self.clear()
        if self.hidden:
            self.write(Text(f"▲ {self.hidden} older messages: press u (or ↑ at the top)",
                            style="dim italic"), scroll_end=False)
        elif not messages:
            self.write(Text("No messages yet.", style="dim italic"), scroll_end=False)
        self._write(messages, None)
        if keep_from_bottom is None:
            self.scroll_end(animate=False, immediate=True)
        else:
            self.scroll_to(y=max(0, len(self.lines) - keep_from_bottom), animate=False,
                           immediate=True)

    def plain(self) -> str:
        """What is drawn, as plain text (tests and the end-to-end check read it)."""
        return "\n".join(strip.text for strip in self.lines)
