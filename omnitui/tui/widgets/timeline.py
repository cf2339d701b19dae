"""The customer timeline: every message of the customer across channels, oldest at the top.

A RichLog (line API, wraps once per width) fed rich `Text`, so customer text is never markup.
"""

from __future__ import annotations

from datetime import tzinfo

from rich.console import Group
from rich.padding import Padding
from rich.text import Text
from textual.widgets import RichLog

from omnitui.store.queries import MessageRow
from omnitui.tui.format import message_parts


class Timeline(RichLog, can_focus=True):
    DEFAULT_CSS = """
    Timeline { width: 1fr; height: 1fr; padding: 0 1; background: $surface; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, wrap=True, markup=False, highlight=False, auto_scroll=True,
                         max_lines=20_000, min_width=10)
        self.shown: list[MessageRow] = []
        self._args: tuple[tzinfo, float, int] | None = None
        self._drawn_width = 0

    def show(self, messages: list[MessageRow], tz: tzinfo, now: float,
             conversation_id: int) -> None:
        """Redraw the whole history (cheap: at most a few hundred entries, wrapped once)."""
        self.shown = messages
        self._args = (tz, now, conversation_id)
        self._draw()

    def on_resize(self) -> None:
        if self._args is not None and self.scrollable_content_region.width != self._drawn_width:
            self._draw()

    def _draw(self) -> None:
        assert self._args is not None
        tz, now, conversation_id = self._args
        messages = self.shown
        self._drawn_width = self.scrollable_content_region.width
        self.clear()
        if not messages:
            self.write(Text("No messages yet.", style="dim italic"))
        last_conv = None
        for msg in messages:
            if last_conv is not None and msg.conversation_id != last_conv:
                self.write(Text(f"── conversation #{msg.conversation_id} ──", style="dim"))
            last_conv = msg.conversation_id
            head, body = message_parts(msg, tz, now, conversation_id)
            self.write(Group(head, Padding(body, (0, 0, 0, 2))))
        self.scroll_end(animate=False)

    def plain(self) -> str:
        """What is on screen as plain text (tests and the end-to-end check read it)."""
        return "\n".join(strip.text for strip in self.lines)
