"""`omnitui attachment list|save`: a conversation's files for scripts, as the console's `f`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from omnitui.agent_files import files_folder
from omnitui.cli.app import AGENT_OPTION, JSON_OPTION, app
from omnitui.cli.common import acting_agent, open_store, out, print_json, settings, table
from omnitui.core.attachments import conversation_files, human_size, save_file
from omnitui.core.clock import iso

attachment_app = typer.Typer(help="List and save the files of a conversation.",
                             no_args_is_help=True)
app.add_typer(attachment_app, name="attachment")


@attachment_app.command("list")
def attachment_list(conversation_id: int, as_json: bool = JSON_OPTION) -> None:
    """Every file of one conversation, received and sent, oldest first."""
    files = conversation_files(open_store(), conversation_id)
    if as_json:
        print_json([f.as_json() for f in files])
        return
    if not files:
        out.print(Text(f"Conversation {conversation_id} has no files."))
        return
    table(["id", "name", "type", "size", "direction", "at"],
          [[f.id, f.filename if f.available else f"{f.filename} (not downloaded)",
            f.content_type, human_size(f.size), f.direction, iso(f.created_at)]
           for f in files])


@attachment_app.command("save")
def attachment_save(
    attachment_id: int,
    to: Path | None = typer.Option(None, "--to", help="Save into this folder (default: your "
                                   "files folder, [console] files_dir)."),
    agent: str | None = AGENT_OPTION,
) -> None:
    """Save one file under its own name; a file already there is never overwritten."""
    s = settings()
    store = open_store(s)
    folder = to if to is not None else files_folder(s, acting_agent(store, agent).username)
    saved = save_file(store, attachment_id, s.attachments_dir, folder)
    out.print(Text(f"Saved {saved}."))
