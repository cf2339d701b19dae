"""The Typer app object, its global options and the options several commands share.

The helpers every command uses live in cli/common.py, which does not import Typer.
"""

from __future__ import annotations

from pathlib import Path

import typer

from omnitui.cli.common import STATE

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    invoke_without_command=True,
    help="omnitui: email, Telegram and website chat in one keyboard-driven inbox.",
    rich_markup_mode=None,
)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of a table.")
AGENT_OPTION = typer.Option(None, "--agent", help="Act as this agent (default: OMNITUI_AGENT, "
                            "then the Unix user; on a shared server only an admin may name "
                            "someone else).")


@app.callback()
def root(
    ctx: typer.Context,
    config: Path | None = typer.Option(None, "--config", envvar="OMNITUI_CONFIG",
                                       help="Config file (default ~/.config/omnitui/config.toml)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="Override [omnitui].data_dir."),
    agent: str | None = typer.Option(None, "--agent", help="Act as this agent (see the "
                                       "commands' --agent)."),
) -> None:
    """With no command, open the console (starting the hub inside it when none runs)."""
    STATE.config = config
    STATE.data_dir = data_dir
    STATE.agent = agent
    if ctx.invoked_subcommand is None:
        from omnitui.cli.console_start import open_console

        open_console(agent)
