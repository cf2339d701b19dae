"""The conversation screen's one-line bars: the title and the line above the reply box.

Pure functions of what they show and the width, so that at 80 columns nothing is cut
mid-word: a name or subject that does not fit ends in "…", and a key hint that does not fit
is left out whole (the help screen and the palette list every key).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from rich.text import Text

from omnitui.store.queries import ConversationDetail
from omnitui.tui.format import display

NAME_WIDTH = 24  # a customer's name never takes more of the title than this
MIN_SUBJECT = 8  # a subject squeezed below this many cells is left out


def title_line(d: ConversationDetail, viewers: Sequence[Any], width: int) -> Text:
    """` #4  Ahmed  open ★ 5/5  Subject…  → anna  ◉ Ben typing…`, fitted to `width`."""
    title = Text(no_wrap=True, overflow="ellipsis", end="")
    title.append(f" #{d.id} ", style="bold reverse")
    title.append(" " + display(d.customer, NAME_WIDTH), style="bold")
    title.append(f"  {d.status}", style="bold green" if d.status == "open" else "yellow")
    if d.rating is not None:
        title.append(f"  ★ {d.rating}/5", style="bold yellow")
    right = Text(end="")
    right.append(f"  → {display(d.assignee, NAME_WIDTH) if d.assignee else 'unassigned'}",
                 style="dim")
    for v in viewers:
        right.append(f"  ◉ {display(v.name, NAME_WIDTH)} {'typing…' if v.typing else 'viewing'}",
                     style="bold cyan")
    room = width - title.cell_len - right.cell_len - 2
    if d.subject and room >= MIN_SUBJECT:
        title.append("  " + display(d.subject, room), style="italic")
    title.append_text(right)
    return title


def hints_line(lead: Text, hints: Sequence[tuple[str, str]], width: int) -> Text:
    """`lead`, then `· key what` hints for as long as whole ones fit in `width`."""
    line = lead.copy()
    line.no_wrap, line.overflow, line.end = True, "ellipsis", ""
    for key, what in hints:
        hint = f" · {key} {what}"
        if line.cell_len + cell_len(hint) > width - 1:
            break
        line.append(" · ", style="dim")
        line.append(key, style="bold")
        line.append(f" {what}", style="dim")
    return line
