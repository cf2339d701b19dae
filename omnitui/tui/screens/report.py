"""The report screen: `omnitui report` in the console, for a period and a grouping.

The figures come from core.reports (the one definition shared with the CLI). They take a few
queries and business-time arithmetic over up to 90 days, so they are computed in a worker
thread on its own connection and posted back; the screen stays responsive and only the newest
request is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from omnitui.core.hours import BusinessHours
from omnitui.core.reports import GROUPINGS, Report, build_report
from omnitui.core.sla import SlaPolicy
from omnitui.store.db import Database, Store
from omnitui.tui import keymap
from omnitui.tui.widgets.bar_chart import HourChart
from omnitui.tui.widgets.report_tables import groups_table, summary_text, transfers_table

PERIODS = {"7d": 7, "30d": 30, "90d": 90}  # days back from now
GROUPS = ("overall", *GROUPINGS)


class ReportScreen(Screen[None]):
    """Volume, response and resolution times, FCR, SLA, CSAT, transfers and busy hours."""

    SCOPES = ("report",)
    AUTO_FOCUS = "#report-body"
    BINDINGS = keymap.bindings("report")  # type: ignore[assignment]
    DEFAULT_CSS = """
    ReportScreen #report-title { height: 1; background: $boost; }
    ReportScreen #report-body { height: 1fr; padding: 0 1; }
    ReportScreen .report-heading { text-style: bold; margin-top: 1; }
    ReportScreen #report-groups-title, ReportScreen #report-groups { display: none; }
    """

    @dataclass
    class Ready(Message):
        """A computed report, tagged with the request it answers."""

        request: int
        report: Report

    @dataclass
    class Failed(Message):
        request: int
        error: str

    def __init__(self, period: str = "30d", grouping: str = "overall") -> None:
        super().__init__()
        self.period = period
        self.grouping = grouping
        self.report: Report | None = None
        self.request = 0  # newest request; older answers are dropped
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static(id="report-title")
        with VerticalScroll(id="report-body"):
            yield Static(Text("Overall"), classes="report-heading", id="report-summary-title")
            yield Static(id="report-summary")
            yield Static(classes="report-heading", id="report-groups-title")
            yield Static(id="report-groups")
            yield Static(Text("Transfers per agent"), classes="report-heading")
            yield Static(id="report-transfers")
            yield Static(Text("Busiest hours (inbound messages, local time)"),
                         classes="report-heading")
            yield HourChart(id="report-hours")
        yield Footer()

    def on_mount(self) -> None:
        self.recompute()

    # requests -------------------------------------------------------------------------------
    def recompute(self) -> None:
        """Ask the worker for the figures of the current period and grouping."""
        self.request += 1
        self.busy = True
        self._show_title()
        app = self.app
        settings = app.settings  # type: ignore[attr-defined]
        now = datetime.fromtimestamp(app.now(), UTC)  # type: ignore[attr-defined]
        self._compute(self.request, app.store.database,  # type: ignore[attr-defined]
                      SlaPolicy.from_config(settings.sla),
                      BusinessHours.from_config(settings.hours, settings.timezone),
                      now - timedelta(days=PERIODS[self.period]), now,
                      None if self.grouping == "overall" else self.grouping)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def _compute(self, request: int, database: Database, policy: SlaPolicy, hours: BusinessHours,
                 since: datetime, now: datetime, by: str | None) -> None:
        """Runs in a thread with its own connection (closed after), so no query blocks keys."""
        store = Store(database)
        try:
            report = build_report(store, policy, hours, since=since, now=now, by=by)
        except Exception as exc:  # shown on the screen; the console keeps running
            self.post_message(self.Failed(request, str(exc) or type(exc).__name__))
            return
        finally:
            store.close()
        self.post_message(self.Ready(request, report))

    def on_report_screen_ready(self, message: ReportScreen.Ready) -> None:
        if message.request != self.request:
            return  # an answer to a period or grouping the agent has already left
        self.busy = False
        self.report = message.report
        self._draw(message.report)

    def on_report_screen_failed(self, message: ReportScreen.Failed) -> None:
        if message.request != self.request:
            return
        self.busy = False
        self._show_title()
        self.app.notify(f"The report could not be computed: {message.error}",
                        severity="error", markup=False)

    # drawing --------------------------------------------------------------------------------
    def _show_title(self) -> None:
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(f" Report: last {PERIODS[self.period]} days", style="bold")
        if self.grouping != "overall":
            title.append(f" by {self.grouping}", style="bold")
        if self.busy:
            title.append("  computing…", style="dim italic")
        elif self.report is not None:
            tz = self.app.tz  # type: ignore[attr-defined]
            since = self.report.since.astimezone(tz).strftime("%d %b")
            until = self.report.until.astimezone(tz).strftime("%d %b %Y %H:%M")
            title.append(f"  {since} – {until}", style="dim")
        title.append("   p period · g group · esc back", style="dim")
        self.query_one("#report-title", Static).update(title)

    def _draw(self, report: Report) -> None:
        self._show_title()
        self.query_one("#report-summary", Static).update(summary_text(report.total))
        grouped = report.by is not None
        heading = self.query_one("#report-groups-title", Static)
        body = self.query_one("#report-groups", Static)
        heading.display = body.display = grouped
        if grouped:
            heading.update(Text(f"By {report.by}"))
            body.update(groups_table(report))
        self.query_one("#report-transfers", Static).update(transfers_table(report))
        self.query_one(HourChart).update(report.inbound_by_hour)

    # actions --------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.dismiss(None)

    def action_period(self, period: str) -> None:
        if period in PERIODS and period != self.period:
            self.period = period
            self.recompute()

    def action_next_period(self) -> None:
        order = list(PERIODS)
        self.action_period(order[(order.index(self.period) + 1) % len(order)])

    def action_grouping(self, grouping: str) -> None:
        if grouping in GROUPS and grouping != self.grouping:
            self.grouping = grouping
            self.recompute()

    def action_next_grouping(self) -> None:
        self.action_grouping(GROUPS[(GROUPS.index(self.grouping) + 1) % len(GROUPS)])

    def action_refresh(self) -> None:
        self.recompute()

    def action_scroll_body(self, lines: int) -> None:
        self.query_one("#report-body", VerticalScroll).scroll_relative(y=lines, animate=False)
