"""`omnitui compose`: start a conversation from the shop's side (core/compose.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.text import Text

from omnitui.agent_files import file_limits
from omnitui.cli.app import AGENT_OPTION, app
from omnitui.cli.common import acting_agent, open_store, out, print_json
from omnitui.cli.common import settings as load
from omnitui.core.compose import KIND_WORDS, start_conversation
from omnitui.core.signatures import Signing
from omnitui.hub_lock import running_hub


def text_argument(text: str) -> str:
    """TEXT as given, or standard input for `-` (a script's longer message)."""
    return sys.stdin.read() if text == "-" else text


@app.command()
def compose(
    text: str = typer.Argument(..., help="The message; '-' reads it from standard input."),
    to: str = typer.Option(..., "--to", help="An email address, or a customer: id, email "
                           "address or exact name."),
    subject: str | None = typer.Option(None, "--subject", help="Email subject (default: the "
                                       "first line of the text)."),
    via: str | None = typer.Option(None, "--via", help="email, telegram, chat, or a channel's "
                                   "name (default: email for an address, else where the "
                                   "customer was last heard)."),
    no_signature: bool = typer.Option(False, "--no-signature", help="Leave the signature out "
                                      "(a channel's footer is always added)."),
    attach: list[Path] = typer.Option([], "--attach", help="A file to attach (repeatable)."),
    agent: str | None = AGENT_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the new ids as JSON."),
) -> None:
    """Start a new conversation: the first message is queued and the hub sends it."""
    s = load()
    store = open_store(s)
    started = start_conversation(
        store, acting_agent(store, agent), to, text_argument(text),
        channels={name: ch.kind for name, ch in s.channels.items()}, via=via, subject=subject,
        signing=Signing.from_settings(s), signature="" if no_signature else None,
        hub_running=running_hub(s) is not None,
        attachments=attach, attachments_dir=s.attachments_dir, file_limits=file_limits(s),
    )
    if as_json:
        print_json({"conversation_id": started.conversation_id,
                    "message_id": started.message_id, "customer_id": started.customer_id,
                    "identity_id": started.identity_id, "channel": started.channel,
                    "new_customer": started.new_customer})
        return
    kind = s.channels[started.channel].kind if started.channel in s.channels else ""
    out.print(Text(f"Started conversation {started.conversation_id}; message "
                   f"{started.message_id} queued on {started.channel}"
                   f"{' (' + KIND_WORDS[kind] + ')' if kind in KIND_WORDS else ''}."))
