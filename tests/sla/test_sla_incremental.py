"""The hub's SLA refresh replays only conversations whose clocks may have changed, and the
result is what a full replay of every conversation gives at every step."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from omnitui.config import Settings
from omnitui.core import actions
from omnitui.core.agents import AgentRow
from omnitui.core.feed import Event, Feed
from omnitui.core.ingest import ingest
from omnitui.core.service_levels import ServiceLevels
from omnitui.core.sla_store import sla_status
from omnitui.store.db import Store

from .conftest import Clock, chat, email, utc
from .test_sla_store import HOURS, POLICY, breach_events, due_of

HISTORY_LOAD = "FROM message m LEFT JOIN identity i"  # load_histories' message query


@contextmanager
def replays(store: Store) -> Iterator[list[str]]:
    """The SQL statements that load a conversation's history on the store's connection, while
    the block runs (SQLite's trace callback; on PostgreSQL the connection's own `execute`)."""
    seen: list[str] = []
    conn = store.conn
    if not store.database.is_postgres:
        conn.set_trace_callback(lambda sql: seen.append(sql) if HISTORY_LOAD in sql else None)
        try:
            yield seen
        finally:
            conn.set_trace_callback(None)
        return
    from omnitui.store.postgres import PgConnection

    real = PgConnection.execute

    def traced(self: PgConnection, sql: str, params: Any = ()) -> Any:
        if self is conn and HISTORY_LOAD in sql:
            seen.append(sql)
        return real(self, sql, params)

    PgConnection.execute = traced  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        PgConnection.execute = real  # type: ignore[method-assign]


def arrived(feed: Feed) -> list[Event]:
    """The events of the writes just made. On PostgreSQL the feed learns of a commit by its
    notification, which reaches the listening connection a moment after the commit returns
    (the hub sleeps on that socket); `wait` returns as soon as it has."""
    return feed.wait(10)


def full_replay_due(store: Store, conv: int, at: object) -> float | None:
    due = sla_status(store, conv, POLICY, HOURS, at).due  # type: ignore[arg-type]
    return None if due is None else due.timestamp()


def test_writing_again_while_waiting_is_not_replayed(shop: Settings, tstore: Store,
                                                     clock: Clock, agent: AgentRow) -> None:
    feed = Feed(shop.database)
    service = ServiceLevels(shop)
    conv = ingest(tstore, chat("c1")).conversation_id
    clock.set(utc(4, 10))
    with replays(tstore) as loads:
        service.on_events(tstore, feed.poll(force=True), clock.now)
    assert len(loads) == 1 and conv in service.due.waiting
    due = due_of(tstore, conv)
    for n in range(2, 6):  # the customer writes four more lines while waiting
        clock.set(utc(4, 10, 0, 10 * n))
        ingest(tstore, chat(f"c{n}"))
        with replays(tstore) as loads:
            service.on_events(tstore, arrived(feed), clock.now)
        assert loads == []
        assert due_of(tstore, conv) == due == full_replay_due(tstore, conv, clock.now)
    clock.set(utc(4, 10, 1))
    actions.reply(tstore, conv, "Hello!", agent)  # the wait ends: replayed
    with replays(tstore) as loads:
        service.on_events(tstore, arrived(feed), clock.now)
    assert len(loads) == 1 and conv not in service.due.waiting
    clock.set(utc(4, 10, 2))
    ingest(tstore, chat("c6"))  # a new wait starts: replayed, next-response target of 5 min
    with replays(tstore) as loads:
        service.on_events(tstore, arrived(feed), clock.now)
    assert len(loads) == 1
    assert due_of(tstore, conv) == utc(4, 10, 7).timestamp() == full_replay_due(
        tstore, conv, clock.now)
    feed.close()


def test_status_changes_and_reopens_are_replayed(shop: Settings, tstore: Store, clock: Clock,
                                                 agent: AgentRow) -> None:
    feed = Feed(shop.database)
    service = ServiceLevels(shop)
    clock.set(utc(4, 10))
    conv = ingest(tstore, email("m1")).conversation_id
    service.on_events(tstore, feed.poll(force=True), clock.now)
    assert due_of(tstore, conv) == utc(4, 11).timestamp()
    clock.set(utc(4, 10, 10))
    actions.set_pending(tstore, conv, agent)  # every clock pauses
    service.on_events(tstore, arrived(feed), clock.now)
    assert due_of(tstore, conv) is None and conv not in service.due.waiting
    clock.set(utc(4, 10, 40))
    ingest(tstore, email("m2"))  # the customer answers: reopened, the clock runs again
    service.on_events(tstore, arrived(feed), clock.now)
    assert due_of(tstore, conv) == full_replay_due(tstore, conv, clock.now) is not None
    assert conv in service.due.waiting
    clock.set(utc(4, 10, 45))
    tstore.conn.execute("UPDATE conversation SET due_at = 1 WHERE id = ?", (conv,))
    with tstore.write("test") as tx:  # a kind the refresh does not know about names it
        tx.event("conversation_split", conversation_id=conv)
    ingest(tstore, email("m3"))
    service.on_events(tstore, arrived(feed), clock.now)
    assert due_of(tstore, conv) == full_replay_due(tstore, conv, clock.now)  # replayed again
    feed.close()


def test_breach_while_the_customer_keeps_writing_is_found_by_the_timer(
        shop: Settings, tstore: Store, clock: Clock) -> None:
    feed = Feed(shop.database)
    service = ServiceLevels(shop)
    clock.set(utc(4, 10))
    conv = ingest(tstore, chat("c1")).conversation_id
    service.on_events(tstore, feed.poll(force=True), clock.now)
    clock.set(utc(4, 10, 3))  # past the 2-minute target, and the customer writes again
    ingest(tstore, chat("c2"))
    service.on_events(tstore, arrived(feed), clock.now)
    lines = service.on_timer(tstore, utc(4, 10, 3, 5))
    assert len(lines) == 1 and "first response target missed" in lines[0]
    assert [e["due_at"] for e in breach_events(tstore, conv)] == [utc(4, 10, 2).timestamp()]
    feed.close()


def test_timer_leaves_what_the_feed_refreshed(shop: Settings, tstore: Store,
                                              clock: Clock) -> None:
    feed = Feed(shop.database)
    service = ServiceLevels(shop)
    clock.set(utc(4, 10))
    convs = [ingest(tstore, chat(f"c{n}", visitor=f"v{n}")).conversation_id for n in range(20)]
    assert service.on_timer(tstore, clock.now) == []  # the first run replays every case
    clock.set(utc(4, 10, 0, 30))
    for n in range(20):
        ingest(tstore, chat(f"d{n}", visitor=f"v{n}"))
    service.on_events(tstore, arrived(feed), clock.now)
    with replays(tstore) as loads:
        assert service.on_timer(tstore, utc(4, 10, 0, 35)) == []
    assert loads == []  # the feed handled those conversations; nothing fell due yet
    with replays(tstore) as loads:
        lines = service.on_timer(tstore, utc(4, 10, 2, 5))
    assert len(loads) == 1 and len(lines) == len(convs)  # each deadline came: one replay
    feed.close()
