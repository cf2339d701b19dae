"""The `omnitui` command: thin Typer commands that parse, call core, and print.

Every failure a person can cause (a broken config, an unknown agent, a missing conversation)
ends as one sentence on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import typer

# Importing the command modules registers their commands on `app`.
from omnitui.cli import (  # noqa: F401  (importing registers the commands)
    admin,
    attachment_cmd,
    canned_cmd,
    channel_cmd,
    compose_cmd,
    console_cmd,
    conversations,
    migrate_store_cmd,
    people,
    recognition_cmd,
    report_cmd,
    signature_cmd,
)
from omnitui.cli.app import app, fail, settings
from omnitui.config import ConfigError
from omnitui.file_access import data_dir_problem, permission_sentence
from omnitui.store.db import StoreError

__all__ = ["app", "main"]


def main() -> None:
    try:
        app(prog_name="omnitui")
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
    except typer.Exit:
        raise


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
