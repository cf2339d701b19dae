"""Warm transfer: pick the colleague, edit the prefilled intro note, optionally tell the customer.
Answers with a `TransferChoice`."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from omnitui.core.agents import AgentRow


@dataclass(frozen=True, slots=True)
class TransferChoice:
    username: str
    note: str
    tell_customer: bool


class TransferDialog(ModalScreen[TransferChoice | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        # (not priority: it runs after the letters typed before it, see tui/typeahead.py)
        Binding("ctrl+j,alt+enter,ctrl+enter", "submit", "Transfer", id="transfer.submit"),
    ]

    def __init__(self, agents: list[AgentRow], draft: str) -> None:
        super().__init__()
        self.agents = agents
        self.draft = draft

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(Text("Warm transfer", style="bold"), classes="dialog-title")
            yield OptionList(*[Option(Text(f"{a.name} ({a.username})"), id=a.username)
                               for a in self.agents], id="transfer-agents")
            yield Static(Text("Intro note, pinned for the new owner:", style="dim"))
            area = TextArea(self.draft, id="transfer-note", soft_wrap=True)
            area.cursor_blink = False
            yield area
            yield Checkbox("Tell the customer who takes over", id="transfer-tell")
            yield Static(Text("tab next field · ctrl+j transfer · esc cancel", style="dim"))

    def on_mount(self) -> None:
        agents = self.query_one(OptionList)
        agents.highlighted = 0
        agents.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one(TextArea).focus()

    def action_submit(self) -> None:
        agents = self.query_one(OptionList)
        if agents.highlighted is None:
            self.notify("Pick who takes over.", severity="warning")
            return
        note = self.query_one(TextArea).text.strip()
        if not note:
            self.notify("Write a note, so the customer never repeats themselves.",
                        severity="warning")
            return
        self.dismiss(TransferChoice(self.agents[agents.highlighted].username, note,
                                    self.query_one(Checkbox).value))

    def action_cancel(self) -> None:
        self.dismiss(None)
