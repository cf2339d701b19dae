"""`omnitui migrate-store`: move a shop's SQLite store to PostgreSQL (README: PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.text import Text

from omnitui.cli.app import app
from omnitui.cli.common import err, fail, out, settings, table
from omnitui.config import Settings, resolve_secret
from omnitui.hub_lock import HubLock, HubRunning
from omnitui.store.copy_plan import CopyPlan
from omnitui.store.copy_store import CopyResult, copy_store
from omnitui.store.database import Database
from omnitui.store.db import StoreError
from omnitui.store.pg_problems import url_problem


@app.command("migrate-store")
def migrate_store(
    to: str | None = typer.Option(
        None, "--to", help="The PostgreSQL database to copy into, postgresql://USER@HOST/NAME "
        "(default: [omnitui] database, or OMNITUI_DATABASE). It must be empty."),
    source: Path | None = typer.Option(
        None, "--from", help="The SQLite store to copy (default: omnitui.db in the data dir)."),
    password_env: str | None = typer.Option(
        None, "--password-env", help="The environment variable holding the PostgreSQL "
        "password (default: the config's database_password_env or _cmd)."),
    restart: bool = typer.Option(
        False, "--restart", help="The source changed after a copy was cut short: empty that "
        "unfinished copy and start over."),
) -> None:
    """Copy the SQLite store into an empty PostgreSQL database and check every table's rows.

    The copy goes table by table; interrupted, it is run again and goes on where it stopped.
    The SQLite store is only read (upgraded first when its schema is older, as init does).
    Stop the hub first: the copy refuses to run beside it.
    """
    s = settings()
    target = _target(s, to, password_env)
    source_path = (source or s.db_path).expanduser().absolute()
    lock = HubLock(source_path.parent / "hub.lock")
    if source_path.is_file():
        try:
            lock.acquire()  # no hub starts on the SQLite store while it is copied
        except HubRunning as exc:
            fail(f"{exc} Stop it before copying the store, so nothing is written meanwhile.")

    def started(plan: CopyPlan, tables_in: int, complete: bool) -> None:
        what = f"{source_path} into {target.describe()}"
        if complete:
            return  # said with the counts
        if tables_in:
            out.print(Text(f"Resuming the copy of {what}: {tables_in} of {len(plan.tables)} "
                           "tables were copied by an earlier run and are kept."))
        else:
            out.print(Text(f"Copying {what}: {plan.total_rows:,} rows in {len(plan.tables)} "
                           "tables, one transaction each (interrupted, run the same command "
                           "again to go on)."))

    try:
        result = copy_store(source_path, source_path.parent / "attachments", target,
                            restart=restart, started=started, progress=_progress)
    except StoreError as exc:
        fail(str(exc))
    finally:
        lock.release()
    _report(result, source_path, target)


def _target(s: Settings, to: str | None, password_env: str | None) -> Database:
    url = to or s.database_settings.url
    if url is None:
        fail("Name the PostgreSQL database to copy into with --to postgresql://USER@HOST/NAME "
             "(or set [omnitui] database).")
    problem = url_problem(url, "--to" if to else "[omnitui] database")
    if problem:
        fail(problem)
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            fail(f"The environment variable {password_env} (--password-env) is not set.")
        return Database(url=url, password=password)
    db = s.database_settings
    if db.password_env or db.password_cmd:
        return Database(url=url, password=resolve_secret(db, "password", "omnitui.database"))
    return Database(url=url)


def _progress(name: str, rows: int, seconds: float) -> None:
    out.print(Text(f"  {name:<24} {rows:>11,} rows  {seconds:7.2f} s"))


def _report(result: CopyResult, source: Path, target: Database) -> None:
    if result.source_upgraded_from:
        out.print(Text(f"The SQLite store was upgraded from schema {result.source_upgraded_from} "
                       "first (as 'omnitui init' does; nothing removed)."))
    if result.already_complete:
        out.print(Text(f"{target.describe()} is already a complete copy of {source}; nothing "
                       "was copied."))
        return
    table(["table", "SQLite", "PostgreSQL", "check"],
          [[c.table, f"{c.source:,}", f"{c.target:,}", "ok" if c.source == c.target else "DIFFERS"]
           for c in result.counts])
    if result.missing_files:
        err.print(Text(f"Warning: {len(result.missing_files)} attachment files the store names "
                       f"are missing or damaged under {source.parent / 'attachments'}; their rows "
                       "were copied, their bytes could not be."))
    if result.mismatched:
        first = result.mismatched[0]
        fail(f"The copy does not match its source: table {first.table} has {first.source:,} "
             f"rows in SQLite and {first.target:,} in PostgreSQL; the copy is left unfinished.")
    rate = result.rows / result.seconds if result.seconds else 0.0
    out.print(Text(f"Copied {result.rows:,} rows and {result.files:,} attachment files "
                   f"({result.file_bytes / 1e6:,.1f} MB) in {result.seconds:.1f} s "
                   f"({rate:,.0f} rows/s); every table's row count matches. Next: set "
                   f"database = \"{target.url}\" under [omnitui] in the config of every host, "
                   "then start the hub. The SQLite store was left as it was."))
