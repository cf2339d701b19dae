"""Log a call: what was said, and optionally the number the customer called from (it becomes a
phone identity of the customer, so the next call or a message from it is recognised). Answers
with a `LoggedCall`."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea


@dataclass(frozen=True, slots=True)
class LoggedCall:
    text: str
    phone: str | None  # as the agent typed it; None when left empty


class CallLogDialog(ModalScreen[LoggedCall | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        # (not priority: it runs after the letters typed before it, see tui/typeahead.py)
        Binding("ctrl+j,alt+enter,ctrl+enter", "submit", "Save", id="call_log.submit"),
    ]

    def __init__(self, again: LoggedCall | None = None) -> None:
        """`again`: what the agent typed before it was refused, to correct."""
        super().__init__()
        self.again = again

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Log a call: what was said?", style="bold"),
                         classes="dialog-title")
            area = TextArea(self.again.text if self.again else "", id="call-text",
                            soft_wrap=True)
            area.cursor_blink = False
            yield area
            yield Static(Text("Their phone number (optional):", style="dim"))
            yield Input((self.again.phone or "") if self.again else "",
                        placeholder="+48 601 234 567", id="call-phone")
            yield Static(Text("tab next field · ctrl+j save · esc cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one(Input).cursor_blink = False
        self.query_one(TextArea).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if not text:
            self.notify("Describe the call in a few words.", severity="warning")
            return
        phone = self.query_one(Input).value.strip()
        self.dismiss(LoggedCall(text, phone or None))

    def action_cancel(self) -> None:
        self.dismiss(None)
