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
    """The hub's memory between runs, so each run reads only events it has not seen:
    `scanned`, the last event id read; `open`, resolves not settled yet (id → at, conversation),
    kept while they may still settle (an undone reopen brings a resolve back)."""

    scanned: int | None = None
    open: dict[int, tuple[float, int]] = field(default_factory=dict)


@dataclass
class Settled:
    conversations: list[int] = field(default_factory=list)
    next_at: float | None = None  # when the next resolve's window ends (epoch seconds)


def settle_resolutions(store: Store, now: float, window: float,
                       state: SettleState | None = None) -> Settled:
    """Append `resolve_settled` for every resolve whose window has passed and that still stands."""
    state = state if state is not None else SettleState()
    _scan(store, now - window - HORIZON, state)
    result = Settled()
    due: list[tuple[int, int]] = []
    for event_id, (at, conv_id) in list(state.open.items()):
        if at + window <= now - HORIZON:
            del state.open[event_id]  # too old to ask about now
        elif at + window > now:
            result.next_at = min(at + window, result.next_at or at + window)
        elif _settled(store, conv_id, event_id):
            del state.open[event_id]
        else:
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
            state.open.pop(event_id, None)
    return result


def _scan(store: Store, since: float, state: SettleState) -> None:
    """Add the resolves appended since the last run to `state.open`. The first run starts at
    the first event of the horizon (events are appended in time order)."""
    if state.scanned is None:
        row = store.conn.execute("SELECT id FROM event WHERE at >= ? ORDER BY id LIMIT 1",
                                 (since,)).fetchone()
        state.scanned = int(row[0]) - 1 if row is not None else int(store.conn.execute(
            "SELECT coalesce(max(id), 0) FROM event").fetchone()[0])
    sql = store.sql
    rows = store.conn.execute(
        f"SELECT id, at, conversation_id, kind = 'status' AND {sql.json_text('data', 'status')} "
        f"= 'resolved' AND {sql.json_text('data', 'before')} IS NOT NULL FROM event WHERE id > ? "
        "ORDER BY id", (state.scanned,)).fetchall()
    for event_id, at, conv_id, is_resolve in rows:
        if is_resolve and conv_id is not None:
            state.open[event_id] = (at, conv_id)
    if rows:
        state.scanned = rows[-1][0]


def _settled(store: Store, conv_id: int, event_id: int) -> bool:
    return store.conn.execute(
        "SELECT 1 FROM event WHERE conversation_id = ? AND kind = ? "
        f"AND {store.sql.json_int('data', 'resolve')} = ?", (conv_id, SETTLED_EVENT, event_id),
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
