"""Add what the customer told you to the customer: an email address, a phone number or a
Telegram username (core.added_identities). The kind follows what is typed until the agent picks
one with ↑↓. Answers with a `NewIdentity`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from omnitui.tui.format import display

KINDS = (("email", "Email address"), ("phone", "Phone number"),
         ("telegram", "Telegram username"))
_PHONE = re.compile(r"^\+?[\d\s().-]{5,}$")


@dataclass(frozen=True, slots=True)
class NewIdentity:
    kind: str  # email | phone | telegram
    value: str


def guess_kind(value: str) -> str | None:
    """The kind a value plainly is (None when it could be either)."""
    value = value.strip()
    if "@" in value[1:]:
        return "email"
    if _PHONE.match(value):
        return "phone"
    if value.startswith("@") or value.lower().startswith(("t.me/", "https://t.me/")):
        return "telegram"
    return None


class AddIdentityDialog(ModalScreen[NewIdentity | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("down", "move(1)", "Next kind", show=False, id="add_identity.down"),
        Binding("up", "move(-1)", "Previous kind", show=False, id="add_identity.up"),
        # (not priority: it runs after the letters typed before it, see tui/typeahead.py)
        Binding("ctrl+j,alt+enter,ctrl+enter", "submit", "Add", id="add_identity.submit"),
    ]

    def __init__(self, customer_name: str) -> None:
        super().__init__()
        self.customer_name = customer_name
        self.picked = False  # the agent chose a kind: stop guessing it

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(f"Add an identity to {display(self.customer_name, 40)}",
                              style="bold"), classes="dialog-title")
            yield Input(placeholder="anna@example.org, +48 601 234 567 or @anna",
                        id="identity-value")
            yield OptionList(*[Option(label, id=kind) for kind, label in KINDS],
                             id="identity-kind")
            yield Static(id="identity-kind-line")  # the kind in words (16 colours, NO_COLOR)
            yield Static(Text("↑↓ kind · enter add · esc cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one(OptionList).highlighted = 0
        self._say_kind()
        value = self.query_one(Input)
        value.cursor_blink = False
        value.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        kind = guess_kind(event.value)
        if kind is not None and not self.picked:
            self.query_one(OptionList).highlighted = [k for k, _ in KINDS].index(kind)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._say_kind()

    def _say_kind(self) -> None:
        label = KINDS[self.query_one(OptionList).highlighted or 0][1]
        self.query_one("#identity-kind-line", Static).update(
            Text(f"Adds: {label.lower()}", style="bold"))

    def action_move(self, delta: int) -> None:
        kinds = self.query_one(OptionList)
        current = kinds.highlighted or 0
        kinds.highlighted = max(0, min(len(KINDS) - 1, current + delta))
        self.picked = True

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.picked = True
        self.query_one(Input).focus()

    def action_submit(self) -> None:
        value = self.query_one(Input).value.strip()
        if not value:
            self.notify("Type the address, number or username to add.", severity="warning")
            return
        highlighted = self.query_one(OptionList).highlighted or 0
        self.dismiss(NewIdentity(KINDS[highlighted][0], value))

    def action_cancel(self) -> None:
        self.dismiss(None)
