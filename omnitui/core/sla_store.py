"""SLA state in the store: replay each conversation's history, keep `due_at`, record breaches.

`core.sla` decides what is due and what broke from a list of `Activity`; this module is the
bridge to the tables. It rebuilds that list from the conversation's messages and status events
(the store stays the single source of truth, so a hub restart or a replay from another process
reaches the same answer), writes `conversation.due_at` (the inbox sorts and colours by it) and
appends one `sla_breach` event per `Breach.key`, never twice, so reports can count them.

The event table has no index on conversation_id, so histories are loaded for many
conversations in one scan rather than one scan each.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from omnitui.core.hours import BusinessHours
from omnitui.core.sla import OPEN, Activity, Breach, SlaPolicy, SlaStatus, evaluate
from omnitui.store.db import Store, Tx

AUTOMATIC_FLAGS = frozenset({"auto_reply", "bounce", "bulk"})
BREACH_EVENT = "sla_breach"
ACTOR = "hub:sla"
STATUS_KINDS = frozenset({"open", "pending", "snoozed", "resolved"})
TOUCHING_EVENTS = ("message_in", "message_out", "status", "conversation_merged", "rating", "undo",
                   "conversation_unfolded")
_CHUNK = 400
WRITE_PART = 500  # conversations evaluated per write transaction (refresh_many)
RECENT_SECONDS = 7 * 86400  # how far back a first timer run looks at resolved cases


@dataclass(frozen=True, slots=True)
class RecordedBreach:
    """A breach this refresh wrote as a new event (the hub logs it; tests assert on it)."""

    conversation_id: int
    breach: Breach


@dataclass
class DueState:
    """What the hub's timer remembers between runs so each run stays cheap.

    `after_event`: the last event id seen, so conversations changed since are re-read.
    `feed_after`: the last event id the hub's feed follower has already handled (its
    conversations were refreshed then), so the timer does not replay them a second time.
    `next_check`: per conversation, the earliest deadline not yet breached (epoch seconds);
    nothing else can change until then or until the conversation is touched again.
    `waiting`: conversations whose last replay found them open with a customer waiting: one
    more customer message there changes no clock (`ServiceLevels.on_events` skips the replay).
    """

    after_event: int | None = None
    feed_after: int = 0
    next_check: dict[int, float] = field(default_factory=dict)
    waiting: set[int] = field(default_factory=set)


def _epoch(at: datetime | None) -> float | None:
    return None if at is None else at.timestamp()


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def load_histories(tx: Tx, conversation_ids: Sequence[int]) -> dict[int, list[Activity]]:
    """The SLA view of each conversation: customer and agent messages plus status changes.

    Inbound auto-replies, bounces and bulk mail, automatic outbound messages and customer
    messages that were taken as a rating (a `rating` event names them) are marked automatic,
    so they neither start nor stop a clock. Ties in time keep messages before status changes.
    A status change that was undone (an `undo` event names it) is left out, as if never made.
    """
    ids = sorted(set(conversation_ids))
    rows: dict[int, list[tuple[float, int, int, Activity]]] = {cid: [] for cid in ids}
    ratings: set[int] = set()
    statuses: list[tuple[int, int, float, str]] = []
    undone: set[int] = set()
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        for r in tx.all(
            f"SELECT id, conversation_id, at, kind, message_id, "
            f"{tx.sql.json_text('data', 'status')}, {tx.sql.json_int('data', 'undone')} "
            "FROM event WHERE kind IN ('status', 'rating', "
            f"'undo') AND conversation_id IN ({marks})",
            tuple(chunk),
        ):
            if r[3] == "undo" and r[6] is not None:
                undone.add(int(r[6]))
            elif r[3] == "rating" and r[4] is not None:
                ratings.add(r[4])
            elif r[3] == "status" and r[5] in STATUS_KINDS:
                statuses.append((r[1], r[0], r[2], r[5]))
        for r in tx.all(
            "SELECT m.id, m.conversation_id, m.created_at, m.kind, m.flags, m.meta, i.kind "
            "FROM message m LEFT JOIN identity i ON i.id = m.identity_id "
            f"WHERE m.conversation_id IN ({marks}) AND m.kind IN ('inbound', 'outbound')",
            tuple(chunk),
        ):
            message_id, conv_id, at, kind, flags, meta, channel_kind = r
            if kind == "inbound":  # rating events of this chunk were read just above
                automatic = bool(AUTOMATIC_FLAGS & set((flags or "").split()))
                automatic = automatic or message_id in ratings
            else:
                automatic = bool(json.loads(meta or "{}").get("automatic"))
            activity = Activity(_dt(at), kind, channel_kind, automatic)
            rows[conv_id].append((at, 0, message_id, activity))
    for conv_id, event_id, at, status in statuses:
        if event_id in undone:
            continue
        rows[conv_id].append((at, 1, event_id, Activity(_dt(at), status)))
    return {cid: [item[3] for item in sorted(items, key=lambda x: x[:3])]
            for cid, items in rows.items()}


def _known_keys(tx: Tx, conversation_ids: Sequence[int]) -> set[tuple[int, str]]:
    known: set[tuple[int, str]] = set()
    for chunk in _chunks(sorted(set(conversation_ids))):
        marks = ",".join("?" * len(chunk))
        for r in tx.all(
            f"SELECT conversation_id, {tx.sql.json_text('data', 'key')} FROM event WHERE kind = ? "
            f"AND conversation_id IN ({marks})",
            (BREACH_EVENT, *chunk),
        ):
            known.add((r[0], r[1]))
    return known


def _write(tx: Tx, statuses: dict[int, SlaStatus]) -> list[RecordedBreach]:
    """Store due times that changed and breaches not yet recorded, in the caller's transaction."""
    recorded: list[RecordedBreach] = []
    breached = [cid for cid, st in statuses.items() if st.breaches]
    known = _known_keys(tx, breached) if breached else set()
    for conv_id, status in statuses.items():
        tx.execute(
            f"UPDATE conversation SET due_at = ? WHERE id = ? AND {tx.sql.differs('due_at', '?')}",
            (_epoch(status.due), conv_id, _epoch(status.due)),
        )
        for breach in status.breaches:
            if (conv_id, breach.key) in known:
                continue
            customer = tx.scalar("SELECT customer_id FROM conversation WHERE id = ?", (conv_id,))
            tx.event(
                BREACH_EVENT,
                conversation_id=conv_id,
                customer_id=customer,
                actor=ACTOR,
                key=breach.key,
                target=breach.target,
                channel_kind=breach.channel_kind,
                started_at=breach.started_at.timestamp(),
                due_at=breach.due.timestamp(),
            )
            known.add((conv_id, breach.key))
            recorded.append(RecordedBreach(conv_id, breach))
    return recorded


def _next_check(status: SlaStatus, now: datetime) -> float | None:
    """The earliest running deadline not yet breached: before it, nothing can breach."""
    dues = [
        d
        for d in (status.first_response_due, status.next_response_due, status.resolution_due)
        if d is not None and d >= now
    ]
    return min(dues).timestamp() if dues else None


def refresh_many(
    store: Store,
    conversation_ids: Iterable[int],
    policy: SlaPolicy,
    hours: BusinessHours,
    now: datetime,
    state: DueState | None = None,
) -> list[RecordedBreach]:
    """Re-evaluate several conversations, a few hundred at a time.

    Each part is read and evaluated in a read transaction, then written in a short write
    transaction, which first evaluates again the few that changed meanwhile (an event that
    touches them came after the read). Reading and evaluating a hub's first pass over a big
    shop takes seconds (8 s for 20,000 live conversations at 1,000,000 messages): under the
    write lock, every console's write waited that long, a conversation opened at a hub's
    start included (its presence mark), and a reply.
    """
    ids = sorted(set(conversation_ids))
    recorded: list[RecordedBreach] = []
    for start in range(0, len(ids), WRITE_PART):
        part = ids[start:start + WRITE_PART]
        with store.read() as tx:
            seen = int(tx.scalar("SELECT coalesce(max(id), 0) FROM event"))
            histories = load_histories(tx, part)
        statuses = {cid: evaluate(h, policy, hours, now=now) for cid, h in histories.items()}
        with store.write(ACTOR) as tx:
            moved = _touched_since(tx, seen, part)
            if moved:
                statuses.update((cid, evaluate(h, policy, hours, now=now))
                                for cid, h in load_histories(tx, moved).items())
            recorded += _write(tx, statuses)
        _remember(state, statuses, now)
    return recorded


def _touched_since(tx: Tx, event_id: int, conversation_ids: Sequence[int]) -> list[int]:
    """Which of `conversation_ids` an event after `event_id` changed (as the timer sees it)."""
    kinds = ",".join("?" * len(TOUCHING_EVENTS))
    among, values = tx.sql.one_of("conversation_id", list(conversation_ids))
    return sorted({r[0] for r in tx.all(
        f"SELECT DISTINCT conversation_id FROM event WHERE id > ? AND kind IN ({kinds}) "
        f"AND {among}", (event_id, *TOUCHING_EVENTS, *values))})


def _remember(state: DueState | None, statuses: dict[int, SlaStatus], now: datetime) -> None:
    """The timer's memory of when each conversation is next due for a look."""
    if state is not None:
        for cid, status in statuses.items():
            check = _next_check(status, now)
            if check is None:
                state.next_check.pop(cid, None)
            else:
                state.next_check[cid] = check
            if status.status == OPEN and status.waiting_since is not None:
                state.waiting.add(cid)
            else:
                state.waiting.discard(cid)


def refresh_sla(
    store: Store,
    conversation_id: int,
    policy: SlaPolicy,
    hours: BusinessHours,
    now: datetime,
    state: DueState | None = None,
) -> list[RecordedBreach]:
    """Replay one conversation at `now`: update its `due_at`, record its new breaches."""
    return refresh_many(store, [conversation_id], policy, hours, now, state)


def sla_status(
    store: Store, conversation_id: int, policy: SlaPolicy, hours: BusinessHours, now: datetime
) -> SlaStatus:
    """The SLA picture of one conversation without writing anything (for screens and reports)."""
    with store.read() as tx:
        history = load_histories(tx, [conversation_id])[conversation_id]
    return evaluate(history, policy, hours, now=now)


def refresh_due(
    store: Store,
    policy: SlaPolicy,
    hours: BusinessHours,
    now: datetime,
    state: DueState | None = None,
) -> list[RecordedBreach]:
    """The timer's pass: find breaches that happened by the passing of time alone.

    Without `state` every live conversation is replayed (correct, and what a first run does).
    With `state`, only conversations changed since the last run (by event id; not those the
    feed follower already refreshed, see `DueState.feed_after`) and those whose next deadline
    has come are replayed, so a quiet shop costs two small queries per run, and a busy one does
    not replay every conversation written in the last few seconds a second time.
    """
    with store.read() as tx:
        last_event = int(tx.scalar("SELECT coalesce(max(id), 0) FROM event"))
        if state is None or state.after_event is None:
            # A first run also replays what was resolved lately, so a breach that happened
            # while no hub ran (and was resolved since) is still recorded.
            recent = now.timestamp() - RECENT_SECONDS
            ids = [r[0] for r in tx.all(
                "SELECT id FROM conversation WHERE merged_into IS NULL AND "
                "(status != 'resolved' OR due_at IS NOT NULL OR last_message_at >= ? "
                "OR coalesce(resolved_at, 0) >= ?)", (recent, recent)
            )]
        else:
            marks = ",".join("?" * len(TOUCHING_EVENTS))
            touched = {r[0] for r in tx.all(
                f"SELECT DISTINCT conversation_id FROM event WHERE id > ? AND kind IN ({marks}) "
                "AND conversation_id IS NOT NULL",
                (max(state.after_event, state.feed_after), *TOUCHING_EVENTS),
            )}
            stamp = now.timestamp()
            ids = sorted(touched | {c for c, at in state.next_check.items() if at <= stamp})
    recorded = refresh_many(store, ids, policy, hours, now, state)
    if state is not None:
        state.after_event = last_event
    return recorded
