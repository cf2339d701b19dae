"""The `omnitui` command: thin Typer commands that parse, call core, and print.

Every failure a person can cause (a broken config, an unknown agent, a missing conversation)
ends as one sentence on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from omnitui.cli.common import STATE, fail, settings
from omnitui.cli.console_argv import console_line
from omnitui.config import ConfigError
from omnitui.file_access import data_dir_problem, permission_sentence
from omnitui.store.db import StoreError

__all__ = ["main"]


def main() -> None:
    try:
        _run(sys.argv[1:])
    except PermissionError as exc:
        fail(permission_sentence(exc.filename, _data_dir()))
    except ConfigError as exc:
        fail(str(exc))
    except StoreError as exc:
        fail(_data_dir_problem() or str(exc))
    except sqlite3.DatabaseError as exc:
        fail(_data_dir_problem() or f"The database could not be used: {exc}.")
    except KeyboardInterrupt:
        sys.exit(130)


def _run(argv: list[str]) -> None:
    """Open the console straight away when that is all the command line asks (the start agents
    wait for, cli/console_argv.py); otherwise register every command and let Typer read it."""
    line = console_line(argv)
    if line is not None:
        from omnitui.cli.console_start import open_console

        STATE.config, STATE.data_dir, STATE.agent = line.config, line.data_dir, line.agent
        open_console(line.console_agent or line.agent)
        return
    from omnitui.cli.commands import app

    app(prog_name="omnitui")


def _data_dir() -> Path | None:
    """The configured data dir, when the config can be read at all."""
    try:
        return settings().data_dir
    except (ConfigError, OSError):
        return None


def _data_dir_problem() -> str | None:
    """A database error caused by file permissions, said as such (SQLite names no file). A
    PostgreSQL store's errors are the server's own, never the data dir's."""
    try:
        s = settings()
    except (ConfigError, OSError):
        return None
    return None if s.database_settings.url else data_dir_problem(s.data_dir)
