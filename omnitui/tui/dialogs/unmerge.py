"""Split a customer off again: pick one of the customers merged into this one, read what goes
back, confirm. Answers with the id of the customer to split off (see core.merge)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from omnitui.store.merge_queries import MergeRecord
from omnitui.tui.format import display


class UnmergeDialog(ModalScreen[int | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        # (not priority: it runs after the keys typed before it, see tui/typeahead.py)
        Binding("ctrl+j,alt+enter,ctrl+enter", "confirm", "Unmerge", id="unmerge.confirm"),
    ]

    def __init__(self, customer_name: str, merges: list[MergeRecord], tz: tzinfo) -> None:
        super().__init__()
        self.customer_name = customer_name
        self.merges = merges
        self.tz = tz

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(Text(f"Unmerge a customer from {display(self.customer_name, 40)}",
                              style="bold"), classes="dialog-title")
            options = []
            for n, m in enumerate(self.merges):
                label = Text(no_wrap=True, overflow="ellipsis")
                label.append(f"#{m.merged_id} {display(m.merged_name, 30)}", style="bold")
                when = datetime.fromtimestamp(m.at, self.tz).strftime("%d %b %H:%M")
                label.append(f"  merged {when}" + (f" by {display(m.by, 20)}" if m.by else ""),
                             style="dim")
                options.append(Option(label, id=str(n)))
            yield OptionList(*options, id="unmerge-list")
            yield Static(id="unmerge-preview", classes="preview")
            yield Static(Text("↑↓ choose · enter unmerge · esc cancel",
                              style="dim"))

    def on_mount(self) -> None:
        lst = self.query_one(OptionList)
        lst.highlighted = 0
        self.set_focus(lst)
        self._preview()

    def _selected(self) -> MergeRecord | None:
        n = self.query_one(OptionList).highlighted
        return self.merges[n] if n is not None and n < len(self.merges) else None

    def _preview(self) -> None:
        m = self._selected()
        out = Text()
        if m is not None:
            out.append(f"{display(m.merged_name, 40)} becomes a customer of their own again:\n",
                       style="bold")
            out.append("  identities that go back: ")
            out.append(", ".join(display(i, 40) for i in m.identities) or "none")
            out.append(f"\n  {m.conversations} conversation(s) go back with them.")
            for target, folded in m.folds:
                out.append(f"\n  #{folded} is split out of #{target} again, with its "
                           "messages, state and agent as before.")
        self.query_one("#unmerge-preview", Static).update(out)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._preview()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        m = self._selected()
        if m is not None:
            self.dismiss(m.merged_id)

    def action_cancel(self) -> None:
        self.dismiss(None)
