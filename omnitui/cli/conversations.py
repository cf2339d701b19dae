"""Conversations and scripted agent actions: list, show, reply, note, transfer, …"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

import typer
from rich.text import Text

from omnitui.agent_files import file_limits
from omnitui.cli.app import AGENT_OPTION, JSON_OPTION, app
from omnitui.cli.common import acting_agent, fail, open_store, out, print_json, settings, table
from omnitui.core import actions
from omnitui.core.clock import iso
from omnitui.core.hours import parse_duration
from omnitui.core.signatures import Signing
from omnitui.store import queries

conversation_app = typer.Typer(help="List and show conversations.", no_args_is_help=True)
app.add_typer(conversation_app, name="conversation")


@conversation_app.command("list")
def conversation_list(
    as_json: bool = JSON_OPTION,
    status: str = typer.Option(
        "active", "--status", help="active, open, pending, snoozed, resolved or any."
    ),
    channel: str | None = typer.Option(None, "--channel"),
    label: str | None = typer.Option(None, "--label"),
    limit: int = typer.Option(100, "--limit"),
    offset: int = typer.Option(0, "--offset"),
) -> None:
    store = open_store()
    view = queries.InboxView(status=status, channel=channel, label=label)
    rows = queries.inbox_page(store, view, offset, limit)
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    table(
        ["id", "channel", "customer", "subject", "status", "waiting since", "assignee"],
        [
            [
                r.id,
                r.channel,
                r.customer,
                r.subject[:60],
                r.status,
                iso(r.waiting_since),
                r.assignee,
            ]
            for r in rows
        ],
    )


@conversation_app.command("show")
def conversation_show(conversation_id: int, as_json: bool = JSON_OPTION) -> None:
    store = open_store()
    detail = queries.conversation_detail(store, conversation_id)
    messages = queries.conversation_messages(store, conversation_id)
    if as_json:
        data = asdict(detail)
        data["messages"] = [asdict(m) for m in messages]
        print_json(data)
        return
    out.print(
        Text(
            f"Conversation {detail.id} with {detail.customer} — {detail.status}"
            f"{', assigned to ' + detail.assignee if detail.assignee else ''}"
        )
    )
    for m in messages:
        state = f" [{m.delivery_state}]" if m.delivery_state else ""
        reason = (
            f" ({m.failure_reason})" if m.failure_reason and m.delivery_state == "failed" else ""
        )
        out.print(
            Text(
                f"\n{iso(m.created_at)} {m.kind} {m.channel or ''} {m.author}{state}{reason}",
                style="bold",
            )
        )
        out.print(Text(m.text))


@app.command()
def reply(
    conversation_id: int,
    text: str,
    agent: str | None = AGENT_OPTION,
    via: int | None = typer.Option(
        None, "--via", help="Identity id to reply on (see 'customer show')."
    ),
    attach: list[Path] = typer.Option([], "--attach", help="A file to attach (repeatable)."),
    no_signature: bool = typer.Option(False, "--no-signature", help="Leave the signature out "
                                      "(a channel's footer is always added)."),
) -> None:
    """Queue a reply; the hub delivers it on the customer's latest channel, signed."""
    store = open_store()
    s = settings()
    queued = actions.reply(
        store,
        conversation_id,
        text,
        acting_agent(store, agent),
        via_identity=via,
        signing=Signing.from_settings(s),
        signature="" if no_signature else None,
        attachments=attach,
        attachments_dir=s.attachments_dir,
        file_limits=file_limits(s),
    )
    out.print(Text(f"Queued reply {queued.message_id} on {queued.channel}."))


@app.command()
def note(conversation_id: int, text: str, agent: str | None = AGENT_OPTION) -> None:
    """Add a private note (never sent to the customer)."""
    store = open_store()
    message_id = actions.note(store, conversation_id, text, acting_agent(store, agent))
    out.print(Text(f"Added note {message_id}."))


@app.command()
def transfer(
    conversation_id: int,
    to_agent: str,
    note_text: str = typer.Argument(..., metavar="NOTE"),
    agent: str | None = AGENT_OPTION,
    tell_customer: bool = typer.Option(
        False, "--tell-customer", help="Also tell the customer who takes over."
    ),
) -> None:
    """Hand a conversation to a colleague with a warm note."""
    store = open_store()
    actions.transfer(
        store,
        conversation_id,
        to_agent,
        note_text,
        acting_agent(store, agent),
        tell_customer=tell_customer,
    )
    out.print(Text(f"Transferred conversation {conversation_id} to {to_agent}."))


@app.command()
def assign(
    conversation_id: int,
    to_agent: str = typer.Argument(..., help="Agent username, or 'nobody' to unassign."),
    agent: str | None = AGENT_OPTION,
) -> None:
    """Give a conversation to an agent (or to nobody, back to the shared queue)."""
    store = open_store()
    target = None if to_agent in ("nobody", "-") else to_agent
    actions.assign(store, conversation_id, target, acting_agent(store, agent))
    out.print(Text(f"Assigned conversation {conversation_id} to {target or 'nobody'}."))


@app.command()
def resolve(conversation_id: int, agent: str | None = AGENT_OPTION) -> None:
    """Close a conversation as done (a reply from the customer reopens it)."""
    store = open_store()
    actions.resolve(store, conversation_id, acting_agent(store, agent))
    out.print(Text(f"Resolved conversation {conversation_id}."))


@app.command()
def reopen(conversation_id: int, agent: str | None = AGENT_OPTION) -> None:
    """Open a resolved or pending conversation again."""
    store = open_store()
    actions.reopen(store, conversation_id, acting_agent(store, agent))
    out.print(Text(f"Reopened conversation {conversation_id}."))


@app.command()
def pending(conversation_id: int, agent: str | None = AGENT_OPTION) -> None:
    """Mark as waiting on the customer."""
    store = open_store()
    actions.set_pending(store, conversation_id, acting_agent(store, agent))
    out.print(Text(f"Conversation {conversation_id} is pending on the customer."))


def parse_until(value: str) -> datetime:
    """'2h', '1d', or an ISO time like 2026-12-01T09:00 (local time zone of the config)."""
    s = settings()
    try:
        return datetime.now(s.tz) + parse_duration(value)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        fail(f"'{value}' is neither a duration like 2h nor a time like 2026-12-01T09:00.")
    return when if when.tzinfo else when.replace(tzinfo=s.tz)


@app.command()
def snooze(
    conversation_id: int,
    until: str | None = typer.Option(None, "--until", help="A duration (2h, 1d) or a time."),
    until_reply: bool = typer.Option(
        False, "--until-reply", help="Until the customer writes again."
    ),
    agent: str | None = AGENT_OPTION,
) -> None:
    """Hide a conversation until a time or the customer's next message."""
    store = open_store()
    when = parse_until(until) if until else None
    if when is not None and when < datetime.now(when.tzinfo) - timedelta(seconds=1):
        fail("That time is in the past.")
    actions.snooze(
        store, conversation_id, acting_agent(store, agent), until=when, until_reply=until_reply
    )
    what = f"until {when.isoformat(timespec='minutes')}" if when else "until the next reply"
    out.print(Text(f"Snoozed conversation {conversation_id} {what}."))


@app.command()
def label(
    conversation_id: int,
    name: str,
    remove: bool = typer.Option(False, "--remove"),
    agent: str | None = AGENT_OPTION,
) -> None:
    """Add a label to a conversation, or take it off with --remove."""
    store = open_store()
    actions.label(store, conversation_id, name, acting_agent(store, agent), remove=remove)
    out.print(Text(f"{'Removed' if remove else 'Added'} label {name}."))


@app.command("log-call")
def log_call(
    conversation_id: int,
    text: str,
    agent: str | None = AGENT_OPTION,
    medium: str = typer.Option("phone", "--medium", help="phone or visit."),
    phone: str | None = typer.Option(None, "--phone", help="The caller's number; it becomes "
                                     "a phone identity of the customer."),
) -> None:
    """Record a phone call or shop visit in the timeline."""
    store = open_store()
    message_id = actions.log_call(
        store, conversation_id, text, acting_agent(store, agent), medium=medium, phone=phone,
        phone_region=settings().recognition.phone_region,
    )
    out.print(Text(f"Logged {medium} {message_id}."))


@app.command()
def search(
    query: str, as_json: bool = JSON_OPTION, limit: int = typer.Option(50, "--limit")
) -> None:
    """Full-text search over messages, subjects and customer names, newest first."""
    hits = queries.search_messages(open_store(), query, limit=limit)
    if as_json:
        print_json([asdict(h) for h in hits])
        return
    table(
        ["conversation", "customer", "channel", "when", "text"],
        [
            [
                h.conversation_id,
                h.customer,
                h.channel,
                iso(h.created_at),
                h.text.replace("\n", " ")[:80],
            ]
            for h in hits
        ],
    )
