"""Pure rendering helpers for untrusted text: one line, a badge, a time, a block; never markup.

The timeline's entries are drawn by tui/timeline_text.py (kept apart: its row types are not
needed before the inbox is painted).

Customer text reaches the screen only as `Text` spans appended with `Text.append(str, style)`,
so `[@click=app.quit]` or `[link=…]` in a name stays literal characters.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from rich.cells import cell_len
from rich.text import Text

from omnitui.core.sanitize import clean_line
from omnitui.tui import rtl

KIND_BADGES = {"email": ("✉", "MAIL"), "telegram": ("✈", "TG"), "chat": ("◉", "CHAT")}
BADGE_STYLES = {"email": "bold blue", "telegram": "bold cyan", "chat": "bold green"}


def badge(kind: str, channel: str) -> Text:
    """A channel badge that is readable in 16 colours: a symbol plus the channel's name."""
    symbol = KIND_BADGES.get(kind, ("•", ""))[0]
    return Text(f"{symbol} {channel[:6]:<6}", style=BADGE_STYLES.get(kind, "bold"))


def waited(seconds: float | None) -> str:
    """Compact durations for a narrow column: 45s, 12m, 3h, 2d."""
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400 * 2:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def safe_line(text: str | None) -> str:
    """Belt and braces: store text is sanitised at ingest, but the screen never trusts it."""
    return clean_line(text or "") or ""


def display(text: str | None, width: int | None = None) -> str:
    """Untrusted text as one screen line: sanitised, cut to `width` cells with "…" when
    longer, and in right-to-left scripts put in visual order (see tui/rtl.py). Cut before
    reordering, so an Arabic subject loses its end, not its beginning."""
    line = safe_line(text)
    if width is not None:
        line = rtl.fit(line, width)
    return rtl.display(line)


def pad(text: str, width: int) -> str:
    """`display(text, width)` padded with spaces to exactly `width` cells."""
    shown = display(text, width)
    return shown + " " * max(0, width - cell_len(shown))


def stamp(at: float, tz: tzinfo, now: float) -> str:
    when = datetime.fromtimestamp(at, tz)
    today = datetime.fromtimestamp(now, tz).date()
    return when.strftime("%H:%M") if when.date() == today else when.strftime("%d %b %H:%M")


def text_block(text: str, width: int | None, style: str = "") -> Text:
    """A message body for the screen: right-to-left paragraphs in visual order, and, given
    the width, wrapped and aligned right; other paragraphs as they are."""
    if not rtl.reorders() or not rtl.has_rtl(text):
        return Text(text, style=style, end="")  # the common case, kept as cheap as before
    lines = [" " * max(0, width - cell_len(line)) + line if right and width else line
             for line, right in rtl.block_lines(text, width or 0)]
    return Text("\n".join(lines), style=style, end="")
