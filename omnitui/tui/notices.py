"""Toasts that bring the agent to a customer: a new conversation nobody has, a customer writing
in one of mine, a response target missed (mine, or nobody's: then every console says so).

Read from the change feed as it arrives, so a notice shows the moment the hub records the
event. `[inbox] notify_new`, `notify_reply`, `notify_breach` switch each kind off; `bell`
also rings the terminal bell, for an agent whose console sits in another tmux window. A burst
(a mailbox synced after a night) becomes one toast per kind, not a column of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from omnitui.config_inbox import InboxSettings
from omnitui.core.feed import Event
from omnitui.store.db import Store
from omnitui.tui.format import display

BURST = 3  # more notices of one kind in one batch than this: one toast saying how many
TARGETS = {"first": "first response", "next": "next response", "resolution": "resolution"}


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str  # new | reply | breach
    title: str
    text: str
    severity: str = "information"


class Notices:
    """Turns feed events into the notices one agent should see."""

    def __init__(self, store: Store, agent_id: int, settings: InboxSettings) -> None:
        self.store = store
        self.agent_id = agent_id
        self.settings = settings

    def _conversation(self, conversation_id: int) -> tuple[int | None, str] | None:
        row = self.store.conn.execute(
            "SELECT c.assignee_id, cu.name FROM conversation c JOIN customer cu ON "
            "cu.id = c.customer_id WHERE c.id = ?", (conversation_id,)).fetchone()
        return None if row is None else (row[0], row[1] or "")

    def for_events(self, events: Iterable[Event], on_screen: int | None) -> list[Notice]:
        """Notices for a batch of events; none for the conversation the agent is reading."""
        found: dict[str, list[Notice]] = {"new": [], "reply": [], "breach": []}
        for event in events:
            cid = event.conversation_id
            if cid is None or cid == on_screen:
                continue
            if event.kind == "message_in":
                self._message_in(event, cid, found)
            elif event.kind == "sla_breach" and self.settings.notify_breach:
                conv = self._conversation(cid)
                if conv is not None and conv[0] in (None, self.agent_id):
                    target = TARGETS.get(str(event.data.get("target")), "response")
                    found["breach"].append(Notice(
                        "breach", "Target missed",
                        f"#{cid} {display(conv[1], 30)}: the {target} target has passed.",
                        "warning"))
        out: list[Notice] = []
        for kind, notices in found.items():
            if len(notices) > BURST:
                out.append(_summary(kind, len(notices)))
            else:
                out.extend(notices)
        return out

    def _message_in(self, event: Event, cid: int, found: dict[str, list[Notice]]) -> None:
        new = bool(event.data.get("new_conversation"))
        if (new and not self.settings.notify_new) or (not new and not self.settings.notify_reply):
            return
        conv = self._conversation(cid)
        if conv is None:
            return
        owner, name = conv
        if new and owner is None:
            found["new"].append(Notice("new", "New conversation",
                                       f"{display(name, 30)} wrote (#{cid}); nobody has it yet."))
        elif not new and owner == self.agent_id:
            found["reply"].append(Notice("reply", "New message",
                                         f"{display(name, 30)} wrote in #{cid}."))


def _summary(kind: str, count: int) -> Notice:
    if kind == "new":
        return Notice(kind, "New conversations", f"{count} new conversations; nobody has them.")
    if kind == "reply":
        return Notice(kind, "New messages", f"{count} customers wrote in your conversations.")
    return Notice(kind, "Targets missed", f"{count} response targets have passed.", "warning")


def show(notices: list[Notice], notify: Callable[..., None], bell: Callable[[], None] | None,
         ) -> None:
    """Toast each notice (plain text, never markup); ring once for the batch when asked."""
    for notice in notices:
        notify(notice.text, title=notice.title, severity=notice.severity, markup=False,
               timeout=8)
    if notices and bell is not None:
        bell()
