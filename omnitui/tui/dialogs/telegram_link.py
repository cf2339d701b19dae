"""The customer's Telegram deep link: sent to them by email or chat, it ties the Telegram
account that opens it to this customer (see channels/telegram/links.py). Answers True when
the agent wants the link put into the reply box."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from omnitui.tui.format import display


class TelegramLinkDialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("enter", "answer(True)", "Put in reply", id="link.reply"),
        Binding("c", "copy", "Copy", id="link.copy"),
        Binding("escape", "answer(False)", "Close", id="link.close"),
    ]

    def __init__(self, customer_name: str, url: str) -> None:
        super().__init__()
        self.customer_name = customer_name
        self.url = url

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(Text(f"Telegram link for {display(self.customer_name, 40)}",
                              style="bold"), classes="dialog-title")
            yield Static(Text(self.url, style="bold"), id="link-url")
            yield Static(Text(
                "Send this link to the customer. When they open it and press Start in "
                "Telegram, their Telegram account joins this customer, and what they write "
                "there lands in this timeline.", style="dim"), classes="preview")
            yield Static(Text("enter put it in the reply · c copy · esc close", style="dim"))

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.url)
        self.app.notify("Link copied (if your terminal allows it).", timeout=2)

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
