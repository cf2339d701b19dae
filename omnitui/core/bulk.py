"""One action on many conversations: resolve, reopen, set pending, snooze, assign or label.

An agent marks conversations in the inbox, then acts on all of them at once. Everything is one
checked write (`agent_write`), and each conversation gets the same event a single action writes,
so undo, SLA clocks, reports and the rating request treat them exactly as single actions.

A conversation someone else changed after it was marked (another agent's status, assignment,
label, transfer or reply, a customer's new message, a merge) is left as it is: the agent decided
on what they saw, not on what is there now. The rest are changed, and the result says which were
skipped and why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from omnitui.core.actions import assign_in, label_in, status_in
from omnitui.core.agents import AgentRow, get_agent
from omnitui.core.errors import ActionError
from omnitui.core.permissions import agent_write
from omnitui.core.sanitize import clean_line
from omnitui.store.db import Store, Tx

# What another hand did to a conversation that makes a decision taken before it stale.
CHANGES = frozenset({"status", "assign", "transfer", "label", "unlabel", "conversation_merged",
                     "message_out", "message_in", "undo"})
OPERATIONS = ("resolve", "reopen", "pending", "snooze", "assign", "label", "unlabel")


@dataclass(frozen=True, slots=True)
class Skipped:
    conversation_id: int
    reason: str  # "bob resolved it", "the customer wrote again", "it was merged into #4"


@dataclass
class BulkResult:
    event_ids: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def summary(self, done: str) -> str:
        """One sentence for the agent: "Resolved 4 conversations; skipped #7 (bob resolved
        it)." `done` is the past-tense verb phrase, "Resolved"."""
        count = len(self.changed)
        said = f"{done} {count} conversation{'s' if count != 1 else ''}"
        if not self.skipped:
            return said + "."
        why = ", ".join(f"#{s.conversation_id} ({s.reason})" for s in self.skipped[:6])
        more = f" and {len(self.skipped) - 6} more" if len(self.skipped) > 6 else ""
        return f"{said}; skipped {why}{more}: changed since you marked them."


_WHAT = {"status": "changed its status", "assign": "reassigned it", "transfer": "transferred it",
         "label": "labelled it", "unlabel": "labelled it", "message_out": "replied",
         "undo": "undid a change", "conversation_merged": "merged into it"}


def _changed_by_others(tx: Tx, conversation_id: int, since_event: int,
                       username: str) -> str | None:
    """Why the conversation is not as the agent saw it at `since_event`, or None."""
    row = tx.one(
        "SELECT kind, actor, data FROM event WHERE conversation_id = ? AND id > ? "
        f"AND kind IN ({', '.join('?' * len(CHANGES))}) AND actor != ? ORDER BY id LIMIT 1",
        (conversation_id, since_event, *sorted(CHANGES), username))
    if row is None:
        return None
    if row["kind"] == "message_in":
        return "the customer wrote again"
    return f"{row['actor']} {_WHAT.get(row['kind'], 'changed it')}"


def apply(store: Store, agent: AgentRow, marked: Mapping[int, int], operation: str, *,
          to_username: str | None = None, label: str | None = None,
          until: float | None = None, until_reply: bool = False) -> BulkResult:
    """Apply `operation` to the conversations of `marked` ({conversation id: the newest event
    id when it was marked}), skipping those changed since by anyone but `agent`."""
    if operation not in OPERATIONS:
        raise ActionError(f"Unknown bulk action '{operation}'; one of {', '.join(OPERATIONS)}.")
    if operation == "snooze" and until is None and not until_reply:
        raise ActionError("Snooze needs a time or 'until the next reply'.")
    name = (clean_line(label or "") or "").strip().lower()
    if operation in ("label", "unlabel") and not name:
        raise ActionError("A label needs a name.")
    target = get_agent(store, to_username) if operation == "assign" and to_username else None
    change: Callable[[Tx, int], int] = {
        "resolve": lambda tx, cid: status_in(tx, cid, "resolved"),
        "reopen": lambda tx, cid: status_in(tx, cid, "open"),
        "pending": lambda tx, cid: status_in(tx, cid, "pending"),
        "snooze": lambda tx, cid: status_in(tx, cid, "snoozed", until, until_reply),
        "assign": lambda tx, cid: assign_in(tx, cid, target),
        "label": lambda tx, cid: label_in(tx, cid, name),
        "unlabel": lambda tx, cid: label_in(tx, cid, name, remove=True),
    }[operation]
    result = BulkResult()
    with agent_write(store, agent) as tx:
        for conversation_id, since in sorted(marked.items()):
            row = tx.one("SELECT merged_into FROM conversation WHERE id = ?", (conversation_id,))
            if row is None:
                result.skipped.append(Skipped(conversation_id, "it no longer exists"))
                continue
            if row["merged_into"] is not None:
                result.skipped.append(Skipped(conversation_id,
                                              f"it was merged into #{row['merged_into']}"))
                continue
            why = _changed_by_others(tx, conversation_id, since, agent.username)
            if why is not None:
                result.skipped.append(Skipped(conversation_id, why))
                continue
            result.event_ids.append(change(tx, conversation_id))
            result.changed.append(conversation_id)
    return result

