"""What every command shares, without Typer: the global options' state, one-sentence failures,
the settings, the store and whom a command acts as.

Kept apart from cli/app.py (the Typer app) so that opening the console, the start agents wait
for, does not import Typer (cli/console_argv.py reads its command line).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console
from rich.table import Table
from rich.text import Text

from omnitui.config import Settings, load_settings
from omnitui.core.agents import AgentRow, default_agent_name, get_agent
from omnitui.core.permissions import Actor, check_may_act_as, choose_actor, current_login
from omnitui.install import is_shared_install
from omnitui.store.db import Store, current_revision
from omnitui.store.server_checks import database_on_server

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class Global:
    config: Path | None = None
    data_dir: Path | None = None
    agent: str | None = None


STATE = Global()


def fail(message: str, code: int = 1) -> NoReturn:
    """One readable sentence (on one line, whatever the driver's message held), then exit."""
    err.print(Text(f"Error: {' '.join(message.split())}"))
    raise SystemExit(code)


def settings() -> Settings:
    return load_settings(STATE.config, data_dir=STATE.data_dir)


def open_store(s: Settings | None = None, *, create: bool = False) -> Store:
    s = s or settings()
    if not s.database.exists() and not create:
        fail(f"No database at {s.db_path}; run 'omnitui init' first.")
    if s.database.is_postgres and not create and current_revision(s.database) is None:
        fail(f"The {database_on_server(s.database)} holds no omnitui tables; run "
             "'omnitui init' first.")
    return Store.open(s.database)


def acting_person(store: Store, explicit: str | None = None, s: Settings | None = None) -> Actor:
    """Whom this command acts as. In a shared install the logged-in Unix user, or whom an admin
    names with `--agent`/OMNITUI_AGENT; in a one-person install `--agent`, else OMNITUI_AGENT,
    else the Unix user name (core.permissions says who is an admin)."""
    s = s or settings()
    login = current_login(s.data_dir)
    if is_shared_install(s):
        requested = explicit or STATE.agent or os.environ.get("OMNITUI_AGENT") or None
        person = choose_actor(login, requested, shared=True)
    else:
        person = choose_actor(login, default_agent_name(explicit or STATE.agent), shared=False)
    check_may_act_as(store, person)
    return person


def acting_agent(store: Store, explicit: str | None = None) -> AgentRow:
    """The agent row of `acting_person`; unknown and disabled agents are errors."""
    return get_agent(store, acting_person(store, explicit).name)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def table(columns: list[str], rows: list[list[Any]], title: str | None = None) -> None:
    """A Rich table of untrusted values: every cell is plain Text, never markup."""
    t = Table(title=title, show_edge=False, header_style="bold")
    for col in columns:
        t.add_column(col, overflow="fold")
    for row in rows:
        t.add_row(*(Text("" if v is None else str(v)) for v in row))
    out.print(t)
