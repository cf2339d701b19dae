"""The `omnitui` command: thin Typer commands that parse, call core, and print.

Every failure a person can cause (a broken config, an unknown agent, a missing conversation)
ends as one sentence on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import sqlite3
import sys

import typer

# Importing the command modules registers their commands on `app`.
from omnitui.cli import (  # noqa: F401  (importing registers the commands)
    admin,
    canned_cmd,
    channel_cmd,
    console_cmd,
    conversations,
    people,
    report_cmd,
)
from omnitui.cli.app import app, fail
from omnitui.config import ConfigError
from omnitui.store.db import StoreError

__all__ = ["app", "main"]


def main() -> None:
    try:
        app(prog_name="omnitui")
    except (ConfigError, StoreError) as exc:
        fail(str(exc))
    except sqlite3.DatabaseError as exc:
        fail(f"The database could not be used: {exc}.")
    except KeyboardInterrupt:
        sys.exit(130)
    except typer.Exit:
        raise
