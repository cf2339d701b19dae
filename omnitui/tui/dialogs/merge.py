"""Merge another customer into this one: find them by name or address, read the preview of
what moves, confirm. Answers with the id of the customer to merge in."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from omnitui.core.merge import preview_merge
from omnitui.store.console_queries import CustomerHit, find_customers
from omnitui.store.db import StoreError
from omnitui.tui.format import display, safe_line


class MergeDialog(ModalScreen[int | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="merge.down"),
        Binding("up", "move(-1)", "Previous", show=False, id="merge.up"),
        # (not priority: it runs after the letters typed before it, see tui/typeahead.py)
        Binding("ctrl+j,alt+enter,ctrl+enter", "confirm", "Merge", id="merge.confirm"),
    ]

    def __init__(self, survivor_id: int, survivor_name: str) -> None:
        super().__init__()
        self.survivor_id = survivor_id
        self.survivor_name = survivor_name
        self.hits: list[CustomerHit] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(Text(f"Merge a customer into {display(self.survivor_name, 40)}",
                              style="bold"), classes="dialog-title")
            yield Input(placeholder="name, email, phone…", id="merge-query")
            yield OptionList(id="merge-list")
            yield Static(id="merge-preview", classes="preview")
            yield Static(Text("↑↓ choose · ctrl+j merge · esc cancel", style="dim"))

    def on_mount(self) -> None:
        query = self.query_one(Input)
        query.cursor_blink = False
        query.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        self.hits = find_customers(store, event.value, exclude=self.survivor_id)
        lst = self.query_one(OptionList)
        lst.clear_options()
        for n, hit in enumerate(self.hits):
            label = Text(no_wrap=True, overflow="ellipsis")
            label.append(f"#{hit.id} {display(hit.name, 30)}", style="bold")
            label.append(f"  {safe_line(hit.addresses)}", style="dim")
            lst.add_option(Option(label, id=str(n)))
        if self.hits:
            lst.highlighted = 0
        self._preview()

    def _selected(self) -> CustomerHit | None:
        lst = self.query_one(OptionList)
        if lst.highlighted is None or lst.highlighted >= len(self.hits):
            return None
        return self.hits[lst.highlighted]

    def _preview(self) -> None:
        hit = self._selected()
        out = Text()
        if hit is not None:
            try:
                p = preview_merge(self.app.store, self.survivor_id, hit.id)  # type: ignore[attr-defined]
            except StoreError as exc:
                out.append(str(exc), style="red")
            else:
                out.append(f"{display(p.merged_name, 30)} becomes part of "
                           f"{display(p.survivor_name, 30)}:\n", style="bold")
                out.append(f"  identities that move: {', '.join(p.identities) or 'none'}\n")
                out.append(f"  {p.conversations} conversation(s), {p.messages} message(s)\n")
                out.append("  Undo later with M (split off) in the conversation, or "
                           "'omnitui customer unmerge'.", style="dim")
        self.query_one("#merge-preview", Static).update(out)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._preview()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_confirm()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def action_move(self, delta: int) -> None:
        lst = self.query_one(OptionList)
        if self.hits:
            current = lst.highlighted if lst.highlighted is not None else -delta
            lst.highlighted = max(0, min(len(self.hits) - 1, current + delta))

    def action_confirm(self) -> None:
        hit = self._selected()
        if hit is not None:
            self.dismiss(hit.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
