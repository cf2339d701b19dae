"""An undone action leaves no trace in reports or SLA clocks, and resolve's rating request waits
for the undo window: never sent for an undone resolve, sent once after a hub restart."""

from __future__ import annotations

import time
from pathlib import Path

from omnitui.config import Settings
from omnitui.core import actions
from omnitui.core.agents import AgentRow
from omnitui.core.csat import csat_requested
from omnitui.core.hours import BusinessHours
from omnitui.core.ingest import ingest
from omnitui.core.reports import build_report
from omnitui.core.resolve_settle import SettleState, settle_resolutions
from omnitui.core.sla import SlaPolicy
from omnitui.core.sla_store import load_histories
from omnitui.core.undo import UNDO_WINDOW, undo
from omnitui.store.db import Store
from omnitui.tui.demo import build_demo

from .conftest import SHOP, Clock, email, utc
from .test_csat import Desk

POLICY = SlaPolicy.from_config(SHOP["sla"])
HOURS = BusinessHours.from_config(SHOP["hours"], "UTC")


def requests(store: Store, conv: int) -> int:
    return int(store.conn.execute("SELECT count(*) FROM event WHERE kind = 'csat_request' "
                                  "AND conversation_id = ?", (conv,)).fetchone()[0])


def test_reports_ignore_an_undone_resolve_reopen_and_transfer(
        tstore: Store, clock: Clock, agent: AgentRow, agent2: AgentRow) -> None:
    clock.set(utc(4, 10))
    kept = ingest(tstore, email("k1", address="kept@example.org")).conversation_id
    undone = ingest(tstore, email("u1", address="undone@example.org")).conversation_id
    clock.set(utc(4, 10, 30))
    actions.reply(tstore, kept, "Sent today", agent)
    actions.reply(tstore, undone, "Sent today", agent)
    clock.set(utc(4, 11))
    actions.resolve(tstore, kept, agent)
    mistaken = actions.resolve(tstore, undone, agent)
    clock.set(utc(4, 11, 0, 5))
    undo(tstore, mistaken, agent)  # not resolved after all
    clock.set(utc(4, 12))
    reopened = actions.reopen(tstore, kept, agent)
    clock.set(utc(4, 12, 0, 4))
    undo(tstore, reopened, agent)  # a slip of the key: still a first-contact resolution
    handed = actions.transfer(tstore, undone, "bob", "yours", agent)
    undo(tstore, handed, agent)  # withdrawn: nobody handed anything over
    actions.transfer(tstore, undone, "bob", "yours after all", agent)
    report = build_report(tstore, POLICY, HOURS, since=utc(1), now=utc(5))
    total = report.total
    assert [(t.agent, t.given, t.received) for t in report.transfers] == [
        ("ann", 1, 0), ("bob", 0, 1)]
    assert (total.conversations, total.resolved, total.fcr) == (2, 1, 1)
    assert total.resolution_p50 == 3600.0  # 10:00 → 11:00, the undone reopen left no mark
    with tstore.read() as tx:
        histories = load_histories(tx, [kept, undone])
    assert [a.kind for a in histories[undone]] == ["inbound", "outbound"]
    assert [a.kind for a in histories[kept]] == ["inbound", "outbound", "resolved"]
    row = tstore.conn.execute("SELECT status, resolved_at, reopen_count FROM conversation "
                              "WHERE id = ?", (undone,)).fetchone()
    assert tuple(row) == ("open", None, 0)


def test_email_rating_request_waits_for_the_window_and_never_follows_an_undone_resolve(
        shop: Settings, tstore: Store, clock: Clock, agent: AgentRow) -> None:
    desk = Desk(shop, tstore, clock)
    clock.set(utc(4, 10))
    conv = ingest(tstore, email("m1")).conversation_id
    clock.set(utc(4, 10, 30))
    actions.reply(tstore, conv, "Sent today", agent)
    clock.set(utc(4, 11))
    resolved = actions.resolve(tstore, conv, agent)
    clock.set(utc(4, 11, 0, 9))
    assert desk.settle() == []  # 9 s later: the agent may still undo
    undo(tstore, resolved, agent)
    clock.set(utc(4, 11, 1))
    assert desk.settle() == [] and requests(tstore, conv) == 0
    assert tstore.conn.execute("SELECT count(*) FROM message WHERE kind = 'outbound'"
                               ).fetchone()[0] == 1  # the agent's reply, no rating request
    # Resolved for real this time: asked once, when the window has passed.
    clock.set(utc(4, 11, 2))
    assert desk.resolve_and_wait(conv, agent) == [
        f"conversation {conv}: rating requested by email"]
    clock.t += 60
    assert desk.settle() == [] and requests(tstore, conv) == 1


def test_reopened_within_the_window_is_never_asked(shop: Settings, tstore: Store, clock: Clock,
                                                   agent: AgentRow, agent2: AgentRow) -> None:
    desk = Desk(shop, tstore, clock)
    clock.set(utc(4, 10))
    conv = ingest(tstore, email("m1")).conversation_id
    actions.resolve(tstore, conv, agent)
    clock.t += 3
    actions.reopen(tstore, conv, agent2)
    clock.t += UNDO_WINDOW * 3
    assert desk.settle() == [] and not csat_requested(tstore, conv)


def test_a_restarted_hub_asks_once_for_a_resolve_it_missed(
        shop: Settings, tstore: Store, clock: Clock, agent: AgentRow) -> None:
    clock.set(utc(4, 10))
    conv = ingest(tstore, email("m1")).conversation_id
    actions.resolve(tstore, conv, agent)
    early = settle_resolutions(tstore, clock() + 4, UNDO_WINDOW, SettleState())
    assert early.conversations == [] and early.next_at == clock() + UNDO_WINDOW
    clock.t += 3600  # the hub was down for an hour
    restarted = Desk(shop, tstore, clock)  # a fresh feed and a fresh settle state
    assert restarted.settle() == [f"conversation {conv}: rating requested by email"]
    again = Desk(shop, tstore, clock)
    assert again.settle() == [] and requests(tstore, conv) == 1


def test_an_undone_reopen_brings_the_resolve_back(shop: Settings, tstore: Store, clock: Clock,
                                                  agent: AgentRow) -> None:
    desk = Desk(shop, tstore, clock)
    clock.set(utc(4, 10))
    conv = ingest(tstore, email("m1")).conversation_id
    actions.resolve(tstore, conv, agent)
    clock.t += UNDO_WINDOW - 1
    reopened = actions.reopen(tstore, conv, agent)
    clock.t += 2  # the resolve's window is over, but the conversation is open
    assert desk.settle() == []
    undo(tstore, reopened, agent)  # resolved after all: the first resolve stands
    clock.t += 1
    assert desk.settle() == [f"conversation {conv}: rating requested by email"]


def test_the_demo_story_asks_no_late_ratings(tmp_path: Path) -> None:
    """The demo's resolves happened hours ago in its story; a hub starting on it asks nobody."""
    settings = build_demo(tmp_path / "demo")
    store = Store.open(settings.database)
    try:
        resolved = store.conn.execute("SELECT count(*) FROM conversation WHERE status = "
                                      "'resolved'").fetchone()[0]
        final = store.conn.execute("SELECT count(*) FROM event WHERE kind = "
                                   "'resolve_settled'").fetchone()[0]
        assert resolved == final == 2
        later = settle_resolutions(store, time.time() + 60, UNDO_WINDOW, SettleState())
        assert later.conversations == [] and later.next_at is None
    finally:
        store.close()
