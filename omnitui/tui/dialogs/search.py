"""Search as you type: full-text over every message (and customer names), newest first.
Answers with the conversation id to open."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from omnitui.store.queries import SearchHit, search_messages
from omnitui.tui.format import display, safe_line

LIMIT = 50


class SearchDialog(ModalScreen[int | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="search.down"),
        Binding("up", "move(-1)", "Previous", show=False, id="search.up"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[SearchHit] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide tall"):
            yield Static(Text("Search messages and customers", style="bold"),
                         classes="dialog-title")
            yield Input(placeholder="words or prefixes…", id="search-query")
            yield OptionList(id="search-list")
            yield Static(Text("↑↓ choose · enter open · esc cancel", style="dim"))

    def on_mount(self) -> None:
        query = self.query_one(Input)
        query.cursor_blink = False
        query.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.run_search(event.value)

    def run_search(self, text: str) -> None:
        app = self.app
        self.hits = search_messages(app.store, text, limit=LIMIT)  # type: ignore[attr-defined]
        lst = self.query_one(OptionList)
        lst.clear_options()
        for n, hit in enumerate(self.hits):
            when = datetime.fromtimestamp(hit.created_at, app.tz).strftime("%d %b")  # type: ignore[attr-defined]
            label = Text(no_wrap=True, overflow="ellipsis")
            label.append(f"{when} ", style="dim")
            label.append(f"#{hit.conversation_id} ", style="dim")
            label.append(display(hit.customer, 18), style="bold")
            label.append(f" {safe_line(hit.channel or hit.kind)}: ", style="dim")
            label.append(display(hit.text, 200))
            lst.add_option(Option(label, id=str(n)))
        if self.hits:
            lst.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        lst = self.query_one(OptionList)
        if lst.highlighted is not None and self.hits:
            self.dismiss(self.hits[lst.highlighted].conversation_id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.hits[int(event.option.id or 0)].conversation_id)

    def action_move(self, delta: int) -> None:
        lst = self.query_one(OptionList)
        if self.hits:
            current = lst.highlighted if lst.highlighted is not None else -delta
            lst.highlighted = max(0, min(len(self.hits) - 1, current + delta))

    def action_cancel(self) -> None:
        self.dismiss(None)
