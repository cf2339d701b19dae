"""Undo of a conversation action within a few seconds: no single key changes a case for good.

Resolve, reopen, pending, snooze, assign, label and transfer record in their event what they
changed (`before`, `previous_id`, `had`). `undo` puts exactly that back in one transaction that
appends an `undo` event naming the undone event; nothing is deleted, and readers that replay
history (SLA, reports, CSAT) leave the undone event out, so the pair counts as if it never
happened. A withdrawn transfer keeps its note in the timeline and gets a system line under it.

Undo is refused (one sentence) when the window has passed, the action was another agent's, it
was already undone, or someone changed the same thing since: undoing then would overwrite them.
"""

from __future__ import annotations

import json
from typing import Any

from omnitui.core.agents import AgentRow
from omnitui.core.errors import ActionError, NotFound
from omnitui.core.outbox import withdraw_queued
from omnitui.core.permissions import agent_write
from omnitui.core.sanitize import clean_line
from omnitui.store.db import Store, Tx

UNDO_WINDOW = 10.0  # seconds the console offers undo; resolve's automatic messages wait as long
UNDO_GRACE = 2.0  # a key pressed as the toast fades, a slow disk: still in time
UNDO_EVENT = "undo"
UNDOABLE = frozenset({"status", "assign", "label", "unlabel", "transfer"})

# What later events touch, so that undoing an earlier one would overwrite them.
_STATUS_TOUCHES = frozenset({"status", "transfer", "conversation_merged"})
_TOUCHES = {
    "status": _STATUS_TOUCHES,
    "transfer": _STATUS_TOUCHES | {"assign"},
    "assign": frozenset({"assign", "transfer", "conversation_merged"}),
    "label": frozenset({"label", "unlabel"}),
    "unlabel": frozenset({"label", "unlabel"}),
}
_VERBS = {"resolved": "resolved", "open": "reopened", "pending": "set pending",
          "snoozed": "snoozed"}


def undone_ids(tx: Tx, conversation_id: int) -> set[int]:
    """Ids of the conversation's events that were undone (their `undo` events name them)."""
    return {int(r[0]) for r in tx.all(
        f"SELECT {tx.sql.json_int('data', 'undone')} FROM event WHERE conversation_id = ? "
        "AND kind = ?",
        (conversation_id, UNDO_EVENT)) if r[0] is not None}


def undo(store: Store, event_id: int, agent: AgentRow, *, now: float | None = None) -> str:
    """Revert what event `event_id` did; returns one sentence for the agent ("Resolve of #12
    undone."). `now` stands for the clock when deciding whether the window has passed."""
    with agent_write(store, agent) as tx:  # a disabled agent undoes nothing either
        row = tx.one("SELECT id, at, actor, kind, conversation_id, customer_id, message_id, "
                     "data FROM event WHERE id = ?", (event_id,))
        if row is None:
            raise NotFound(f"There is no action {event_id} to undo.")
        data = json.loads(row["data"] or "{}")
        conv_id = row["conversation_id"]
        what = _what(row["kind"], data)
        if row["kind"] not in UNDOABLE or conv_id is None or not _recorded(row["kind"], data):
            raise ActionError(f"The {what} cannot be undone.")
        where = f"{what} of #{conv_id}"
        if row["actor"] != agent.username:
            raise ActionError(f"Only {row['actor']} can undo their {where}.")
        undone = undone_ids(tx, conv_id)
        if event_id in undone:
            raise ActionError(f"The {where} was already undone.")
        at = tx.now if now is None else now
        if at - row["at"] > UNDO_WINDOW + UNDO_GRACE:
            raise ActionError(f"It is too late to undo the {where}: undo lasts "
                              f"{UNDO_WINDOW:.0f} seconds.")
        _refuse_if_changed(tx, row, data, undone, where)
        _REVERT[row["kind"]](tx, row, data, agent)
        status = tx.scalar("SELECT status FROM conversation WHERE id = ?", (conv_id,))
        tx.event(UNDO_EVENT, conversation_id=conv_id, customer_id=row["customer_id"],
                 undone=event_id, undone_kind=row["kind"], status=status)
    return f"{what[:1].upper()}{what[1:]} of #{conv_id} undone."


def _what(kind: str, data: dict[str, Any]) -> str:
    """The action in words, for sentences: "resolve", "transfer to bob", "label vip"."""
    if kind == "status":
        return {"resolved": "resolve", "open": "reopen", "pending": "pending",
                "snoozed": "snooze"}.get(str(data.get("status")), "status change")
    if kind == "transfer":
        return f"transfer to {data.get('to')}"
    if kind == "assign":
        return f"assignment to {data.get('to')}" if data.get("to") else "unassignment"
    if kind in ("label", "unlabel"):
        return f"{'label' if kind == 'label' else 'removal of label'} {data.get('label')}"
    return kind.replace("_", " ")


def _recorded(kind: str, data: dict[str, Any]) -> bool:
    """Whether the event says what it changed (events written before undo existed do not)."""
    key = {"status": "before", "transfer": "before", "assign": "previous_id",
           "label": "had", "unlabel": "had"}[kind]
    return key in data


def _refuse_if_changed(tx: Tx, row: Any, data: dict[str, Any], undone: set[int],
                       where: str) -> None:
    """One sentence naming who changed what since, when undoing would overwrite it."""
    merged = tx.scalar("SELECT merged_into FROM conversation WHERE id = ?",
                       (row["conversation_id"],))
    if merged is not None:
        raise ActionError(f"Cannot undo the {where}: it was merged into #{merged} since.")
    touches = _TOUCHES[row["kind"]]
    for later in tx.all(
        "SELECT id, actor, kind, data FROM event WHERE conversation_id = ? AND id > ? "
        "AND kind IN ('status', 'transfer', 'assign', 'label', 'unlabel', "
        "'conversation_merged', 'message_in') ORDER BY id",
        (row["conversation_id"], row["id"]),
    ):
        if later["id"] in undone:
            continue
        info = json.loads(later["data"] or "{}")
        kind = later["kind"]
        if kind == "message_in":
            if row["kind"] in ("status", "transfer") and info.get("reopened"):
                raise ActionError(f"Cannot undo the {where}: the customer wrote since and "
                                  "reopened it.")
            continue
        if kind not in touches:
            continue
        if kind in ("label", "unlabel") and info.get("label") != data.get("label"):
            continue
        raise ActionError(f"Cannot undo the {where}: {_who(later['actor'])} "
                          f"{_did(kind, info)} since.")


def _who(actor: str) -> str:
    return {"hub:timer": "the snooze timer", "customer": "the customer"}.get(actor, actor)


def _did(kind: str, info: dict[str, Any]) -> str:
    if kind == "status":
        return _VERBS.get(str(info.get("status")), "changed its status") + " it"
    if kind == "transfer":
        return f"transferred it to {info.get('to')}"
    if kind == "assign":
        return f"assigned it to {info['to']}" if info.get("to") else "unassigned it"
    if kind == "conversation_merged":
        return "merged another conversation into it"
    return f"{'added' if kind == 'label' else 'removed'} the label {info.get('label')}"


def _revert_status(tx: Tx, row: Any, data: dict[str, Any], agent: AgentRow) -> None:
    before = dict(data["before"])
    moved = tx.one("SELECT 1 FROM event WHERE conversation_id = ? AND id > ? AND kind IN "
                   "('message_in', 'message_out')", (row["conversation_id"], row["id"]))
    if moved is not None:  # a reply or message since set who waits; that stays as it is now
        before.pop("waiting_since", None)
        before.pop("due_at", None)
    sets = ", ".join(f"{name} = ?" for name in before)
    tx.execute(f"UPDATE conversation SET {sets} WHERE id = ?",
               (*before.values(), row["conversation_id"]))


def _revert_assign(tx: Tx, row: Any, data: dict[str, Any], agent: AgentRow) -> None:
    tx.execute("UPDATE conversation SET assignee_id = ? WHERE id = ?",
               (data["previous_id"], row["conversation_id"]))


def _revert_label(tx: Tx, row: Any, data: dict[str, Any], agent: AgentRow) -> None:
    label_id = tx.scalar("SELECT id FROM label WHERE name = ?", (data["label"],))
    if data["had"]:
        tx.execute("INSERT INTO conversation_label VALUES (?, ?) ON CONFLICT DO NOTHING",
                   (row["conversation_id"], label_id))
    else:
        tx.execute("DELETE FROM conversation_label WHERE conversation_id = ? AND label_id = ?",
                   (row["conversation_id"], label_id))


def _revert_transfer(tx: Tx, row: Any, data: dict[str, Any], agent: AgentRow) -> None:
    """Owner, pinned note, status and the new owner's read mark go back; the note stays in the
    timeline (messages are never deleted) with a system line saying it was withdrawn."""
    conv_id = row["conversation_id"]
    before = data["before"]
    target = tx.scalar("SELECT id FROM agent WHERE username = ?", (data.get("to"),))
    tx.execute("UPDATE conversation SET assignee_id = ?, transfer_message_id = ?, status = ? "
               "WHERE id = ?",
               (before["assignee_id"], before["transfer_message_id"], before["status"], conv_id))
    if target is not None and before["target_read"] is None:
        tx.execute("DELETE FROM conversation_read WHERE conversation_id = ? AND agent_id = ?",
                   (conv_id, target))
    elif target is not None:
        tx.execute("UPDATE conversation_read SET last_read_message_id = ? "
                   "WHERE conversation_id = ? AND agent_id = ?",
                   (before["target_read"], conv_id, target))
    if data.get("notice"):  # "X is taking over" waits for the window: it never leaves
        withdraw_queued(tx, data["notice"], f"not sent: the transfer was withdrawn by "
                                            f"{agent.username}")
    text = clean_line(f"Transfer to {data.get('to')} withdrawn by {agent.username}.") or ""
    message_id = tx.insert("message", {
        "conversation_id": conv_id, "customer_id": row["customer_id"], "kind": "system",
        "agent_id": agent.id, "text": text,
        "meta": json.dumps({"withdrawn": row["message_id"]}),
        "created_at": tx.now})
    tx.execute("UPDATE conversation SET last_message_at = ?, last_message_id = ?, "
               "message_count = message_count + 1 WHERE id = ?", (tx.now, message_id, conv_id))


_REVERT = {"status": _revert_status, "assign": _revert_assign, "label": _revert_label,
           "unlabel": _revert_label, "transfer": _revert_transfer}
