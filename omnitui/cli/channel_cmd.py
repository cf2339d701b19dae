"""`omnitui channel sync NAME`: one sync in the foreground, with a progress bar.

A first sync of a big mailbox takes a while; running it here shows how far it got, and when it
ends the channel's cursor is where the hub will carry on.
"""

from __future__ import annotations

import asyncio
import logging
import re

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from omnitui.cli.app import app
from omnitui.cli.common import acting_person, fail, open_store, out, settings
from omnitui.core.permissions import require_admin_to_read
from omnitui.hub_context import Database, HubContext
from omnitui.hub_lock import running_hub

channel_app = typer.Typer(help="Work with one channel directly.", no_args_is_help=True)
app.add_typer(channel_app, name="channel")

BACKFILL = re.compile(r"(\d+) of (\d+)")


class ProgressContext(HubContext):
    """The hub's channel context, with "backfilling n of m" drawn as a progress bar."""

    def __init__(self, *args: object, progress: Progress, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.progress = progress
        self.task = progress.add_task("syncing", total=None)

    async def set_state(self, state: str, detail: str | None = None,
                        last_error: str | None = None) -> None:
        await super().set_state(state, detail, last_error)
        found = BACKFILL.search(detail or "")
        if found:
            self.progress.update(self.task, completed=int(found[1]), total=int(found[2]),
                                 description="backfilling")
        elif detail:
            self.progress.update(self.task, description=detail)


@channel_app.command("sync")
def channel_sync(name: str) -> None:
    """Fetch everything new on channel NAME now (the hub must not be running)."""
    from omnitui.hub import build_channels

    s = settings()
    if name not in s.channels:
        fail(f"There is no channel '{name}' in {s.path or 'the config'}; channels: "
             f"{', '.join(s.channels) or 'none'}.")
    hub = running_hub(s)
    if hub is not None:
        fail(f"The hub ({hub.describe()}) is already syncing '{name}'; watch it with "
             "'omnitui status'.")
    channel = build_channels(s)[name]
    sync_once = getattr(channel, "sync_once", None)
    if sync_once is None:
        fail(f"Channel '{name}' ({channel.kind}) has nothing to sync; it receives messages as "
             "they come.")
    store = open_store(s)
    require_admin_to_read(store, acting_person(store, s=s), "sync a channel")
    log = logging.getLogger("omnitui.sync")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=False) as progress:
        ctx = ProgressContext(s, Database(store), name, channel.kind, log, progress=progress)
        stored = asyncio.run(sync_once(ctx))
    out.print(Text(f"Synced {name}: {stored} new message(s)."))
