"""The inbox screen: one merged list of every channel's conversations, and its views."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from omnitui.core.feed import Event
from omnitui.store.console_queries import conversation_channels, label_names
from omnitui.store.queries import InboxView
from omnitui.tui import keymap
from omnitui.tui.format import safe_line
from omnitui.tui.widgets.inbox_list import InboxList
from omnitui.tui.widgets.status_line import StatusLine

STATUSES = ("open", "pending", "snoozed", "resolved", "any")
REFRESH_SECONDS = 30.0  # waiting times move even when nothing happens
LIST_EVENTS = frozenset({"message_in", "message_out", "note", "transfer", "assign", "status",
                         "label", "unlabel", "read", "conversation_merged", "customer_merged",
                         "customer_unmerged", "call", "delivery", "message_edited", "undo"})


def describe(view: InboxView) -> str:
    parts = {"mine": "Mine", "unassigned": "Unassigned", "all": "All"}[view.scope]
    if view.channel:
        parts += f" · channel {view.channel}"
    if view.label:
        parts += f" · #{view.label}"
    if view.status and view.status != "active":
        parts += f" · {view.status}"
    return parts


class InboxScreen(Screen[None]):
    """Every conversation from every channel, longest-waiting first."""

    SCOPES = ("inbox",)
    BINDINGS = [b for b in keymap.bindings("inbox")
                if b.action.startswith("view") or b.action == "pick_view"]
    _suspended = False  # set once another screen has covered this one

    def compose(self) -> ComposeResult:
        yield Static(id="inbox-title")
        yield InboxList(self.app.store, self._view("mine"), self.app.now,  # type: ignore[attr-defined]
                        id="inbox-list")
        yield StatusLine(id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self._show_title()
        self.query_one(InboxList).focus()
        self.set_interval(REFRESH_SECONDS, self._refresh_ages, name="ages")

    @property
    def in_front(self) -> bool:
        """On top, or seen through a dialog. (`is_current` alone is also True under the
        opaque conversation screen: Textual counts the screen below as a background screen,
        so every feed event reloaded an invisible inbox and repainted its rows.)"""
        top = self.app.screen
        return top is self or (isinstance(top, ModalScreen) and self.is_current)

    def _refresh_ages(self) -> None:
        if self.in_front:
            self.inbox.refresh()

    def on_screen_suspend(self) -> None:
        self._suspended = True

    def on_screen_resume(self) -> None:
        """Back from another screen: re-read what changed meanwhile. (Textual also sends this
        when the screen is first shown, just after the list read itself: skip that one.)"""
        if self._suspended:
            self.query_one(InboxList).reload()
        self._show_title()

    def _view(self, scope: str, **kw: object) -> InboxView:
        return InboxView(scope=scope, agent_id=self.app.agent.id, **kw)  # type: ignore[attr-defined, arg-type]

    @property
    def inbox(self) -> InboxList:
        return self.query_one(InboxList)

    def _show_title(self) -> None:
        lst = self.inbox
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(" Inbox: ", style="bold")
        title.append(safe_line(describe(lst.view)), style="bold")
        title.append(f"  {lst.count} conversation{'s' if lst.count != 1 else ''}", style="dim")
        title.append("   1 mine · 2 unassigned · 3 all · v views · / search · ? help",
                     style="dim")
        self.query_one("#inbox-title", Static).update(title)

    def set_view(self, view: InboxView) -> None:
        self.inbox.reload(view)
        self._show_title()

    def action_view(self, scope: str) -> None:
        self.set_view(self._view(scope))

    def action_pick_view(self) -> None:
        from omnitui.tui.dialogs.pick import PickDialog

        store = self.app.store  # type: ignore[attr-defined]
        options: list[tuple[str, InboxView]] = [
            ("Mine", self._view("mine")), ("Unassigned", self._view("unassigned")),
            ("All active", self._view("all"))]
        channels = sorted(set(self.app.settings.channels) | set(conversation_channels(store)))  # type: ignore[attr-defined]
        options += [(f"Channel: {c}", self._view("all", channel=c)) for c in channels]
        options += [(f"Status: {s}", self._view("all", status=s)) for s in STATUSES]
        options += [(f"Label: #{n}", self._view("all", label=n, status="any"))
                    for n in label_names(store)]

        def chosen(view: InboxView | None) -> None:
            if view is not None:
                self.set_view(view)

        self.app.push_screen(PickDialog("Show conversations", options), chosen)

    def on_inbox_list_opened(self, message: InboxList.Opened) -> None:
        self.app.open_conversation(message.conversation_id)  # type: ignore[attr-defined]

    def store_changed(self, events: list[Event]) -> None:
        if not self.in_front:
            return  # hidden under a conversation: on_screen_resume re-reads it anyway
        if any(e.kind in LIST_EVENTS for e in events):
            self.inbox.reload()
            self._show_title()
        if any(e.kind in ("channel_state", "message_out", "delivery", "outbox") for e in events):
            self.query_one(StatusLine).update_status()
