"""The customer side panel: pinned transfer note, identities, labels, past conversations."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from omnitui.core.identity_trust import identity_origin, identity_warning
from omnitui.store.queries import ConversationDetail
from omnitui.tui.format import KIND_BADGES, display, safe_line, text_block

PANEL_TEXT_WIDTH = 25  # the panel's 30 columns less border, padding and a scrollbar


def side_text(detail: ConversationDetail, past: list[dict[str, Any]], tz: tzinfo,
              suggested: Sequence[str] = (), suggestion_keys: str = "") -> Text:
    """`suggested`: labels of open suggestions that this customer is somebody known (hints,
    never proof), with `suggestion_keys` saying how to act on the first."""
    out = Text(end="")
    note = detail.transfer_note
    if note is not None:
        out.append("⇄ Transfer note", style="bold magenta")
        out.append(f" from {display(note.author, 14)}\n", style="magenta")
        out.append_text(text_block(note.text.strip(), PANEL_TEXT_WIDTH, "magenta"))
        out.append("\n\n")
    out.append(display(detail.customer, PANEL_TEXT_WIDTH) + "\n", style="bold")
    if detail.rating is not None:
        out.append(f"★ rated {detail.rating}/5\n", style="bold yellow")
    for label in suggested[:2]:
        out.append(_wrapped(label, "≈ "), style="bold cyan")
    if suggested and suggestion_keys:
        out.append(_wrapped(suggestion_keys, "  "), style="dim")
    for ident in detail.identities:
        symbol = KIND_BADGES.get(ident["kind"], ("•", ""))[0]
        out.append(f"{symbol} ", style="bold")
        address = display(ident["address"], PANEL_TEXT_WIDTH - 2)
        out.append(address)
        channel = f" ({safe_line(ident.get('channel'))})" if ident.get("channel") else ""
        if cell_len(address) + cell_len(channel) <= PANEL_TEXT_WIDTH - 2:
            out.append(channel, style="dim")
        out.append("\n")
        out.append(_unverified(ident), style="bold yellow")
        origin = identity_origin(ident)
        if origin:
            out.append(f"  {origin}\n", style="dim")
    out.append("\nLabels: ", style="bold")
    out.append(" ".join(f"#{display(x, PANEL_TEXT_WIDTH - 1)}" for x in detail.labels) or "none",
               style="magenta" if detail.labels else "dim")
    out.append("\n\nConversations\n", style="bold")
    for conv in past[:12]:
        current = conv["id"] == detail.id
        when = datetime.fromtimestamp(conv["last_message_at"], tz).strftime("%d %b")
        head = f"{'▸ ' if current else '  '}#{conv['id']} {conv['status']} · {when}\n"
        out.append(head, style="bold" if current else "dim")
        subject = conv.get("subject") or conv.get("channel") or ""
        out.append("  " + display(subject, PANEL_TEXT_WIDTH - 2) + "\n")
    return out


def _wrapped(text: str, first: str) -> str:
    """Untrusted one-line text (a customer's name) wrapped to the panel, indented under
    `first`."""
    return "\n".join(textwrap.wrap(safe_line(text), PANEL_TEXT_WIDTH, initial_indent=first,
                                    subsequent_indent="  ")) + "\n"


def _unverified(ident: dict[str, Any]) -> str:
    """A warning under an identity tied to this customer by nothing but a claim, wrapped to the
    panel so that it reads as its own indented note ("" when there is nothing to warn of)."""
    note = identity_warning(ident)
    if note is None:
        return ""
    return "\n".join(textwrap.wrap(note, PANEL_TEXT_WIDTH, initial_indent="  ⚠ ",
                                    subsequent_indent="  ")) + "\n"


class SidePanel(VerticalScroll, can_focus=False):
    DEFAULT_CSS = """
    SidePanel { width: 30; border-left: vkey $panel-lighten-2; padding: 0 1; }
    """

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="side-body")

    _lines = -1  # the height of the text shown, when no line of it wraps (else -1)

    def show(self, text: Text) -> None:
        """A layout (every widget placed again, the whole screen drawn) only when the text's
        height may change: a new date on a line of the same length is a redraw of the panel."""
        body = self.query_one("#side-body", Static)
        lines = text.plain.split("\n")
        unwrapped = max(map(cell_len, lines)) <= body.content_size.width
        height = len(lines) if unwrapped else -1
        body.update(text, layout=height < 0 or height != self._lines)
        self._lines = height
