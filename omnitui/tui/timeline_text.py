"""Timeline entries as rich `Text`: messages, notes, status changes and ratings, never markup.

Customer text reaches the screen only as `Text` spans appended with `Text.append(str, style)`,
so `[@click=app.quit]` or `[link=…]` in a name stays literal characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from rich.text import Text

from omnitui.core.sanitize import clean_text
from omnitui.store.console_queries import StatusChange
from omnitui.store.queries import MessageRow
from omnitui.store.rating_queries import Rating
from omnitui.tui.format import display, safe_line, stamp, text_block

STATE_MARKS = {"queued": "◷ queued", "sending": "◷ sending", "sent": "✓ sent",
               "delivered": "✓✓ delivered", "failed": "✗ failed"}
KIND_STYLES = {
    "inbound": ("◀", "bold"),
    "outbound": ("▶", "bold green"),
    "note": ("✎ note", "bold yellow"),
    "transfer": ("⇄ transfer", "bold magenta"),
    "call": ("☎ call", "bold cyan"),
    "system": ("•", "dim"),
    "rating": ("★", "bold yellow"),
}
RATING_BY = {"email": "email", "telegram": "Telegram", "chat": "chat"}


def message_text(msg: MessageRow, tz: tzinfo, now: float, current_conversation: int) -> Text:
    """One timeline entry as one Text: the header line, then the indented body."""
    head, body = message_parts(msg, tz, now, current_conversation)
    out = head.copy()
    out.end = ""
    for line in body.split("\n"):
        out.append("\n  ")
        out.append_text(line)
    return out


def message_parts(msg: MessageRow, tz: tzinfo, now: float, current_conversation: int,
                  width: int | None = None) -> tuple[Text, Text]:
    """(header, body) of a timeline entry, notes, transfers and calls set apart by colour.
    `width`: the body's width, so that right-to-left paragraphs are wrapped, reordered and
    aligned right here (see tui/rtl.py); without it they are only reordered."""
    mark, style = KIND_STYLES.get(msg.kind, ("•", ""))
    out = Text(end="\n")
    other = msg.conversation_id != current_conversation
    out.append(f"{mark} ", style=style)
    out.append(display(msg.author) or "?", style=style)
    if msg.kind in ("system", "rating"):  # a status change or a rating: one line, no body
        out.append(f" {display(msg.text)}", style="dim" if msg.kind == "system" else "yellow")
        out.append(f"  {stamp(msg.created_at, tz, now)}", style="dim")
        if msg.conversation_id != current_conversation:
            out.append(f"  #{msg.conversation_id}", style="dim italic")
        out.end = ""
        return out, Text(end="")
    if msg.channel:
        out.append(f" via {safe_line(msg.channel)}", style="dim")
    if msg.kind == "transfer" and msg.meta.get("to_name"):
        out.append(f" → {safe_line(str(msg.meta['to_name']))}", style="magenta")
    out.append(f"  {stamp(msg.created_at, tz, now)}", style="dim")
    if other:
        out.append(f"  #{msg.conversation_id}", style="dim italic")
    if msg.kind == "outbound" and msg.delivery_state:
        state = STATE_MARKS.get(msg.delivery_state, msg.delivery_state)
        out.append(f"  {state}", style="bold red" if msg.delivery_state == "failed" else "dim")
    if msg.edited:
        out.append("  (edited)", style="dim italic")
    for flag in msg.flags:
        out.append(f"  [{safe_line(flag)}]", style="dim")
    body = Text(end="")
    if msg.delivery_state == "failed":
        body.append("Not delivered: " + (safe_line(msg.failure_reason) or "no reason given")
                    + "\n", style="bold red")
    if msg.subject and msg.kind == "inbound":
        body.append("Subject: ", style="dim")
        body.append(display(msg.subject) + "\n", style="italic")
    body_style = {"note": "yellow", "transfer": "magenta", "call": "cyan",
                  "system": "dim"}.get(msg.kind, "")
    body.append_text(text_block(clean_text(msg.text or "").rstrip(), width, body_style))
    if msg.attachments:  # (core.attachments, hashlib and the file store: not at start-up)
        from omnitui.core.attachments import human_size, safe_filename
    for att in msg.attachments:  # names made safe (no separators) and drawn as data
        body.append("\n📎 ", style="dim")
        body.append(display(safe_filename(str(att.get("filename", "")))), style="underline")
        body.append(f"  {safe_line(str(att.get('content_type') or ''))} · "
                    f"{human_size(int(att.get('size') or 0))}"
                    + ("" if att.get("sha256") else " · not downloaded"), style="dim")
    return out, body


def rating_text(rating: Rating) -> str:
    """`rated 5 by email: quick!` (the comment is the customer's, sanitised at ingest)."""
    by = RATING_BY.get(rating.kind or "", "")
    text = f"rated {rating.score}" + (f" by {by}" if by else "")
    return text + (f": {safe_line(rating.comment)}" if rating.comment else "")


def rating_row(rating: Rating) -> MessageRow:
    """A rating as a timeline row (kind "rating", negative id: not a message)."""
    return MessageRow(-rating.event_id, rating.conversation_id, "rating", None, rating.customer,
                      rating_text(rating), None, rating.at, None, None, (), False, None, {})


def change_text(change: StatusChange, tz: tzinfo) -> str:
    d = change.data
    if change.kind == "assign":
        return f"assigned to {d['to']}" if d.get("to") else "unassigned"
    if change.kind in ("label", "unlabel"):
        verb = "labelled" if change.kind == "label" else "removed label"
        return f"{verb} #{safe_line(str(d.get('label', '')))}"
    status = str(d.get("status", ""))
    if d.get("woke"):
        return "woke from snooze"
    if status == "snoozed":
        until = d.get("until")
        when = datetime.fromtimestamp(until, tz).strftime("%d %b %H:%M") if until else None
        parts = [f"until {when}" if when else "", "until the customer replies"
                 if d.get("until_reply") else ""]
        return "snoozed " + " or ".join(p for p in parts if p)
    if status == "open" and d.get("previous") == "resolved":
        return "reopened"
    return {"resolved": "resolved", "pending": "set pending (waiting on the customer)",
            "open": "set open"}.get(status, f"set {status}")


def change_row(change: StatusChange, tz: tzinfo) -> MessageRow:
    """A status change as a timeline row (kind "system", negative id: not a message)."""
    return MessageRow(-change.event_id, change.conversation_id, "system", None, change.actor,
                      change_text(change, tz), None, change.at, None, None, (), False, None, {})


def merge_changes(messages: list[MessageRow], changes: list[StatusChange], tz: tzinfo,
                  ratings: Sequence[Rating] = ()) -> list[MessageRow]:
    """Messages, status changes and ratings in one stream, by time (a message first on a
    tie). The return to resolved that a rating by email makes is the rating's own line."""
    rows = [*messages, *(change_row(c, tz) for c in changes if not c.data.get("csat_rating")),
            *(rating_row(r) for r in ratings)]
    rows.sort(key=lambda m: (m.created_at, m.id < 0))
    return rows
