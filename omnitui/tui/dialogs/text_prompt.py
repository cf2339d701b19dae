"""Ask for one piece of text: a note, a label, a path, a placeholder's value.

One line (enter submits) or several (ctrl+j / alt+enter submits, like the composer).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, Static, TextArea


class TextPrompt(ModalScreen[str | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        # Not a priority binding: it must run after the box has taken every letter typed
        # before it, or a fast typist's last words are lost.
        Binding("ctrl+j,alt+enter,ctrl+enter", "submit", "Save", id="dialog.submit"),
    ]

    def __init__(self, title: str, *, value: str = "", multiline: bool = False,
                 hint: str = "", suggestions: list[str] | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.multiline = multiline
        self.hint = hint
        self.suggestions = suggestions or []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text, style="bold"), classes="dialog-title")
            if self.hint:
                yield Static(Text(self.hint, style="dim"))
            if self.multiline:
                area = TextArea(self.value, id="prompt-area", soft_wrap=True)
                area.cursor_blink = False
                yield area
                yield Static(Text("ctrl+j save · esc cancel", style="dim"))
            else:
                suggester = (SuggestFromList(self.suggestions, case_sensitive=False)
                             if self.suggestions else None)
                yield Input(self.value, id="prompt-input", suggester=suggester)
                yield Static(Text("enter save · esc cancel", style="dim"))

    def on_mount(self) -> None:
        widget = self.query_one("#prompt-area" if self.multiline else "#prompt-input")
        if isinstance(widget, Input):
            widget.cursor_blink = False
        widget.focus()

    def _value(self) -> str:
        if self.multiline:
            return self.query_one("#prompt-area", TextArea).text
        return self.query_one("#prompt-input", Input).value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_submit(self) -> None:
        self.dismiss(self._value())

    def action_cancel(self) -> None:
        self.dismiss(None)
