"""The report screen against a hand-built quarter: what is drawn is what core.reports computes.

Shop hours mon-fri 09:00-18:00 UTC; SLA chat 2m, email 1h (resolution 2d), telegram 15m.
The clock stands at Friday 29 May 2026 16:00. Conversations (by age, which decides the period):

  O  10 Feb  email, never answered                          (outside 90 days)
  P  30 Mar  chat; ann answers after 5m (breach), resolves; rating 4; label "[b]vip[/b]"
  Q  11 May  email; ann answers 10:30, transfers to bob, bob resolves; rating 5; "orders"
  R  26 May  telegram; ann answers 09:05, resolves 09:30; label "refunds"
  S  27 May  chat, another visitor; bob answers within a minute; still open
  T  28 May  email from a new customer, nobody answers (first response breached at 12:00)
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from textual.pilot import Pilot

from omnitui.channels.base import Inbound
from omnitui.config import Settings, parse_settings
from omnitui.core import actions
from omnitui.core.agents import add_agent
from omnitui.core.hours import BusinessHours
from omnitui.core.ingest import ingest
from omnitui.core.reports import Report, build_report
from omnitui.core.sla import SlaPolicy
from omnitui.core.sla_store import DueState, refresh_due
from omnitui.store.db import Store
from omnitui.tui import keymap
from omnitui.tui.app import OmniConsole, make_app
from omnitui.tui.format import safe_line
from omnitui.tui.screens import report as report_screen
from omnitui.tui.screens.inbox import InboxScreen
from omnitui.tui.screens.report import ReportScreen
from omnitui.tui.widgets.report_tables import GROUP_COLUMNS, group_cells, summary_lines

from .screen_text import screen_text
from .store_copies import StoreTemplate, copy_template, drop_template, make_template

if TYPE_CHECKING:
    from tests.pg_cluster import Cluster

CONFIG = {
    "omnitui": {"timezone": "UTC"},
    "channels": {"chat": {"kind": "chat"}},
    "hours": {"mon-fri": "09:00-18:00"},
    "sla": {"chat": "2m", "email": {"first": "1h", "resolution": "2d"}, "telegram": "15m"},
}
NOW = datetime(2026, 5, 29, 16, 0, tzinfo=UTC)
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def at(d: int, h: int, mi: int = 0, month: int = 5) -> datetime:
    return datetime(2026, month, d, h, mi, tzinfo=UTC)


def _msg(channel: str, kind: str, ext: str, address: str) -> Inbound:
    return Inbound(channel=channel, kind=kind, external_id=ext, address=address,  # type: ignore[arg-type]
                   text=f"question {ext}")


def build_quarter(template: StoreTemplate) -> None:
    """Play the story in the module docstring through core, with the hub's SLA timer pass."""
    settings = parse_settings(CONFIG, None)
    now = [at(10, 8, month=2).timestamp()]
    store = Store.open(template.database, clock=lambda: now[0])
    policy = SlaPolicy.from_config(settings.sla)
    hours = BusinessHours.from_config(settings.hours, settings.timezone)
    state = DueState()

    def step(when: datetime) -> None:
        now[0] = when.timestamp()
        refresh_due(store, policy, hours, when, state)

    ann, bob = add_agent(store, "ann", "Ann Agent"), add_agent(store, "bob", "Bob Builder")
    step(at(10, 10, month=2))
    ingest(store, _msg("mail", "email", "o1", "old@example.org"))
    step(at(30, 10, month=3))
    p = ingest(store, _msg("chat", "chat", "p1", "visitor-p")).conversation_id
    actions.label(store, p, "[b]vip[/b]", ann)
    step(at(30, 10, 5, month=3))
    actions.reply(store, p, "Hello", ann)
    actions.resolve(store, p, ann)
    actions.record_rating(store, p, 4)
    step(at(11, 10))
    q = ingest(store, _msg("mail", "email", "q1", "olga@example.org")).conversation_id
    actions.label(store, q, "orders", ann)
    step(at(11, 10, 30))
    actions.reply(store, q, "Shipped", ann)
    step(at(11, 10, 40))
    actions.transfer(store, q, "bob", "refund please", ann)
    step(at(11, 11))
    actions.resolve(store, q, bob)
    actions.record_rating(store, q, 5)
    step(at(26, 9))
    r = ingest(store, _msg("bot", "telegram", "r1", "4242")).conversation_id
    actions.label(store, r, "refunds", ann)
    step(at(26, 9, 5))
    actions.reply(store, r, "On it", ann)
    step(at(26, 9, 30))
    actions.resolve(store, r, ann)
    step(at(27, 14))
    s = ingest(store, _msg("chat", "chat", "s1", "visitor-s")).conversation_id
    step(at(27, 14, 1))
    actions.reply(store, s, "Hi", bob)
    step(at(28, 11))
    ingest(store, _msg("mail", "email", "t1", "piet@example.org"))
    step(NOW)
    store.close()


@pytest.fixture(scope="module")
def quarter_template(tmp_path_factory: pytest.TempPathFactory,
                     pg_cluster: Cluster | None) -> Iterator[StoreTemplate]:
    template = make_template(tmp_path_factory.mktemp("quarter"), "quarter", pg_cluster)
    build_quarter(template)
    yield template
    drop_template(template, pg_cluster)


@pytest.fixture
def quarter(quarter_template: StoreTemplate, tmp_path: Path, pg_cluster: Cluster | None,
            backend_database: str | None) -> Settings:
    """A fresh copy per test (the console writes presence)."""
    copy_template(quarter_template, tmp_path, pg_cluster, backend_database)
    return parse_settings({**CONFIG, "omnitui": {**CONFIG["omnitui"],
                                                  "data_dir": str(tmp_path)}}, None)


def clock() -> Callable[[], float]:
    return lambda: NOW.timestamp()


def expected(settings: Settings, days: int, by: str | None) -> Report:
    store = Store.open(settings.database, migrate=False)
    try:
        return build_report(store, SlaPolicy.from_config(settings.sla),
                            BusinessHours.from_config(settings.hours, settings.timezone),
                            since=NOW - timedelta(days=days), now=NOW, by=by)
    finally:
        store.close()


async def settle(pilot: Pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_report(pilot: Pilot) -> ReportScreen:
    await pilot.pause()
    await pilot.press("R")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReportScreen)
    return pilot.app.screen


def assert_shown(text: str, report: Report) -> None:
    """Every figure of `report` is on the screen, formatted as the screen formats it."""
    lines = [line.strip() for line in text.splitlines()]
    for metric, value, detail in summary_lines(report.total):
        assert any(line.startswith(metric) and value in line and detail in line
                   for line in lines), (metric, value, detail)
    transfers, hours = lines.index("Transfers per agent"), lines.index(
        "Busiest hours (inbound messages, local time)")

    def rows(part: list[str], n: int) -> dict[str, list[str]]:
        """Table lines as {name: last n cells} (a name may hold spaces: "(no label)")."""
        cells = [line.split() for line in part]
        return {" ".join(c[:-n]): c[-n:] for c in cells if len(c) > n}

    groups = rows(lines[:transfers], len(GROUP_COLUMNS))
    for f in (*report.groups, report.total) if report.by else ():
        key = "all" if f is report.total else safe_line(f.key)
        assert groups[key] == group_cells(f), key
    given = rows(lines[transfers:hours], 2)
    for t in report.transfers:
        assert given[t.agent] == [str(t.given), str(t.received)]
    drawn = {int(h): int(n) for h, n in re.findall(r"(\d\d):00 [█▉▊▋▌▍▎▏]+ *(\d+)", text)}
    assert drawn == {h: n for h, n in enumerate(report.inbound_by_hour) if n}


async def test_periods_and_groupings_match_core(quarter: Settings) -> None:
    app = make_app(quarter, "ann", clock=clock(), feed_interval=None)
    async with app.run_test(size=(120, 70)) as pilot:
        screen = await open_report(pilot)
        assert (screen.period, screen.grouping) == ("30d", "overall")
        month = expected(quarter, 30, None)
        assert (month.total.conversations, month.total.inbound) == (4, 4)  # Q R S T
        assert (month.total.csat_count, month.total.breaches) == (1, 1)
        assert_shown(screen_text(app), month)
        assert "By " not in screen_text(app)  # no group table for overall

        await pilot.press("7")
        await settle(pilot)
        week = expected(quarter, 7, None)
        assert week.total.conversations == 3  # R S T
        assert_shown(screen_text(app), week)

        await pilot.press("9", "c")
        await settle(pilot)
        assert (screen.period, screen.grouping) == ("90d", "channel")
        quarter90 = expected(quarter, 90, "channel")
        assert quarter90.total.conversations == 5  # O is older
        assert [g.key for g in quarter90.groups] == ["bot", "chat", "mail"]
        assert_shown(screen_text(app), quarter90)
        assert screen.report is not None and screen.report.as_dict() == quarter90.as_dict()

        for key, by in (("a", "agent"), ("l", "label"), ("h", "hour")):
            await pilot.press(key)
            await settle(pilot)
            assert_shown(screen_text(app), expected(quarter, 90, by))

        await pilot.press("l")
        await settle(pilot)
        assert "[b]vip[/b]" in screen_text(app)  # a label name is data: shown literally

        await pilot.press("g", "p")  # label → hour; 90d → 7d
        await settle(pilot)
        assert (screen.period, screen.grouping) == ("7d", "hour")
        assert_shown(screen_text(app), expected(quarter, 7, "hour"))

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, InboxScreen)


async def test_keys_work_while_computing_and_stale_answers_are_dropped(
        quarter: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    threads: list[str] = []
    real = report_screen.build_report

    def slow(*args: object, **kwargs: object) -> Report:
        threads.append(threading.current_thread().name)
        if kwargs.get("by") is None:
            release.wait(10)  # the first (overall) request hangs until the test lets it go
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(report_screen, "build_report", slow)
    app = make_app(quarter, "ann", clock=clock(), feed_interval=None)
    async with app.run_test(size=(120, 70)) as pilot:
        await pilot.pause()
        await pilot.press("R")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        assert "computing" in screen_text(app)
        await pilot.press("c")  # handled at once, though the first request is still running
        await settle_until(pilot, lambda: screen.report is not None)
        assert screen.report is not None and screen.report.by == "channel"
        release.set()
        await settle(pilot)
        assert screen.report.by == "channel"  # the late overall answer was not drawn
        assert threading.main_thread().name not in threads
    release.set()


async def settle_until(pilot: Pilot, done: Callable[[], bool]) -> None:
    for _ in range(200):
        if done():
            return
        await pilot.pause(0.01)
    raise AssertionError("the report never arrived")


async def test_report_key_is_in_the_registry_and_can_be_rebound(quarter: Settings) -> None:
    spec = keymap.BY_ID["app.report"]
    assert spec.palette and spec.description == "Report"
    assert {"report.back", "report.period", "report.group"} <= set(keymap.BY_ID)
    app: OmniConsole = make_app(quarter, "ann", clock=clock(), feed_interval=None)
    app.keys["app.report"] = "f4"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, InboxScreen)


async def _overall(pilot: Pilot) -> None:
    await open_report(pilot)


async def _by_agent_90d(pilot: Pilot) -> None:
    await open_report(pilot)
    await pilot.press("9", "a")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scene", ["overall", "by_agent_90d"])
def test_snapshot(scene: str, size: tuple[int, int], quarter: Settings,
                  snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = make_app(quarter, "ann", clock=clock(), feed_interval=None)
    run = {"overall": _overall, "by_agent_90d": _by_agent_90d}[scene]
    assert snap_compare(app, terminal_size=size, run_before=run)
