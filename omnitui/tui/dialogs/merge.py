"""Merge another customer into this one: find them by name or address, read the preview of
what moves (and which live conversations fold into one), confirm. Answers with a MergeChoice:
the customer to merge in and whether to fold."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from omnitui.core.merge import MergePreview, preview_merge
from omnitui.store.console_queries import CustomerHit, find_customers
from omnitui.store.db import StoreError
from omnitui.tui.format import display, safe_line


@dataclass(frozen=True, slots=True)
class MergeChoice:
    customer_id: int  # the customer merged in
    fold: bool  # fold the two live conversations into the older one


class MergeDialog(ModalScreen[MergeChoice | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="merge.down"),
        Binding("up", "move(-1)", "Previous", show=False, id="merge.up"),
        # (not priority: it runs after the letters typed before it, see tui/typeahead.py)
        Binding("ctrl+j,alt+enter,ctrl+enter", "confirm", "Merge", id="merge.confirm"),
        Binding("ctrl+f", "toggle_fold", "Fold on/off", id="merge.fold"),
    ]

    def __init__(self, survivor_id: int, survivor_name: str,
                 suggested: CustomerHit | None = None) -> None:
        """`suggested`: the customer a recognition suggestion names, listed alone at first."""
        super().__init__()
        self.survivor_id = survivor_id
        self.survivor_name = survivor_name
        self.suggested = suggested
        self.hits: list[CustomerHit] = []
        self.fold = True  # one case stays one case, unless the agent says otherwise

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(Text(f"Merge a customer into {display(self.survivor_name, 40)}",
                              style="bold"), classes="dialog-title")
            yield Input(placeholder="name, email, phone…", id="merge-query")
            yield OptionList(id="merge-list")
            yield Static(id="merge-preview", classes="preview")
            yield Static(Text("↑↓ choose · ctrl+j merge · ctrl+f fold on/off · esc cancel",
                              style="dim"))

    def on_mount(self) -> None:
        query = self.query_one(Input)
        query.cursor_blink = False
        query.focus()
        if self.suggested is not None:
            self._show_hits([self.suggested])

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.suggested is not None and not event.value:
            return  # keep the suggested customer until the agent searches for another
        store = self.app.store  # type: ignore[attr-defined]
        self._show_hits(find_customers(store, event.value, exclude=self.survivor_id))

    def _show_hits(self, hits: list[CustomerHit]) -> None:
        self.hits = hits
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
                out.append(f"{display(p.merged_name, 30)} (#{p.merged_id}) becomes part of "
                           f"{display(p.survivor_name, 30)} (#{p.survivor_id}):\n", style="bold")
                out.append(f"  identities that move: {', '.join(p.identities) or 'none'}\n")
                out.append(f"  {p.conversations} conversation(s), {p.messages} message(s)\n")
                self._fold_lines(out, p)
                out.append("  Undo later with M (split off) in the conversation, or "
                           "'omnitui customer unmerge'.", style="dim")
        self.query_one("#merge-preview", Static).update(out)

    def _fold_lines(self, out: Text, p: MergePreview) -> None:
        """What folding does, and whether it is on (only when both have a live case)."""
        if p.fold_plan is None:
            return
        mark = "☑ fold into one case" if self.fold else "☐ keep both cases"
        out.append(f"  {mark} (ctrl+f): ", style="bold")
        plan = p.fold_plan.describe()
        out.append((plan if self.fold else "both conversations stay in the inbox.") + "\n")

    def action_toggle_fold(self) -> None:
        self.fold = not self.fold
        self._preview()

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
            self.dismiss(MergeChoice(hit.id, self.fold))

    def action_cancel(self) -> None:
        self.dismiss(None)
