"""`omnitui agent signature set|show|clear`: an agent's own signatures (core/signatures.py)."""

from __future__ import annotations

import typer
from rich.text import Text

from omnitui.cli.app import JSON_OPTION
from omnitui.cli.common import acting_person, open_store, out, print_json, table
from omnitui.cli.common import settings as load
from omnitui.cli.compose_cmd import text_argument
from omnitui.cli.people import agent_app
from omnitui.core import agent_signatures
from omnitui.core.agents import get_agent
from omnitui.core.signatures import Signing, own_signatures, signature_for

signature_app = typer.Typer(help="An agent's signature below their replies, per channel "
                            "(placeholders such as {agent_display_name}; see the README).",
                            no_args_is_help=True)
agent_app.add_typer(signature_app, name="signature")
CHANNEL_OPTION = typer.Option(None, "--channel", help="Only on this channel (default: every "
                              "channel that signs: email, and those with a signature "
                              "configured).")


@signature_app.command("set")
def signature_set(
    username: str = typer.Argument(..., metavar="AGENT"),
    text: str = typer.Argument(..., help="The signature; '-' reads it from standard input."),
    channel: str | None = CHANNEL_OPTION,
) -> None:
    """Set AGENT's signature (an agent may set their own; an admin anyone's)."""
    s = load()
    store = open_store(s)
    agent_signatures.set_signature(store, acting_person(store, s=s), username,
                                   text_argument(text), channel=channel, channels=s.channels)
    where = f"on {channel}" if channel else "on every signing channel"
    out.print(Text(f"Set {username}'s signature {where}."))


@signature_app.command("clear")
def signature_clear(
    username: str = typer.Argument(..., metavar="AGENT"),
    channel: str | None = CHANNEL_OPTION,
) -> None:
    """Remove AGENT's own signature; the channel's default applies again."""
    s = load()
    store = open_store(s)
    removed = agent_signatures.clear_signature(store, acting_person(store, s=s), username,
                                               channel=channel, channels=s.channels)
    where = f" on {channel}" if channel else ""
    out.print(Text(f"Cleared {username}'s signature{where}." if removed
                   else f"{username} had no signature of their own{where}."))


@signature_app.command("show")
def signature_show(
    username: str = typer.Argument(..., metavar="AGENT"),
    as_json: bool = JSON_OPTION,
) -> None:
    """AGENT's own signatures and what each channel adds below their replies."""
    s = load()
    store = open_store(s)
    agent = get_agent(store, username)
    own = own_signatures(store, agent.id)
    signing = Signing.from_settings(s)
    channels = {name: signature_for(store, signing, agent, name) for name in s.channels}
    if as_json:
        print_json({"agent": username, "own": own,
                    "channels": {n: {"signature": b.signature, "footer": b.footer}
                                 for n, b in channels.items()}})
        return
    table(["own signature for", "template"],
          [[key or "every signing channel", text] for key, text in own.items()]
          or [["(none)", ""]])
    table(["channel", "signature", "footer"],
          [[name, b.signature or "(none)", b.footer or "(none)"] for name, b in channels.items()])
