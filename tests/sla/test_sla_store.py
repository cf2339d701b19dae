"""SLA state in the store: due_at from the replayed history, breach events recorded once."""

from __future__ import annotations

import asyncio
import json
import time

from omnitui.config import Settings
from omnitui.core import actions
from omnitui.core.agents import AgentRow, add_agent
from omnitui.core.feed import Feed
from omnitui.core.hours import BusinessHours
from omnitui.core.ingest import ingest
from omnitui.core.service_levels import ServiceLevels
from omnitui.core.sla import SlaPolicy
from omnitui.core.sla_store import DueState, refresh_due, refresh_sla, sla_status
from omnitui.hub import serve
from omnitui.store.db import Store

from .conftest import SHOP, Clock, chat, email, utc

POLICY = SlaPolicy.from_config(SHOP["sla"])
HOURS = BusinessHours.from_config(SHOP["hours"], "UTC")


def due_of(store: Store, conv: int) -> float | None:
    return store.conn.execute("SELECT due_at FROM conversation WHERE id = ?", (conv,)).fetchone()[0]


def breach_events(store: Store, conv: int | None = None) -> list[dict[str, object]]:
    rows = store.conn.execute(
        "SELECT conversation_id, data FROM event WHERE kind = 'sla_breach' ORDER BY id").fetchall()
    return [json.loads(r[1]) for r in rows if conv is None or r[0] == conv]


def test_due_at_follows_first_response_target(tstore: Store, clock: Clock,
                                               agent: AgentRow) -> None:
    clock.set(utc(4, 10))
    conv = ingest(tstore, email("m1")).conversation_id
    assert refresh_sla(tstore, conv, POLICY, HOURS, utc(4, 10, 30)) == []
    assert due_of(tstore, conv) == utc(4, 11).timestamp()
    clock.set(utc(4, 10, 45))
    actions.reply(tstore, conv, "On it", agent)
    refresh_sla(tstore, conv, POLICY, HOURS, utc(4, 10, 46))
    # Answered; the 2-day resolution clock is left: 48 business hours, past the holiday.
    assert due_of(tstore, conv) == utc(12, 13).timestamp()
    assert breach_events(tstore) == []


def test_breach_recorded_once_however_often_replayed(tstore: Store, clock: Clock) -> None:
    clock.set(utc(4, 10))
    conv = ingest(tstore, email("m1")).conversation_id
    clock.set(utc(4, 11, 30))
    first = refresh_sla(tstore, conv, POLICY, HOURS, utc(4, 11, 30))
    assert [(r.conversation_id, r.breach.target) for r in first] == [(conv, "first")]
    assert refresh_sla(tstore, conv, POLICY, HOURS, utc(4, 12)) == []
    assert refresh_due(tstore, POLICY, HOURS, utc(4, 12, 30)) == []
    events = breach_events(tstore, conv)
    assert len(events) == 1
    assert events[0]["target"] == "first" and events[0]["due_at"] == utc(4, 11).timestamp()
    assert events[0]["key"] == f"first@{utc(4, 10).isoformat()}"
    # A breached response stays past due in the inbox until it is answered.
    assert due_of(tstore, conv) == utc(4, 11).timestamp()


def test_due_skips_weekend_and_holiday(tstore: Store, clock: Clock) -> None:
    clock.set(utc(8, 17, 30))  # Friday 17:30; Monday 11 May is a holiday
    conv = ingest(tstore, email("m1")).conversation_id
    refresh_sla(tstore, conv, POLICY, HOURS, utc(9, 12))
    assert due_of(tstore, conv) == utc(12, 9, 30).timestamp()
    assert refresh_due(tstore, POLICY, HOURS, utc(11, 17)) == []
    assert len(refresh_due(tstore, POLICY, HOURS, utc(12, 9, 31))) == 1


def test_pending_pauses_and_customer_message_resumes(tstore: Store, clock: Clock,
                                                     agent: AgentRow) -> None:
    clock.set(utc(4, 10))
    conv = ingest(tstore, email("m1")).conversation_id
    clock.set(utc(4, 10, 20))
    actions.set_pending(tstore, conv, agent)
    refresh_sla(tstore, conv, POLICY, HOURS, utc(4, 15))
    assert due_of(tstore, conv) is None and breach_events(tstore) == []
    clock.set(utc(4, 15))
    ingest(tstore, email("m2", text="Any news?"))
    refresh_sla(tstore, conv, POLICY, HOURS, utc(4, 15, 1))
    assert due_of(tstore, conv) == utc(4, 15, 40).timestamp()  # 40 of the 60 minutes left


def test_automatic_messages_neither_start_nor_stop_clocks(tstore: Store, clock: Clock,
                                                          agent: AgentRow) -> None:
    clock.set(utc(4, 10))
    conv = ingest(tstore, chat("c1")).conversation_id
    clock.set(utc(4, 10, 1))
    actions.reply(tstore, conv, "We got your message", agent, automatic=True)
    refresh_sla(tstore, conv, POLICY, HOURS, utc(4, 10, 1))
    assert due_of(tstore, conv) == utc(4, 10, 2).timestamp()
    clock.set(utc(5, 10))
    bounce = ingest(tstore, email("b1", address="mailer@example.org",
                                  flags=frozenset({"bounce"}))).conversation_id
    refresh_sla(tstore, bounce, POLICY, HOURS, utc(5, 12))
    assert due_of(tstore, bounce) is None and breach_events(tstore, bounce) == []


def test_reopen_uses_next_target_and_resolve_drops_wait(tstore: Store, clock: Clock,
                                                        agent: AgentRow) -> None:
    clock.set(utc(4, 10))
    conv = ingest(tstore, chat("c1")).conversation_id
    clock.set(utc(4, 10, 1))
    actions.reply(tstore, conv, "Hello!", agent)
    clock.set(utc(4, 10, 2))
    actions.resolve(tstore, conv, agent)
    refresh_sla(tstore, conv, POLICY, HOURS, utc(4, 10, 3))
    assert due_of(tstore, conv) is None
    clock.set(utc(4, 11))
    actions.reopen(tstore, conv, agent)
    clock.set(utc(4, 11, 30))
    ingest(tstore, chat("c2", text="one more thing"))
    status = sla_status(tstore, conv, POLICY, HOURS, utc(4, 11, 31))
    assert status.next_response_due == utc(4, 11, 35)
    refresh_sla(tstore, conv, POLICY, HOURS, utc(4, 11, 40))
    assert [e["target"] for e in breach_events(tstore, conv)] == ["next"]


def test_timer_state_only_replays_touched_or_due(tstore: Store, clock: Clock,
                                                 agent: AgentRow) -> None:
    clock.set(utc(4, 10))
    a = ingest(tstore, email("m1")).conversation_id
    b = ingest(tstore, chat("c1")).conversation_id
    state = DueState()
    assert refresh_due(tstore, POLICY, HOURS, utc(4, 10), state) == []
    assert state.next_check == {a: utc(4, 11).timestamp(), b: utc(4, 10, 2).timestamp()}
    # Tamper with b's due_at: an untouched conversation before its deadline is not re-read.
    tstore.conn.execute("UPDATE conversation SET due_at = 1 WHERE id = ?", (b,))
    assert refresh_due(tstore, POLICY, HOURS, utc(4, 10, 1), state) == []
    assert due_of(tstore, b) == 1
    found = refresh_due(tstore, POLICY, HOURS, utc(4, 10, 3), state)
    assert [(r.conversation_id, r.breach.target) for r in found] == [(b, "first")]
    assert b not in state.next_check  # breached and nothing else running
    clock.set(utc(4, 10, 30))
    actions.reply(tstore, a, "Looking", agent)
    assert refresh_due(tstore, POLICY, HOURS, utc(4, 10, 31), state) == []
    assert state.next_check[a] == utc(12, 13).timestamp()  # only the resolution clock is left


def test_service_levels_refresh_on_feed_events(shop: Settings, tstore: Store,
                                               clock: Clock) -> None:
    feed = Feed(shop.database)
    service = ServiceLevels(shop)
    clock.set(utc(4, 10))
    conv = ingest(tstore, chat("c1")).conversation_id
    service.on_events(tstore, feed.poll(force=True), utc(4, 10))
    assert due_of(tstore, conv) == utc(4, 10, 2).timestamp()
    lines = service.on_timer(tstore, utc(4, 10, 5))
    assert len(lines) == 1 and "first response target missed" in lines[0]
    assert service.on_timer(tstore, utc(4, 10, 10)) == []
    feed.close()


async def test_hub_keeps_due_at_current(settings: Settings, store: Store) -> None:
    """The real hub: a message lands, due_at appears within moments (chat: 2 minutes)."""
    raw = {"omnitui": {"data_dir": str(settings.data_dir)}, "channels": {},
           "sla": {"chat": "2m"}}
    from omnitui.config import parse_settings

    hub_settings = parse_settings(raw, None)
    add_agent(store, "ann")
    stop = asyncio.Event()
    task = asyncio.create_task(serve(hub_settings, install_signals=False, channels={},
                                     stop=stop))
    try:
        await asyncio.sleep(0.2)
        conv = ingest(store, chat("c1")).conversation_id
        created = store.conn.execute("SELECT created_at FROM conversation WHERE id = ?",
                                     (conv,)).fetchone()[0]
        deadline = time.monotonic() + 5
        while due_of(store, conv) is None:
            assert time.monotonic() < deadline, "due_at never set"
            await asyncio.sleep(0.02)
        assert abs(due_of(store, conv) - (created + 120)) < 0.01  # type: ignore[operator]
    finally:
        stop.set()
        await asyncio.wait_for(task, 5)


def test_a_reply_stored_while_the_pass_reads_is_not_overwritten(
        tstore: Store, clock: Clock, agent: AgentRow, monkeypatch: object) -> None:
    """The pass reads outside the write lock: a conversation answered between its read and its
    write is evaluated again under the lock, so the due time written is the answered one."""
    import omnitui.core.sla_store as sla_store

    clock.set(utc(4, 10))
    conv = ingest(tstore, email("m1")).conversation_id
    real = sla_store.load_histories
    answered: list[int] = []

    def read_then_reply(tx: object, ids: object) -> object:
        histories = real(tx, ids)  # type: ignore[arg-type]
        if not answered:  # (a colleague's console, between the pass's read and its write)
            answered.append(actions.reply(Store(tstore.database, clock=tstore.clock), conv,
                                          "On it", agent))
        return histories

    monkeypatch.setattr(sla_store, "load_histories", read_then_reply)  # type: ignore[attr-defined]
    clock.set(utc(4, 10, 45))
    refresh_due(tstore, POLICY, HOURS, utc(4, 10, 46))
    assert answered
    assert due_of(tstore, conv) == utc(12, 13).timestamp()  # the resolution clock, as answered
