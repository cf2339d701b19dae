"""core.reports figures → rich `Text` and tables for the report screen, never markup.

Group keys are channel, agent and label names, i.e. data: they go in as `Text` (Rich would
parse a plain `str` cell as markup) and through `safe_line`. Pure functions, so the pilot
test can compare what is drawn with what core.reports computed.
"""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from omnitui.core.reports import Figures, Report, human
from omnitui.core.reports import percent as pct
from omnitui.tui.format import safe_line

LABEL_WIDTH = 27


def csat(f: Figures) -> str:
    return "-" if f.csat_average is None else f"{f.csat_average:.2f}"


def summary_lines(f: Figures) -> list[tuple[str, str, str]]:
    """(metric, value, detail) rows for one set of figures; the screen's "Overall" block."""
    breakdown = " · ".join(f"{k} {v}" for k, v in sorted(f.breaches_by_target.items()))
    return [
        ("Conversations created", str(f.conversations), ""),
        ("Inbound messages", str(f.inbound), ""),
        ("First response p50 / p90",
         f"{human(f.first_response_p50)} / {human(f.first_response_p90)}",
         f"{f.first_responses} answered"),
        ("Resolution p50 / p90", f"{human(f.resolution_p50)} / {human(f.resolution_p90)}",
         f"{f.resolved} resolved"),
        ("First-contact resolution", pct(f.fcr_rate), f"{f.fcr} of {f.resolved} resolved"),
        ("SLA breaches", str(f.breaches), breakdown),
        ("CSAT average", csat(f), f"{f.csat_count} rating{'s' if f.csat_count != 1 else ''}"),
    ]


def summary_text(f: Figures) -> Text:
    out = Text(no_wrap=True, overflow="ellipsis")
    for n, (metric, value, detail) in enumerate(summary_lines(f)):
        if n:
            out.append("\n")
        out.append(f"{metric:<{LABEL_WIDTH}}")
        out.append(f"{value:<14}", style="bold")
        out.append(detail, style="dim")
    return out


GROUP_COLUMNS = ("conv", "in", "1st\np50", "1st\np90", "res\np50", "res\np90", "FCR", "SLA",
                 "CSAT")


def group_cells(f: Figures) -> list[str]:
    """One table row: the same figures as the summary, compact enough for 80 columns."""
    rated = f"{csat(f)}/{f.csat_count}" if f.csat_count else "-"
    return [str(f.conversations), str(f.inbound), human(f.first_response_p50),
            human(f.first_response_p90), human(f.resolution_p50), human(f.resolution_p90),
            pct(f.fcr_rate), str(f.breaches), rated]


def _table(headers: tuple[str, ...]) -> Table:
    """Figures never shrink; when 80 columns are tight only the name column gives way."""
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, expand=False,
                  show_edge=False, header_style="bold")
    for n, header in enumerate(headers):
        table.add_column(Text(header), justify="left" if n == 0 else "right",
                         no_wrap=n > 0, overflow="ellipsis")
    return table


def groups_table(report: Report) -> RenderableType:
    """One row per group, then the all-conversations row (a conversation with two labels
    counts in both, so rows need not add up to it)."""
    if not report.groups:
        return Text("Nothing in this period.", style="dim")
    table = _table((report.by or "", *GROUP_COLUMNS))
    for f in report.groups:
        table.add_row(Text(safe_line(f.key)), *(Text(c) for c in group_cells(f)))
    table.add_section()
    table.add_row(Text("all", style="bold"),
                  *(Text(c, style="bold") for c in group_cells(report.total)))
    legend = Text("1st: first response · res: resolution · FCR: first-contact resolution · "
                  "CSAT: average/ratings", style="dim")
    return Group(table, legend)


def transfers_table(report: Report) -> RenderableType:
    if not report.transfers:
        return Text("No transfers in this period.", style="dim")
    table = _table(("agent", "given", "received"))
    for row in report.transfers:
        table.add_row(Text(safe_line(row.agent)), Text(str(row.given)), Text(str(row.received)))
    return table
