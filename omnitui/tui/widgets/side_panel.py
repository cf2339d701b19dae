"""The customer side panel: pinned transfer note, identities, labels, past conversations."""

from __future__ import annotations

import textwrap
from datetime import datetime, tzinfo
from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from omnitui.core.identities import unverified_note
from omnitui.store.queries import ConversationDetail
from omnitui.tui.format import KIND_BADGES, safe_line

PANEL_TEXT_WIDTH = 25  # the panel's 28 columns less border and padding


def side_text(detail: ConversationDetail, past: list[dict[str, Any]], tz: tzinfo) -> Text:
    out = Text(end="")
    note = detail.transfer_note
    if note is not None:
        out.append("⇄ Transfer note", style="bold magenta")
        out.append(f" from {safe_line(note.author)}\n", style="magenta")
        out.append(note.text.strip() + "\n\n", style="magenta")
    out.append(safe_line(detail.customer) + "\n", style="bold")
    for ident in detail.identities:
        symbol = KIND_BADGES.get(ident["kind"], ("•", ""))[0]
        out.append(f"{symbol} ", style="bold")
        out.append(safe_line(ident["address"]))
        if ident.get("channel"):
            out.append(f" ({safe_line(ident['channel'])})", style="dim")
        out.append("\n")
        out.append(_unverified(ident.get("linked_via")), style="bold yellow")
    out.append("\nLabels: ", style="bold")
    out.append(" ".join(f"#{safe_line(x)}" for x in detail.labels) or "none",
               style="magenta" if detail.labels else "dim")
    out.append("\n\nConversations\n", style="bold")
    for conv in past[:12]:
        current = conv["id"] == detail.id
        when = datetime.fromtimestamp(conv["last_message_at"], tz).strftime("%d %b")
        head = f"{'▸ ' if current else '  '}#{conv['id']} {conv['status'][:4]} {when} "
        out.append(head, style="bold" if current else "dim")
        room = max(0, PANEL_TEXT_WIDTH - len(head))
        subject = safe_line(conv.get("subject") or conv.get("channel") or "")
        out.append((subject[: room - 1] + "…" if len(subject) > room else subject) + "\n")
    return out


def _unverified(linked_via: str | None) -> str:
    """A warning under an identity tied to this customer by nothing but a claim, wrapped to the
    panel so that it reads as its own indented note ("" when there is nothing to warn of)."""
    note = unverified_note(linked_via)
    if note is None:
        return ""
    return "\n".join(textwrap.wrap(note, PANEL_TEXT_WIDTH, initial_indent="  ⚠ ",
                                    subsequent_indent="  ")) + "\n"


class SidePanel(VerticalScroll, can_focus=False):
    DEFAULT_CSS = """
    SidePanel { width: 28; border-left: vkey $panel-lighten-2; padding: 0 1; }
    """

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="side-body")

    def show(self, text: Text) -> None:
        self.query_one("#side-body", Static).update(text)
