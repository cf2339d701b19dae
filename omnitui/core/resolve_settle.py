"""A resolve becomes final once its undo window has passed: only then may the customer hear of it.

Resolving asks the customer for a rating (chat `rate_request`, a Telegram keyboard, an email
line). Sent at once, an undone resolve would still have told the customer their case was
closed. So the hub appends a `resolve_settled` event for a resolve only when `UNDO_WINDOW`
has passed and the resolve still stands (not undone, nothing changed the status since), and the
rating requests follow that event instead of the resolve itself.

The decision reads only the store, so a hub restarted after a crash settles the resolves it
missed (once: the settled event is looked for first) for up to `HORIZON` back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from omnitui.core.undo import undone_ids
from omnitui.store.db import Store, Tx

SETTLED_EVENT = "resolve_settled"
HORIZON = 86400.0  # a hub down longer than a day does not ask for ratings of older resolves
ACTOR = "hub:undo"


@dataclass
class SettleState:
    """The hub's memory between runs: no event before `floor` can still need settling."""

    floor: int | None = None


@dataclass
class Settled:
    conversations: list[int] = field(default_factory=list)
    next_at: float | None = None  # when the next resolve's window ends (epoch seconds)


def settle_resolutions(store: Store, now: float, window: float,
                       state: SettleState | None = None) -> Settled:
    """Append `resolve_settled` for every resolve whose window has passed and that still stands."""
    state = state if state is not None else SettleState()
    result = Settled()
    state.floor = _floor(store, now - window - HORIZON, state.floor)
    due: list[tuple[int, int]] = []
    for event_id, at, conv_id in store.conn.execute(
        "SELECT id, at, conversation_id FROM event WHERE id > ? AND kind = 'status' "
        "AND json_extract(data, '$.status') = 'resolved' "
        "AND json_extract(data, '$.before') IS NOT NULL ORDER BY id",
        (state.floor,),
    ).fetchall():
        if at + window > now:
            result.next_at = at + window if result.next_at is None else min(result.next_at,
                                                                             at + window)
        elif not _settled(store, conv_id, event_id):
            due.append((event_id, conv_id))
    if due:  # most were undone or reopened: look without the write lock first
        with store.read() as rtx:
            due = [(e, c) for e, c in due if _stands(rtx, c, e)]
    if not due:
        return result
    with store.write(ACTOR) as tx:
        for event_id, conv_id in due:
            if _stands(tx, conv_id, event_id) and not _settled(store, conv_id, event_id):
                customer = tx.scalar("SELECT customer_id FROM conversation WHERE id = ?",
                                     (conv_id,))
                tx.event(SETTLED_EVENT, conversation_id=conv_id, customer_id=customer,
                         resolve=event_id)
                result.conversations.append(conv_id)
    return result


def _floor(store: Store, since: float, floor: int | None) -> int:
    """The last event id before `since` (events are appended in time order); scans forward
    from the previous floor, so each run reads only what is new."""
    row = store.conn.execute("SELECT id FROM event WHERE id > ? AND at >= ? ORDER BY id LIMIT 1",
                             (floor or 0, since)).fetchone()
    if row is not None:
        return int(row[0]) - 1
    return int(store.conn.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0])


def _settled(store: Store, conv_id: int, event_id: int) -> bool:
    return store.conn.execute(
        "SELECT 1 FROM event WHERE conversation_id = ? AND kind = ? "
        "AND json_extract(data, '$.resolve') = ?", (conv_id, SETTLED_EVENT, event_id),
    ).fetchone() is not None


def _stands(tx: Tx, conv_id: int, event_id: int) -> bool:
    """Still resolved by this very resolve: not undone, and no later status change stands."""
    conv = tx.one("SELECT status, merged_into FROM conversation WHERE id = ?", (conv_id,))
    if conv is None or conv["status"] != "resolved" or conv["merged_into"] is not None:
        return False
    undone = undone_ids(tx, conv_id)
    if event_id in undone:
        return False
    for later_id, kind, data in tx.all(
        "SELECT id, kind, data FROM event WHERE conversation_id = ? AND id > ? "
        "AND kind IN ('status', 'transfer', 'message_in') ORDER BY id", (conv_id, event_id),
    ):
        info = json.loads(data or "{}")
        if later_id in undone or info.get("csat_rating"):
            continue
        if kind != "message_in" or info.get("reopened"):  # the customer's reply reopened it
            return False
    return True
