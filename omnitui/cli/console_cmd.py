"""The console, the demo, and the customer-side chat client."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import typer

from omnitui.cli.app import app
from omnitui.cli.common import fail, settings
from omnitui.cli.console_start import open_console


@app.command()
def console(agent: str | None = typer.Option(None, "--agent")) -> None:
    """Open the agent console (same as running omnitui with no command)."""
    open_console(agent)


@app.command()
def demo(
    data_dir: Path | None = typer.Option(None, "--dir", help="Keep the demo here instead of a "
                                         "throwaway directory."),
    agent: str | None = typer.Option(None, "--agent", help="Demo agent: anna, ben or olga."),
) -> None:
    """A throwaway shop with customers on every channel and a live chat customer, in the console."""
    import shutil
    import tempfile

    from omnitui.demo.delivery import LocalDelivery
    from omnitui.demo_customer import LiveCustomer
    from omnitui.store.database import Database
    from omnitui.tui.app import run_console
    from omnitui.tui.demo import build_demo

    throwaway = data_dir is None
    root = data_dir or Path(tempfile.mkdtemp(prefix="omnitui-demo-"))
    if not throwaway and (root / "omnitui.db").exists():
        fail(f"{root} already holds a shop; choose an empty directory for the demo.")
    delivery = LocalDelivery(root / "delivered").start()
    customer: LiveCustomer | None = None
    try:
        # Its own SQLite file, whatever OMNITUI_DATABASE says: never a real shop's database.
        demo_settings = build_demo(root, channels_toml=delivery.config_toml(),
                                   database=Database.at(root / "omnitui.db"))
        customer = LiveCustomer(demo_settings.channel_path("chat.sock")).start()
        run_console(demo_settings, agent or "anna", notice=delivery.notice())
    finally:
        if customer is not None:
            customer.stop()
        delivery.stop()
        if throwaway:
            shutil.rmtree(root, ignore_errors=True)
        else:
            typer.echo(delivery.notice())


@app.command()
def chat(
    socket: Path | None = typer.Option(None, "--socket", help="The hub's chat socket (default: "
                                       "the first chat channel's)."),
    visitor: str = typer.Option(..., "--visitor", help="A stable visitor id."),
    name: str | None = typer.Option(None, "--name"),
    email: str | None = typer.Option(None, "--email"),
    send: str | None = typer.Option(None, "--send", help="Send this once, wait for the ack, "
                                    "exit."),
) -> None:
    """A small terminal chat client, as a customer on the shop's website would use; it
    reconnects after a hub restart and resends what was not acknowledged."""
    from omnitui.channels.chat.terminal import run_chat_client
    from omnitui.config import ChatSettings

    if socket is None:
        s = settings()
        chats = [c for c in s.channels.values() if isinstance(c, ChatSettings)]
        if not chats:
            fail("No chat channel is configured; pass --socket.")
        socket = s.channel_path(chats[0].socket)
    code = asyncio.run(run_chat_client(socket, visitor, name, email, send))
    sys.exit(code)
