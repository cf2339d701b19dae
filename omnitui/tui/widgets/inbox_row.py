"""One inbox row as the agent reads it: marks, channel, customer, subject, labels, the time
left to the conversation's response target, and who has it.

The deadline column carries a glyph as well as a colour, so "overdue" reads the same in 256
colours, in 16 and under NO_COLOR. Customer text goes through `format.display`/`format.pad`
(sanitised, cut with "…", right-to-left text in visual order) and is appended as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text

from omnitui.store.inbox_query import InboxRow
from omnitui.tui.format import badge, display, pad, safe_line, waited

DEADLINE_WIDTH = 13
SOON = 600.0  # seconds: a target this close is shown as nearly due


@dataclass(frozen=True, slots=True)
class Deadline:
    glyph: str
    text: str
    style: str

    def cell(self) -> str:
        return f"{self.glyph} {self.text}"[:DEADLINE_WIDTH]


def deadline(row: InboxRow, now: float) -> Deadline:
    """What the deadline column says: the target's time left, how long the customer has
    waited when no target runs, or the state that stops the clock."""
    if row.status == "resolved":
        return Deadline("✓", "resolved", "dim")
    if row.status == "snoozed":
        return Deadline("◌", "snoozed", "dim")
    if row.status == "pending":
        return Deadline("◇", "on customer", "dim")
    if row.due_at is not None:
        left = row.due_at - now
        if left < 0:
            return Deadline("▲", f"overdue {waited(-left)}", "bold red")
        if left <= SOON:
            return Deadline("◐", f"{waited(left)} left", "bold yellow")
        return Deadline("◷", f"{waited(left)} left", "green")
    if row.waiting_since is not None:
        return Deadline("○", f"waiting {waited(now - row.waiting_since)}", "yellow")
    return Deadline(" ", "", "")


def inbox_row(row: InboxRow, now: float, width: int, *, marked: bool = False,
              suggestion: str | None = None) -> Text:
    """The row, exactly `width` cells wide. `suggestion`: the label of an open suggestion that
    this customer is somebody known, shown before the subject ("≈ Anna Kowalska: same na…")."""
    due = deadline(row, now)
    owner_w = 10 if width >= 100 else 8
    name_w = 20 if width >= 100 else 14
    right = Text(end="")
    labels = " ".join(f"#{safe_line(name)}" for name in row.labels[:3])
    right.append(f"{pad(due.cell(), DEADLINE_WIDTH)} ", style=due.style)
    right.append(pad(row.assignee or "—", owner_w), style="dim")
    line = Text(no_wrap=True, overflow="ellipsis", end="")
    line.append("■" if marked else " ", style="bold reverse" if marked else "")
    line.append("●" if row.unread else " ", style="bold yellow")
    line.append_text(badge(row.kind, row.channel))
    line.append(" ")
    line.append(pad(row.customer, name_w), style="bold" if row.unread else "")
    line.append(" ")
    room = max(0, width - line.cell_len - right.cell_len - 1)
    if suggestion and room > 8:
        # "≈" says "probably": the row has room for the name and the first reasons only.
        hint = display(suggestion.removeprefix("probably "), max(6, room // 2 - 2))
        line.append(f"≈ {hint} ", style="cyan")
        room = max(0, width - line.cell_len - right.cell_len - 1)
    label_w = min(cell_len(labels), room // 3) if labels else 0
    subject_w = max(0, room - (label_w + 1 if label_w else 0))
    line.append(pad(row.subject, subject_w), style="" if row.unread else "dim")
    if label_w:
        line.append(" ")
        line.append(pad(labels, label_w), style="magenta")
    line.append(" ")
    line.append_text(right)
    line.truncate(width, overflow="ellipsis", pad=True)
    return line
