"""Busiest hours as horizontal bars drawn with block characters, sized to the widget's width.

Pure text (no markup): labels are numbers we make ourselves. On a wide terminal the 24 hours
are shown as two side-by-side columns (00–11, 12–23) so the chart fits on one screen.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import RenderResult
from textual.geometry import Size
from textual.widget import Widget

EIGHTHS = " ▏▎▍▌▋▊▉"  # partial cells: a bar's length is exact to 1/8 of a cell
TWO_COLUMNS_FROM = 96  # widget width at which 00–11 and 12–23 sit side by side
GUTTER = 4


def bar(count: int, top: int, width: int) -> str:
    """A bar `count/top` of `width` cells; any non-zero count shows at least a sliver."""
    if top <= 0 or count <= 0 or width <= 0:
        return ""
    eighths = max(1, round(count / top * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[part] if part else "")


def chart_lines(counts: Sequence[int], width: int) -> list[Text]:
    """One line per hour (or per pair of hours when wide): `HH:00 ████▌ count`."""
    counts = list(counts)
    top = max(counts, default=0)
    columns = 2 if width >= TWO_COLUMNS_FROM and len(counts) > 1 else 1
    col_width = (width - GUTTER * (columns - 1)) // columns
    digits = len(str(top))
    bar_width = max(1, col_width - len("00:00 ") - 1 - digits)
    rows = -(-len(counts) // columns)

    def cell(hour: int) -> Text:
        count = counts[hour]
        out = Text(no_wrap=True, overflow="crop")
        out.append(f"{hour:02d}:00 ", style="dim")
        drawn = bar(count, top, bar_width)
        out.append(drawn, style="bold cyan" if count == top and top else "cyan")
        out.append(" " * (bar_width - len(drawn)))
        out.append(f" {count:>{digits}}" if count else " " * (digits + 1),
                   style="bold" if count == top and top else "")
        return out

    lines = []
    for row in range(rows):
        line = Text(no_wrap=True, overflow="crop")
        for column in range(columns):
            hour = column * rows + row
            if hour < len(counts):
                if column:
                    line.append(" " * GUTTER)
                line.append_text(cell(hour))
        lines.append(line)
    return lines


class HourChart(Widget):
    """Inbound messages per local hour of day; redraws to fit when the terminal is resized."""

    DEFAULT_CSS = """
    HourChart { height: auto; }
    """

    def __init__(self, counts: Sequence[int] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.counts: tuple[int, ...] = tuple(counts)

    def update(self, counts: Sequence[int]) -> None:
        self.counts = tuple(counts)
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(chart_lines(self.counts, width)) if self.counts else 1

    def render(self) -> RenderResult:
        if not any(self.counts):
            return Text("No inbound messages in this period.", style="dim")
        return Text("\n").join(chart_lines(self.counts, self.content_size.width))
