"""`omnitui report`: are we keeping our promises? Tables, a busiest-hours chart, JSON or CSV.

Thin by design: the figures and their definitions live in core.reports (and README.md); this file
parses options and prints.
"""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime

import typer
from rich.text import Text

from omnitui.cli.app import JSON_OPTION, app
from omnitui.cli.common import fail, open_store, out, print_json, settings, table
from omnitui.core.hours import BusinessHours, parse_duration
from omnitui.core.reports import GROUPINGS, Figures, Report, build_report, human, percent
from omnitui.core.sla import SlaPolicy

BAR_WIDTH = 40
CSV_COLUMNS = (
    "key", "conversations", "inbound", "first_response_p50", "first_response_p90",
    "first_responses", "resolution_p50", "resolution_p90", "resolved", "fcr_rate", "fcr",
    "breaches", "csat_average", "csat_count",
)


def _row(f: Figures) -> list[str]:
    csat = "-" if f.csat_average is None else f"{f.csat_average:.2f} ({f.csat_count})"
    return [f.key, str(f.conversations), str(f.inbound), human(f.first_response_p50),
            human(f.first_response_p90), human(f.resolution_p50), human(f.resolution_p90),
            f"{percent(f.fcr_rate)} ({f.fcr}/{f.resolved})", str(f.breaches), csat]


def bar_chart(counts: tuple[int, ...]) -> Text:
    """Inbound messages per local hour of day, as a horizontal bar chart."""
    top = max(counts) if counts else 0
    chart = Text()
    for hour, count in enumerate(counts):
        width = round(count / top * BAR_WIDTH) if top else 0
        if count and not width:
            width = 1
        chart.append(f"{hour:02d}:00 ", style="dim")
        chart.append("█" * width, style="cyan")
        chart.append(f" {count}\n" if count else "\n")
    return chart


METRICS = ("conversations", "inbound messages", "first response p50", "first response p90",
           "resolution p50", "resolution p90", "first-contact resolution", "SLA breaches", "CSAT")
WIDE_AFTER = 4  # more groups than this: one row per group instead of one column per group


def print_report(report: Report) -> None:
    since = report.since.isoformat(timespec="minutes")
    until = report.until.isoformat(timespec="minutes")
    title = f"Service report {since} – {until} (business time)"
    figures = [*report.groups, report.total]
    if len(report.groups) > WIDE_AFTER:
        table([report.by or "", *METRICS], [_row(f) for f in figures], title=title)
    else:
        columns = [_row(f) for f in figures]
        table(["", *(c[0] for c in columns)],
              [[metric, *(c[n + 1] for c in columns)] for n, metric in enumerate(METRICS)],
              title=title)
    if report.transfers:
        table(["agent", "transfers given", "transfers received"],
              [[t.agent, t.given, t.received] for t in report.transfers], title="Transfers")
    out.print(Text("Busiest hours (inbound messages, local time)", style="bold"))
    out.print(bar_chart(report.inbound_by_hour), end="")


def write_csv(report: Report) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f in [*report.groups, report.total]:
        writer.writerow(["" if getattr(f, c) is None else getattr(f, c) for c in CSV_COLUMNS])


def _parse_until(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        fail(f'"{text}" is not a date or time like "2026-05-31" or "2026-05-31T18:00".')
    return at if at.tzinfo else at.replace(tzinfo=settings().tz)


@app.command("report")
def report_command(
    since: str = typer.Option("30d", "--since", help="How far back, like 7d, 30d or 12h."),
    by: str | None = typer.Option(None, "--by", help="Group by channel, agent, label or hour."),
    until: str | None = typer.Option(None, "--until",
                                     help="End of the window (ISO date/time; default now)."),
    as_json: bool = JSON_OPTION,
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV (one row per group, then all)."),
) -> None:
    """Volume, response and resolution times, FCR, SLA breaches, CSAT, transfers, busy hours."""
    if by is not None and by not in GROUPINGS:
        fail(f"--by must be one of {', '.join(GROUPINGS)}, not '{by}'.")
    if as_json and as_csv:
        fail("Choose one of --json and --csv.")
    try:
        window = parse_duration(since)
    except ValueError as exc:
        fail(str(exc))
    s = settings()
    end = _parse_until(until)
    store = open_store(s)
    report = build_report(store, SlaPolicy.from_config(s.sla),
                          BusinessHours.from_config(s.hours, s.timezone),
                          since=end - window, now=end, by=by)
    if as_json:
        print_json(report.as_dict())
    elif as_csv:
        write_csv(report)
    else:
        print_report(report)
