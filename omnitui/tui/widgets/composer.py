"""The reply box: a multi-line TextArea whose send key works inside tmux.

It grows with its text up to half the screen (then scrolls), so a reply can be read whole
before it is sent. ctrl+enter rarely survives a terminal, so ctrl+j and alt+enter send too;
the screen resolves them (tui/keymap.py), so the TextArea never inserts them as text.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Static, TextArea

from omnitui.tui import keymap, rtl

MIN_ROWS = 3  # text rows of an empty box


class Composer(TextArea):
    BINDINGS = keymap.bindings("composer")  # type: ignore[assignment]

    DEFAULT_CSS = """
    Composer { height: 5; border: round $panel-lighten-2; }
    Composer:focus { border: round $accent; }
    """

    # The box's height is set by `grow` when its number of lines changes, not by the layout
    # on every key (a reflow of the whole screen per key slows a fast typist's burst down).
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
        self.cursor_blink = False

    def watch_virtual_size(self, size: Size) -> None:
        self._scroll_update(size)
        self.grow()

    def on_resize(self) -> None:
        self.grow()

    def grow(self) -> None:
        """As tall as its text (wrapped), at least MIN_ROWS, at most half the screen; past
        that it scrolls."""
        if not self.is_mounted or not self.display:
            return
        rows = self.wrapped_document.height if self.size.width else MIN_ROWS
        limit = max(MIN_ROWS + 2, self.screen.size.height // 2)
        height = max(MIN_ROWS, rows) + 2  # the border
        height = min(height, limit)
        if self.styles.height is None or self.styles.height.value != height:
            self.styles.height = height


PREVIEW_ROWS = 6


class ComposerPreview(Static):
    """Above the box while its draft holds right-to-left text and the console reorders it:
    the draft's last lines as the customer will read them (a text box edits in typing order,
    so Arabic in it reads backwards on most terminals). Hidden otherwise."""

    DEFAULT_CSS = """
    ComposerPreview { height: auto; max-height: 7; padding: 0 2; color: $text-muted; }
    """

    def show_draft(self, draft: str, width: int) -> None:
        if not (rtl.reorders() and rtl.has_rtl(draft)):
            if self.display:
                self.display = False
            return
        out = Text(end="")
        out.append("As the customer reads it:", style="dim italic")
        lines = rtl.block_lines(draft.rstrip("\n"), max(10, width - 4))[-PREVIEW_ROWS:]
        for line, right in lines:
            out.append("\n")
            out.append(" " * max(0, width - 4 - cell_len(line)) + line if right else line)
        self.update(out)
        self.display = True
