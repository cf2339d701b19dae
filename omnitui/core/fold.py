"""One case stays one case: when two customers who each have a live conversation are merged,
the newer conversation folds into the older one.

The older conversation survives with its assignee and its pinned transfer note; the newer one's
messages move into it and it leaves the inbox (marked merged into the older one, like a
conversation merge). Each fold is written down (`conversation_fold`): the messages it moved and
both conversations' fields before and after, so unmerging the customers puts everything back,
except what somebody changed in the surviving conversation since (that stays as it is now).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from omnitui.store.db import Tx

LIVE_STATUSES = ("open", "pending", "snoozed")
# The conversation columns a fold changes and an unfold restores.
FIELDS = ("status", "assignee_id", "waiting_since", "snoozed_until", "snooze_until_reply",
          "due_at", "subject", "transfer_message_id", "message_count", "last_message_at",
          "last_message_id", "last_inbound_at", "preview", "first_response_at", "merged_into")


@dataclass(frozen=True, slots=True)
class FoldedCase:
    """One live conversation that would fold into the surviving one."""

    id: int
    channel: str
    messages: int


@dataclass(frozen=True, slots=True)
class FoldPlan:
    """What folding would do: `folded` move into `target`, which keeps `assignee`."""

    target_id: int
    target_channel: str
    assignee: str | None  # the agent's username, None when nobody has it
    folded: tuple[FoldedCase, ...]

    def describe(self) -> str:
        """One sentence for the merge preview (CLI and console)."""
        cases = ", ".join(f"#{c.id} ({c.channel}, {c.messages} message"
                          f"{'' if c.messages == 1 else 's'})" for c in self.folded)
        keeps = f"assigned to {self.assignee}" if self.assignee else "unassigned"
        return (f"{cases} {'folds' if len(self.folded) == 1 else 'fold'} into the older "
                f"conversation #{self.target_id} ({self.target_channel}, {keeps}).")


def _live(tx: Tx, customer_id: int) -> list[Any]:
    return tx.all(
        "SELECT id, channel, created_at, customer_id FROM conversation WHERE customer_id = ? "
        f"AND merged_into IS NULL AND status IN {LIVE_STATUSES} ORDER BY created_at, id",
        (customer_id,))


def plan_fold(tx: Tx, survivor_id: int, merged_id: int) -> FoldPlan | None:
    """The fold a merge of these two customers would make, or None when they do not both have
    a live conversation. The oldest live conversation of the two survives; the other customer's
    live conversations fold into it (a customer's own conversations are left as they are)."""
    mine, theirs = _live(tx, survivor_id), _live(tx, merged_id)
    if not mine or not theirs:
        return None
    target = min(mine[0], theirs[0], key=lambda r: (r["created_at"], r["id"]))
    others = theirs if target["customer_id"] == survivor_id else mine
    folded = tuple(FoldedCase(r["id"], r["channel"], int(tx.scalar(
        "SELECT count(*) FROM message WHERE conversation_id = ?", (r["id"],)) or 0))
        for r in others)
    assignee = tx.scalar("SELECT a.username FROM conversation c JOIN agent a "
                         "ON a.id = c.assignee_id WHERE c.id = ?", (target["id"],))
    if assignee is None:  # the surviving case takes the folded one's agent when it has none
        assignee = next((tx.scalar(
            "SELECT a.username FROM conversation c JOIN agent a ON a.id = c.assignee_id "
            "WHERE c.id = ?", (c.id,)) for c in folded), None)
    return FoldPlan(target["id"], target["channel"], assignee, folded)


def _snapshot(tx: Tx, conversation_id: int) -> dict[str, Any]:
    row = tx.one(f"SELECT {', '.join(FIELDS)} FROM conversation WHERE id = ?",
                 (conversation_id,))
    assert row is not None
    return {name: row[name] for name in FIELDS}


def _set(tx: Tx, conversation_id: int, values: dict[str, Any]) -> None:
    if values:
        sets = ", ".join(f"{name} = ?" for name in values)
        tx.execute(f"UPDATE conversation SET {sets} WHERE id = ?",
                   (*values.values(), conversation_id))


def _earliest(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _latest(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def fold(tx: Tx, merge_id: int, plan: FoldPlan) -> None:
    """Fold each of `plan.folded` into `plan.target_id` (inside the merge's transaction)."""
    for case in plan.folded:
        _fold_one(tx, merge_id, plan.target_id, case.id)


def _fold_one(tx: Tx, merge_id: int, target_id: int, folded_id: int) -> None:
    target, folded = _snapshot(tx, target_id), _snapshot(tx, folded_id)
    message_ids = [r[0] for r in tx.all(
        "SELECT id FROM message WHERE conversation_id = ? ORDER BY id", (folded_id,))]
    tx.execute("UPDATE message SET conversation_id = ? WHERE conversation_id = ?",
               (target_id, folded_id))
    labels_added = [r[0] for r in tx.all(
        "SELECT label_id FROM conversation_label WHERE conversation_id = ? AND label_id NOT IN "
        "(SELECT label_id FROM conversation_label WHERE conversation_id = ?)",
        (folded_id, target_id))]
    tx.executemany("INSERT INTO conversation_label (conversation_id, label_id) VALUES (?, ?)",
                   [(target_id, label) for label in labels_added])
    newer_last = (folded["last_message_at"] or 0) > (target["last_message_at"] or 0)
    changes: dict[str, Any] = {
        "message_count": tx.scalar("SELECT count(*) FROM message WHERE conversation_id = ?",
                                   (target_id,)),
        "last_message_id": tx.scalar("SELECT max(id) FROM message WHERE conversation_id = ?",
                                     (target_id,)),
        "last_message_at": _latest(target["last_message_at"], folded["last_message_at"]),
        "last_inbound_at": _latest(target["last_inbound_at"], folded["last_inbound_at"]),
        "preview": folded["preview"] if newer_last else target["preview"],
        "waiting_since": _earliest(target["waiting_since"], folded["waiting_since"]),
        "due_at": _earliest(target["due_at"], folded["due_at"]),
        "first_response_at": _earliest(target["first_response_at"],
                                       folded["first_response_at"]),
        "assignee_id": target["assignee_id"] or folded["assignee_id"],
        "transfer_message_id": target["transfer_message_id"] or folded["transfer_message_id"],
        "subject": target["subject"] or folded["subject"],
    }
    if folded["waiting_since"] is not None and target["status"] != "open":
        # The customer waits in the folded case: as if they had written in this one.
        changes.update(status="open", snoozed_until=None, snooze_until_reply=0)
    _set(tx, target_id, changes)
    _set(tx, folded_id, {"merged_into": target_id, "status": "resolved", "message_count": 0,
                         "waiting_since": None, "due_at": None, "snoozed_until": None,
                         "snooze_until_reply": 0})
    tx.insert("conversation_fold", {
        "merge_id": merge_id, "target_id": target_id, "folded_id": folded_id,
        "message_ids": json.dumps(message_ids), "labels_added": json.dumps(labels_added),
        "target_before": json.dumps(target), "target_after": json.dumps(_snapshot(tx, target_id)),
        "folded_before": json.dumps(folded), "created_at": tx.now})
    customer_id = tx.scalar("SELECT customer_id FROM conversation WHERE id = ?", (target_id,))
    tx.event("conversation_merged", conversation_id=target_id, customer_id=customer_id,
             source=folded_id, messages=message_ids, merge_id=merge_id)


def unfold(tx: Tx, merge_id: int) -> list[int]:
    """Undo the folds of one merge, newest first; returns the conversations put back. The
    folded conversation gets its messages and fields back; the surviving one gets back each
    field nobody changed since the fold, and loses the labels the fold gave it."""
    restored = []
    for row in tx.all("SELECT * FROM conversation_fold WHERE merge_id = ? AND undone_at IS NULL "
                      "ORDER BY id DESC", (merge_id,)):
        target_id, folded_id = row["target_id"], row["folded_id"]
        message_ids = json.loads(row["message_ids"])
        for start in range(0, len(message_ids), 500):
            chunk = message_ids[start:start + 500]
            tx.execute(f"UPDATE message SET conversation_id = ? WHERE conversation_id = ? AND "
                       f"id IN ({','.join('?' * len(chunk))})", (folded_id, target_id, *chunk))
        for label in json.loads(row["labels_added"]):
            tx.execute("DELETE FROM conversation_label WHERE conversation_id = ? AND "
                       "label_id = ?", (target_id, label))
        before, after = json.loads(row["target_before"]), json.loads(row["target_after"])
        now = _snapshot(tx, target_id)
        back = {name: before[name] for name in FIELDS if now[name] == after[name]}
        back["message_count"] = tx.scalar(
            "SELECT count(*) FROM message WHERE conversation_id = ?", (target_id,))
        _set(tx, target_id, back)
        _set(tx, folded_id, json.loads(row["folded_before"]))
        tx.execute("UPDATE conversation_fold SET undone_at = ? WHERE id = ?", (tx.now, row["id"]))
        for conversation_id, other in ((target_id, folded_id), (folded_id, target_id)):
            tx.event("conversation_unfolded", conversation_id=conversation_id,
                     customer_id=tx.scalar("SELECT customer_id FROM conversation WHERE id = ?",
                                           (conversation_id,)), other=other, merge_id=merge_id)
        restored.append(folded_id)
    return restored

