"""The reply box: a multi-line TextArea whose send key works inside tmux.

ctrl+enter rarely survives a terminal, so ctrl+j and alt+enter send too. Those bindings are
priority bindings resolved on the screen, so the TextArea never inserts them as text.
"""

from __future__ import annotations

from textual.widgets import TextArea

from omnitui.tui import keymap


class Composer(TextArea):
    BINDINGS = keymap.bindings("composer")  # type: ignore[assignment]

    DEFAULT_CSS = """
    Composer { height: 5; border: round $panel-lighten-2; }
    Composer:focus { border: round $accent; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
        self.cursor_blink = False
