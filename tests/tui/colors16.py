"""A line filter that shows the console as a 16-colour terminal does: every colour becomes the
nearest of the 16 standard ones (what Rich sends to such a terminal), drawn in a standard
palette so a snapshot shows what the agent would see."""

from __future__ import annotations

from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from textual.color import Color
from textual.filter import LineFilter


def _sixteen(color: RichColor | None) -> RichColor | None:
    if color is None or color.is_default:
        return color
    standard = color.downgrade(ColorSystem.STANDARD)
    return RichColor.from_triplet(standard.get_truecolor(DEFAULT_TERMINAL_THEME))


class SixteenColours(LineFilter):
    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        out = []
        for text, style, control in segments:
            if style is not None and (style.color or style.bgcolor):
                style = style + Style.from_color(_sixteen(style.color), _sixteen(style.bgcolor))
            out.append(Segment(text, style, control))
        return out
