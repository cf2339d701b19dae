"""Merges into a customer that can still be undone, for the console's unmerge dialog."""

from __future__ import annotations

import json
from dataclasses import dataclass

from omnitui.store.db import Store


@dataclass(frozen=True, slots=True)
class MergeRecord:
    merged_id: int
    merged_name: str
    at: float
    by: str  # who merged them (agent name), "" when the event is gone
    identities: tuple[str, ...]  # "kind:address" that go back with an unmerge
    conversations: int
    folds: tuple[tuple[int, int], ...] = ()  # (surviving, folded) conversations split again


def merges_into(store: Store, survivor_id: int) -> list[MergeRecord]:
    """The customers merged into `survivor_id` and not split off since, newest first (what
    `unmerge_customer(merged_id)` would undo)."""
    with store.read():
        rows = store.conn.execute(
            "SELECT m.id, m.merged_id, c.name, m.created_at, m.identity_ids, m.conversation_ids, "
            "(SELECT coalesce(a.name, e.actor) FROM event e LEFT JOIN agent a "
            " ON a.username = e.actor WHERE e.kind = 'customer_merged' AND e.customer_id = "
            f" m.survivor_id AND {store.sql.json_int('e.data', 'merge_id')} = m.id LIMIT 1) "
            "FROM customer_merge m JOIN customer c ON c.id = m.merged_id "
            "WHERE m.survivor_id = ? AND m.undone_at IS NULL AND m.id = (SELECT max(x.id) "
            "FROM customer_merge x WHERE x.merged_id = m.merged_id) ORDER BY m.id DESC",
            (survivor_id,)).fetchall()
        out = []
        for merge_id, merged_id, name, at, identity_ids, conversation_ids, by in rows:
            ids = json.loads(identity_ids or "[]")
            marks = ",".join("?" * len(ids))
            idents = store.conn.execute(
                f"SELECT kind, address FROM identity WHERE id IN ({marks}) ORDER BY id",
                ids).fetchall() if ids else []
            folds = store.conn.execute(
                "SELECT target_id, folded_id FROM conversation_fold WHERE merge_id = ? AND "
                "undone_at IS NULL ORDER BY id", (merge_id,)).fetchall()
            out.append(MergeRecord(merged_id, name, float(at), by or "",
                                   tuple(f"{k}:{a}" for k, a in idents),
                                   len(json.loads(conversation_ids or "[]")),
                                   tuple((t, f) for t, f in folds)))
    return out
