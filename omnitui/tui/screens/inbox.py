"""The inbox screen: the work first. It opens on "Needs reply" (mine or nobody's, the customer
waiting, most urgent first); the header lists the main views with their real counts and keys."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Static

from omnitui.core.feed import Event
from omnitui.store.console_queries import conversation_channels, label_names
from omnitui.store.inbox_query import InboxView
from omnitui.store.inbox_views import (
    NamedView,
    configured_view,
    default_view,
    header_views,
    more_views,
    view_counts,
)
from omnitui.tui import keymap
from omnitui.tui.compositor import use_partial_compositor
from omnitui.tui.database_trouble import DATABASE_ERRORS
from omnitui.tui.format import display
from omnitui.tui.screens.compose_actions import ComposeActions
from omnitui.tui.screens.inbox_bulk import InboxBulk
from omnitui.tui.widgets.inbox_list import LIST_ACTIONS, InboxList
from omnitui.tui.widgets.status_line import StatusLine

REFRESH_SECONDS = 30.0  # deadlines move even when nothing happens
LIST_EVENTS = frozenset({"message_in", "message_out", "note", "transfer", "assign", "status",
                         "label", "unlabel", "read", "conversation_merged", "customer_merged",
                         "customer_unmerged", "call", "delivery", "message_edited", "undo",
                         "sla_breach", "conversation_unfolded", "suggestion"})
EMPTY = {"needs_reply": " Nobody waits for a reply. 4 shows every conversation.",
         "mine": " Nothing assigned to you. 1 shows who needs a reply.",
         "unassigned": " Every conversation has an agent."}


class InboxScreen(InboxBulk, ComposeActions, Screen[None]):
    """Every conversation from every channel, most urgent first."""

    SCOPES = ("inbox",)
    BINDINGS = [b for b in keymap.bindings("inbox") if b.action not in LIST_ACTIONS]
    KEYS_REACH_APP = True  # no key handler of its own (see typeahead.keys_reach_app)
    DEFAULT_CSS = "#inbox-views { height: 1; background: $boost; }"
    _suspended = False  # set once another screen has covered this one

    def __init__(self) -> None:
        super().__init__()
        use_partial_compositor(self)  # an arrow key renders its two rows, not every widget

    def compose(self) -> ComposeResult:
        agent_id = self.app.agent.id  # type: ignore[attr-defined]
        self.views = header_views(agent_id)
        self.counts = [0] * len(self.views)
        yield Static(id="inbox-views")
        yield Static(id="inbox-title")
        start = default_view(self.app.settings.inbox, agent_id)  # type: ignore[attr-defined]
        yield InboxList(self.app.store, start.view, self.app.now,  # type: ignore[attr-defined]
                        start=self.app.first_read("inbox"), id="inbox-list")  # type: ignore[attr-defined]
        self.current = start
        yield StatusLine(id="status-line")
        yield Footer()

    def _configured(self) -> list[NamedView]:
        agent_id = self.app.agent.id  # type: ignore[attr-defined]
        return [configured_view(v, agent_id) for v in self.app.settings.inbox.views]  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        self._set_empty_text()
        self._show_title()
        self.inbox.focus()
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
            self.inbox.reload()
            self._show_title()  # (on_mount has counted the views the first time)

    @property
    def inbox(self) -> InboxList:
        return self.query_one(InboxList)

    def next_start(self) -> tuple[int | None, bool]:
        """Where the next-waiting key starts from here: the highlighted row, itself included."""
        return self.inbox.selected_id, True

    # header -----------------------------------------------------------------------------------
    def _show_title(self) -> None:
        try:
            self.counts = (self.app.first_read("header_counts")  # type: ignore[attr-defined]
                           or view_counts(self.app.store, self.views))  # type: ignore[attr-defined]
        except DATABASE_ERRORS as exc:  # the counts as last read
            self.app.database_failed(exc)  # type: ignore[attr-defined]
        bar = Text(no_wrap=True, overflow="ellipsis", end="")
        for n, (named, count) in enumerate(zip(self.views, self.counts, strict=True)):
            key = self._key_of(named)
            if n:
                bar.append(" · ", style="dim")
            bar.append(f" {key} ", style="reverse bold")
            here = named.view == self.inbox.view
            bar.append(f" {named.name} ", style="bold underline" if here else "")
            bar.append(str(count), style="bold" if here else "")
        self.query_one("#inbox-views", Static).update(bar, layout=False)  # (one line high)
        lst = self.inbox
        title = Text(no_wrap=True, overflow="ellipsis", end="")
        title.append(" Inbox: ", style="bold")
        title.append(display(self.current.name, 40), style="bold")
        title.append(f"  {lst.count} conversation{'s' if lst.count != 1 else ''}", style="dim")
        if lst.marks:
            title.append(f"  {len(lst.marks)} marked", style="bold reverse")
            title.append("  esc clears", style="dim")
        else:
            title.append("   space next waiting · x mark · v views · ? help", style="dim")
        self.query_one("#inbox-title", Static).update(title, layout=False)

    def _key_of(self, named: NamedView) -> str | None:
        """The key that shows a header view, as the agent's `[keys]` have it."""
        if named.key is None:
            return None
        spec = keymap.BY_ID[f"inbox.{named.view.scope}"]
        keys = keymap.effective_keys(spec, self.app.keys)  # type: ignore[attr-defined]
        return keymap.pretty_keys(keys).split(" / ")[0]

    def on_inbox_list_marks_changed(self, message: InboxList.MarksChanged) -> None:
        self._show_title()

    # views ------------------------------------------------------------------------------------
    def set_named_view(self, named: NamedView) -> None:
        self.current = named
        self.inbox.reload(named.view)
        self._set_empty_text()
        self._show_title()

    def set_view(self, view: InboxView) -> None:
        known = [*self.views, *self._configured()]
        self.set_named_view(next((v for v in known if v.view == view),
                                 NamedView(describe(view), view)))

    def _set_empty_text(self) -> None:
        self.inbox.empty_text = EMPTY.get(self.inbox.view.scope, " Nothing here.") \
            if self.current in self.views else " Nothing in this view."

    def action_view(self, scope: str) -> None:
        self.set_named_view(next(v for v in self.views if v.view.scope == scope))

    def all_views(self) -> list[NamedView]:
        """Every view the picker offers: the header's, the further ones, each channel and
        label, and the config's own."""
        store = self.app.store  # type: ignore[attr-defined]
        agent_id = self.app.agent.id  # type: ignore[attr-defined]
        views = [*self.views, *more_views(agent_id)]
        channels = sorted(set(self.app.settings.channels) | set(conversation_channels(store)))  # type: ignore[attr-defined]
        views += [NamedView(f"Channel {c}", InboxView(scope="all", agent_id=agent_id,
                                                       channel=c)) for c in channels]
        views += [NamedView(f"Label #{n}", InboxView(scope="all", agent_id=agent_id, label=n,
                                                     status="any")) for n in label_names(store)]
        return views + self._configured()

    def action_pick_view(self) -> None:
        from omnitui.tui.dialogs.pick import PickDialog

        views = self.all_views()
        counts = view_counts(self.app.store, views)  # type: ignore[attr-defined]
        options: list[tuple[str | Text, NamedView]] = []
        for named, count in zip(views, counts, strict=True):
            label = Text(no_wrap=True, overflow="ellipsis")
            key = self._key_of(named)
            label.append(f" {key} " if key else "   ", style="reverse bold" if key else "")
            label.append(f" {display(named.name, 40)} ")
            label.append(str(count), style="bold" if count else "dim")
            options.append((label, named))

        def chosen(named: NamedView | None) -> None:
            if named is not None:
                self.set_named_view(named)

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

    def reload(self) -> None:
        """After an undo: show it at once."""
        self.inbox.reload()
        self._show_title()


def describe(view: InboxView) -> str:
    """A name for a view no list names (the command palette, tests)."""
    parts = {"mine": "Mine", "unassigned": "Unassigned", "all": "All",
             "needs_reply": "Needs reply"}[view.scope]
    if view.channel:
        parts += f" · channel {view.channel}"
    if view.label:
        parts += f" · #{view.label}"
    if view.unread:
        parts += " · unread"
    if view.failed:
        parts += " · failed deliveries"
    if view.status and view.status != "active" and view.scope != "needs_reply":
        parts += f" · {view.status}"
    return parts

