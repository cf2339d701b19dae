"""Recognising customers from the CLI: identities an agent adds, the suggestions ingest made, and
a customer's whole timeline. Customer text is printed as data (Rich `Text`), never as markup."""

from __future__ import annotations

from typing import Any

import typer
from rich.text import Text

from omnitui.cli.app import AGENT_OPTION, JSON_OPTION
from omnitui.cli.common import acting_agent, err, open_store, out, print_json, settings, table
from omnitui.cli.people import customer_app
from omnitui.core.added_identities import KINDS, add_identity
from omnitui.core.clock import iso
from omnitui.core.sanitize import clean_line, clean_text
from omnitui.core.suggestions import (
    dismiss_suggestion,
    get_suggestion,
    open_suggestions,
    suggestion_label,
)
from omnitui.store import queries
from omnitui.store.db import NotFound, Store

suggestion_app = typer.Typer(help="Act on one suggestion that two customers are one person.",
                             no_args_is_help=True)
customer_app.add_typer(suggestion_app, name="suggestion")
TIMELINE_PAGE = 500


@customer_app.command("add-identity")
def customer_add_identity(
    customer_id: int = typer.Argument(..., metavar="CUSTOMER"),
    kind: str = typer.Argument(..., help=f"One of {', '.join(KINDS)} (a Telegram @username)."),
    value: str = typer.Argument(..., help="The address, number or username, as the customer "
                                          "gave it."),
    agent: str | None = AGENT_OPTION,
) -> None:
    """Add an email address, phone number or Telegram username the customer told you about."""
    store = open_store()
    region = settings().recognition.phone_region
    identity_id, new = add_identity(store, customer_id, kind, value,
                                    acting_agent(store, agent), phone_region=region)
    shown = clean_line(value)
    if new:
        out.print(Text(f"Added {kind} {shown} to customer {customer_id} (identity {identity_id})."))
    else:
        out.print(Text(f"Customer {customer_id} already has {kind} {shown} "
                       f"(identity {identity_id}); nothing changed."))


@customer_app.command("suggestions")
def customer_suggestions(
    as_json: bool = JSON_OPTION,
    customer_id: int | None = typer.Option(None, "--customer", help="Only about this customer."),
) -> None:
    """Open suggestions that two customers are one person, most certain first."""
    found = open_suggestions(open_store(), customer_id)
    if as_json:
        print_json([{"id": s.id, "customer_id": s.customer_id, "customer_name": s.customer_name,
                     "candidate_id": s.candidate_id, "candidate_name": s.candidate_name,
                     "reasons": s.reasons, "details": s.details, "score": s.score,
                     "label": suggestion_label(s), "created_at": iso(s.created_at)}
                    for s in found])
        return
    if not found:
        out.print(Text("No open suggestions."))
        return
    table(["id", "customer", "probably", "because", "merge with"],
          [[s.id, f"#{s.customer_id} {s.customer_name}", f"#{s.candidate_id} {s.candidate_name}",
            ", ".join(s.reasons), f"omnitui customer merge {s.candidate_id} {s.customer_id}"]
           for s in found])


@suggestion_app.command("dismiss")
def suggestion_dismiss(suggestion_id: int, agent: str | None = AGENT_OPTION) -> None:
    """Say the two are not one person; the pair is not suggested again on the same grounds."""
    store = open_store()
    dismiss_suggestion(store, suggestion_id, acting_agent(store, agent))
    out.print(Text(f"Dismissed suggestion {suggestion_id}."))


@suggestion_app.command("show")
def suggestion_show(suggestion_id: int, as_json: bool = JSON_OPTION) -> None:
    """One suggestion, whatever its state."""
    row = get_suggestion(open_store(), suggestion_id)
    if as_json:
        print_json(row)
        return
    out.print(Text(f"Suggestion {row['id']} ({row['state']}): customer {row['customer_id']} is "
                   f"{row['label']} (customer {row['candidate_id']})."))


@customer_app.command("timeline")
def customer_timeline(
    customer_id: int = typer.Argument(..., metavar="CUSTOMER"),
    as_json: bool = JSON_OPTION,
) -> None:
    """The customer's whole history across conversations and channels, oldest first: messages,
    notes, calls, transfers."""
    store = open_store()
    customer_id = _current(store, customer_id)
    rows = _whole_timeline(store, customer_id)
    if as_json:
        print_json([_entry(m) for m in rows])
        return
    if not rows:
        out.print(Text(f"Customer {customer_id} has no messages yet."))
    for m in rows:
        out.print(_line(m))


def _current(store: Store, customer_id: int) -> int:
    row = store.conn.execute("SELECT merged_into FROM customer WHERE id = ?",
                             (customer_id,)).fetchone()
    if row is None:
        raise NotFound(f"There is no customer {customer_id}.")
    seen = {customer_id}
    while row is not None and row[0] is not None and row[0] not in seen:
        customer_id = row[0]
        seen.add(customer_id)
        row = store.conn.execute("SELECT merged_into FROM customer WHERE id = ?",
                                 (customer_id,)).fetchone()
    if len(seen) > 1:
        err.print(Text(f"That customer was merged into customer {customer_id}; showing it."))
    return customer_id


def _whole_timeline(store: Store, customer_id: int) -> list[queries.MessageRow]:
    """Every page of `queries.customer_timeline`, oldest first, read in one snapshot."""
    pages: list[list[queries.MessageRow]] = []
    before: int | None = None
    with store.read():
        while True:
            page = queries.customer_timeline(store, customer_id, limit=TIMELINE_PAGE,
                                             before_id=before)
            if page:
                pages.append(page)
            if len(page) < TIMELINE_PAGE:
                break
            before = page[0].id
    return [m for page in reversed(pages) for m in page]


def _entry(m: queries.MessageRow) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": m.id, "conversation_id": m.conversation_id, "kind": m.kind, "channel": m.channel,
        "author": m.author, "at": iso(m.created_at), "text": m.text, "subject": m.subject,
        "delivery_state": m.delivery_state, "attachments": [a["filename"] for a in m.attachments]}
    for key in ("medium", "phone", "from", "to"):
        if key in m.meta:
            entry[key] = m.meta[key]
    return entry


def _line(m: queries.MessageRow) -> Text:
    who = clean_line(m.author) or ""
    if m.kind == "transfer":
        who = f"{m.meta.get('from', who)} → {m.meta.get('to', '?')} (transfer note)"
    elif m.kind == "call":
        phone = f" from {m.meta['phone']}" if m.meta.get("phone") else ""
        who = f"{who} logged a {m.meta.get('medium', 'phone')} call{phone}"
    elif m.kind == "note":
        who = f"{who} (note)"
    elif m.kind == "outbound":
        who = f"{who} → customer"
    line = Text(f"{iso(m.created_at)}  #{m.conversation_id} {m.channel or '-':<8} {m.kind:<8} ",
                style="dim")
    line.append(clean_line(who) or "")
    if m.subject and m.kind == "inbound":
        line.append(f"  [{clean_line(m.subject)}]")
    line.append(": ")
    text = clean_text(m.text) or ""
    line.append(text.replace("\n", "\n    "))
    for attachment in m.attachments:
        line.append(f"  📎 {clean_line(attachment['filename'])}")
    return line
