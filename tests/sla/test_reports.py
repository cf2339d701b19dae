"""Every report figure against a hand-built month (times injected; expected values by hand).

Shop hours mon-fri 09:00-18:00 UTC, Monday 11 May 2026 a holiday. SLA: chat first 2m,
email first 1h / resolution 2d, telegram first 15m. The story (conversation letters):

  E  20 Apr 09:00 piotr emails (before the window; never answered) … 4 May 12:00 writes again
  A   4 May 10:00 olga emails; 10:30 ann replies; 10:40 olga's out-of-office (auto_reply);
              11:00 ann resolves; rating 5; label "orders"
  B   4 May 17:59 chat v1; 5 May 09:03 ann replies (2m target breached 09:01); 09:10 transfer
              ann → bob; 09:20 bob resolves; rating 2; labels "orders", "refunds"
  C   6 May 10:00 chat v1 again (new conversation within 7 days: B is no FCR); 10:01 bob replies
  D   8 May 17:50 telegram; 12 May 09:10 ann replies (15m breached 09:05, after the holiday);
              09:15 resolves; 12:00 reopens; 13:00 resolves again (reopened: no FCR)
  F  20 May 10:00 olga emails again (16 days after A: A keeps its FCR); nobody answers:
              first response breached 11:00, resolution (48 business hours) 27 May 13:00
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from omnitui.config import Settings
from omnitui.core import actions
from omnitui.core.agents import AgentRow
from omnitui.core.hours import BusinessHours
from omnitui.core.ingest import ingest
from omnitui.core.reports import Report, build_report, percentile
from omnitui.core.sla import SlaPolicy
from omnitui.core.sla_store import DueState, refresh_due
from omnitui.store.db import Store

from .conftest import SHOP, Clock, chat, email, tg, utc

POLICY = SlaPolicy.from_config(SHOP["sla"])
HOURS = BusinessHours.from_config(SHOP["hours"], "UTC")
SINCE, NOW = utc(1), utc(31)


class Month:
    """Plays the story above with the clock set before each step and the hub's timer pass
    (refresh_due with its state) run at every step, as the real hub would."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock, self.state = store, clock, DueState()

    def at(self, when: datetime) -> None:
        self.clock.set(when)
        refresh_due(self.store, POLICY, HOURS, when, self.state)


@pytest.fixture
def month(tstore: Store, clock: Clock, agent: AgentRow, agent2: AgentRow) -> dict[str, int]:
    ann, bob, s = agent, agent2, tstore
    m = Month(s, clock)
    m.at(utc(20, 9, month=4))
    e = ingest(s, email("e1", address="piotr@example.org")).conversation_id
    m.at(utc(4, 10))
    a = ingest(s, email("a1")).conversation_id
    actions.label(s, a, "orders", ann)
    m.at(utc(4, 10, 30))
    actions.reply(s, a, "Shipped today", ann)
    m.at(utc(4, 10, 40))
    assert ingest(s, email("a2", text="I am away", flags=frozenset({"auto_reply"}))
                  ).conversation_id == a
    m.at(utc(4, 11))
    actions.resolve(s, a, ann)
    m.at(utc(4, 11, 5))
    actions.record_rating(s, a, 5)
    m.at(utc(4, 12))
    assert ingest(s, email("e2", address="piotr@example.org")).conversation_id == e
    m.at(utc(4, 17, 59))
    b = ingest(s, chat("b1")).conversation_id
    actions.label(s, b, "orders", ann)
    actions.label(s, b, "refunds", ann)
    m.at(utc(5, 9, 3))
    actions.reply(s, b, "Hello!", ann)
    m.at(utc(5, 9, 10))
    actions.transfer(s, b, "bob", "Wants a refund for order 7", ann)
    m.at(utc(5, 9, 20))
    actions.resolve(s, b, bob)
    m.at(utc(5, 9, 25))
    actions.record_rating(s, b, 2)
    m.at(utc(6, 10))
    c = ingest(s, chat("c1", text="me again")).conversation_id
    m.at(utc(6, 10, 1))
    actions.reply(s, c, "Hi again", bob)
    m.at(utc(8, 17, 50))
    d = ingest(s, tg("d1")).conversation_id
    m.at(utc(12, 9, 10))
    actions.reply(s, d, "Sorry for the wait", ann)
    m.at(utc(12, 9, 15))
    actions.resolve(s, d, ann)
    m.at(utc(12, 12))
    actions.reopen(s, d, ann)
    m.at(utc(12, 13))
    actions.resolve(s, d, ann)
    m.at(utc(20, 10))
    f = ingest(s, email("f1", text="Another question")).conversation_id
    m.at(NOW)
    assert len({a, b, c, d, e, f}) == 6
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f}


def by_key(report: Report) -> dict[str, object]:
    return {g.key: g for g in report.groups}


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([60, 240, 1200, 1800], 50) == 240
    assert percentile([60, 240, 1200, 1800], 90) == 1800
    assert percentile([7], 90) == 7


def test_totals(tstore: Store, month: dict[str, int]) -> None:
    t = build_report(tstore, POLICY, HOURS, since=SINCE, now=NOW).total
    assert t.conversations == 5  # A B C D F; E began in April
    assert t.inbound == 6  # A, E's second, B, C, D, F; the out-of-office is not counted
    assert (t.first_response_p50, t.first_response_p90, t.first_responses) == (240, 1800, 4)
    assert (t.resolution_p50, t.resolution_p90, t.resolved) == (3600, 15000, 3)
    assert (t.fcr, t.fcr_rate) == (1, pytest.approx(1 / 3))
    assert t.breaches == 4  # E's April breaches fall outside the window
    assert t.breaches_by_target == {"first": 3, "resolution": 1}
    assert (t.csat_average, t.csat_count) == (3.5, 2)


def test_breach_events_recorded_once_each(tstore: Store, month: dict[str, int]) -> None:
    sql = tstore.sql
    rows = tstore.conn.execute(f"SELECT conversation_id, {sql.json_text('data', 'target')}, "
                               f"{sql.json_number('data', 'due_at')} FROM event "
                               "WHERE kind = 'sla_breach' ORDER BY 3").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (month["E"], "first", utc(20, 10, month=4).timestamp()),
        (month["E"], "resolution", utc(27, 12, month=4).timestamp()),
        (month["B"], "first", utc(5, 9, 1).timestamp()),
        (month["D"], "first", utc(12, 9, 5).timestamp()),
        (month["F"], "first", utc(20, 11).timestamp()),
        (month["F"], "resolution", utc(27, 13).timestamp()),
    ]


def test_by_agent_and_transfers(tstore: Store, month: dict[str, int]) -> None:
    report = build_report(tstore, POLICY, HOURS, since=SINCE, now=NOW, by="agent")
    g = by_key(report)
    ann, bob, none = g["ann"], g["bob"], g["(unassigned)"]
    assert (ann.conversations, ann.inbound, ann.breaches) == (2, 2, 1)  # A, D
    assert (ann.first_response_p50, ann.first_response_p90) == (1200, 1800)
    assert (ann.resolution_p50, ann.resolution_p90, ann.fcr, ann.resolved) == (3600, 15000, 1, 2)
    assert (ann.csat_average, ann.csat_count) == (5, 1)
    assert (bob.conversations, bob.inbound, bob.breaches) == (2, 2, 1)  # B (transferred), C
    assert (bob.first_response_p50, bob.first_response_p90) == (60, 240)
    assert (bob.resolution_p50, bob.fcr_rate, bob.csat_average) == (1260, 0.0, 2)
    assert (none.conversations, none.inbound, none.breaches) == (1, 2, 2)  # F, plus E's message
    assert none.first_response_p50 is None and none.fcr_rate is None
    assert [(t.agent, t.given, t.received) for t in report.transfers] == [("ann", 1, 0),
                                                                          ("bob", 0, 1)]


def test_by_channel_label_and_hour(tstore: Store, month: dict[str, int]) -> None:
    ch = by_key(build_report(tstore, POLICY, HOURS, since=SINCE, now=NOW, by="channel"))
    assert {k: (v.conversations, v.inbound, v.breaches, v.csat_count) for k, v in ch.items()} == {
        "mail": (2, 3, 2, 1), "chat": (2, 2, 1, 1), "bot": (1, 1, 1, 0)}
    lab = by_key(build_report(tstore, POLICY, HOURS, since=SINCE, now=NOW, by="label"))
    assert {k: (v.conversations, v.resolved, v.fcr) for k, v in lab.items()} == {
        "orders": (2, 2, 1), "refunds": (1, 1, 0), "(no label)": (3, 1, 0)}
    hour = by_key(build_report(tstore, POLICY, HOURS, since=SINCE, now=NOW, by="hour"))
    # Grouped by the hour the conversation began: E (09:00, April) brings its May message.
    assert {k: (v.conversations, v.inbound) for k, v in hour.items()} == {
        "09": (0, 1), "10": (3, 3), "17": (2, 2)}


def test_busiest_hours(tstore: Store, month: dict[str, int]) -> None:
    counts = build_report(tstore, POLICY, HOURS, since=SINCE, now=NOW).inbound_by_hour
    assert len(counts) == 24
    assert {h: n for h, n in enumerate(counts) if n} == {10: 3, 12: 1, 17: 2}


def test_window_excludes_earlier_activity(tstore: Store, month: dict[str, int]) -> None:
    t = build_report(tstore, POLICY, HOURS, since=utc(10), now=NOW).total
    assert (t.conversations, t.inbound, t.breaches, t.resolved) == (1, 1, 3, 0)  # F; D, F


def test_cli_report_json_csv_and_chart(shop: Settings, tstore: Store, month: dict[str, int],
                                       tmp_path: Path) -> None:
    from omnitui.cli.commands import app

    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[omnitui]\ndata_dir = "{shop.data_dir}"\ntimezone = "UTC"\n'
        '[hours]\nmon-fri = "09:00-18:00"\nholidays = ["2026-05-11"]\n'
        '[sla]\nchat = { first = "2m", next = "5m" }\n'
        'email = { first = "1h", next = "4h", resolution = "2d" }\ntelegram = "15m"\n',
        encoding="utf-8")
    runner = CliRunner()
    base = ["--config", str(cfg), "report", "--since", "30d", "--until", "2026-05-31T00:00"]
    res = runner.invoke(app, [*base, "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["total"]["inbound"] == 6 and data["total"]["breaches"] == 4
    res = runner.invoke(app, [*base, "--csv", "--by", "channel"])
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [r["key"] for r in rows] == ["bot", "chat", "mail", "all"]
    assert float(rows[-1]["first_response_p50"]) == 240 and rows[-1]["csat_average"] == "3.5"
    res = runner.invoke(app, base)
    assert res.exit_code == 0, res.output
    assert "Busiest hours" in res.stdout and "10:00 " + "█" * 40 + " 3" in res.stdout
    assert "4m" in res.stdout and "33% (1/3)" in res.stdout
    res = runner.invoke(app, [*base, "--by", "weekday"])
    assert res.exit_code != 0
