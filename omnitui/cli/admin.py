"""Set-up and operations: init, doctor, serve, status, backup, export."""

from __future__ import annotations

import asyncio
import grp
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import typer
from rich.text import Text

from omnitui.agent_files import prepare_sftp_folder
from omnitui.cli.app import JSON_OPTION, app
from omnitui.cli.common import acting_person, err, fail, open_store, out, print_json, settings
from omnitui.config import ChatSettings, ConfigError, Settings, resolve_secret
from omnitui.core.agents import list_agents
from omnitui.core.clock import iso
from omnitui.core.permissions import require_admin_to_read
from omnitui.file_access import data_dir_problem, describe
from omnitui.hub_lock import running_hub
from omnitui.hub_status import configured_channels
from omnitui.store import status_queries
from omnitui.store.data_files import DataDirAccess
from omnitui.store.data_repair import share_with_group
from omnitui.store.db import Store, StoreError, current_revision, head_revision
from omnitui.store.server_checks import check_server, database_on_server

EXPORT_TABLES = ("agent", "customer", "identity", "conversation", "message", "message_revision",
                 "attachment", "label", "conversation_label", "canned_answer", "outbox", "cursor",
                 "customer_merge", "agent_signature", "event")


@app.command()
def init(
    shared_group: str | None = typer.Option(
        None, "--shared-group", help="Let Unix users of this group (the agents) share the data "
        "dir; nobody else can read it."),
) -> None:
    """Create the data dir and database, or upgrade an existing database in place."""
    s = settings()
    gid = None
    if shared_group:
        try:
            gid = grp.getgrnam(shared_group).gr_gid
        except KeyError:
            fail(f"There is no Unix group '{shared_group}'; create it with 'groupadd "
                 f"{shared_group}'.")
    DataDirAccess.of(s.data_dir).make_dirs(s.data_dir)
    if gid is not None:  # first the data dir, so what is created next is made for the group
        _share_with_group(s.data_dir, gid)
    else:
        os.chmod(s.data_dir, 0o700)
    DataDirAccess.of(s.data_dir).make_dirs(s.attachments_dir)
    before = _revision(s)
    try:
        Store.open(s.database).close()
    except StoreError as exc:
        fail(str(exc))
    if gid is not None and os.geteuid() == 0:  # root made them: they go to the owner
        _share_with_group(s.data_dir, gid)
    after = _revision(s)
    if gid is not None and os.geteuid() == 0:
        store = Store.open(s.database)
        try:
            names = [a.username for a in list_agents(store) if not a.disabled]
        finally:
            store.close()
        for name in names:  # each agent's SFTP files folder (README: Files over SFTP)
            out.print(Text(_files_folder(s, name)))
    where = (database_on_server(s.database) if s.database.is_postgres
             else s.database.describe())
    if before is None:
        made = f"the omnitui schema {after} in {where}" if s.database.is_postgres else (
            f"{where} (schema {after})")
        out.print(Text(f"Created {made}."))
    elif before != after:
        out.print(Text(f"Upgraded {where} from schema {before} to {after}; nothing removed."))
    else:
        out.print(Text(f"{where} is up to date (schema {after})."))


def _revision(s: Settings) -> str | None:
    try:
        return current_revision(s.database)
    except StoreError as exc:
        fail(str(exc))


def _files_folder(s: Settings, agent: str) -> str:
    try:
        return prepare_sftp_folder(s, agent)
    except OSError as exc:
        fail(f"Cannot make {agent}'s files folder: {exc.strerror or exc}.")


def _share_with_group(root: Path, gid: int) -> None:
    """Group rwx with setgid on dirs (new files inherit the group), group rw on files; files
    left with a wrong owner or mode are repaired (see store.data_repair)."""
    try:
        share_with_group(root, gid)
    except PermissionError as exc:
        fail(f"Cannot repair {describe(Path(exc.filename))}: {exc.strerror}; run 'omnitui "
             f"init --shared-group {grp.getgrgid(gid).gr_name}' as root.")


@app.command()
def doctor(
    online: bool = typer.Option(False, "--online", help="Also log in to each mail server "
                                "(IMAP and SMTP) and ask Telegram who the bot is (getMe)."),
    timeout: float = typer.Option(10.0, "--timeout", min=0.5, help="Seconds each online "
                                  "check may take."),
) -> None:
    """Check the config, the database and each channel's settings."""
    problems = 0

    def line(ok: bool, what: str) -> None:
        nonlocal problems
        problems += 0 if ok else 1
        out.print(Text(("ok    " if ok else "FAIL  ") + what))

    try:
        s = settings()
    except ConfigError as exc:
        line(False, str(exc))
        raise typer.Exit(1) from None
    line(True, f"config {s.path or '(defaults, no file)'}")
    line(s.data_dir.is_dir() and os.access(s.data_dir, os.W_OK),
         f"data dir {s.data_dir} exists and is writable")
    _check_database(s, line)
    for name, ch in s.channels.items():
        for base in ("password", "token"):
            if getattr(ch, f"{base}_env", None) or getattr(ch, f"{base}_cmd", None):
                try:
                    resolve_secret(ch, base, f"channels.{name}")
                    line(True, f"channel {name}: {base} is available")
                except ConfigError as exc:
                    line(False, str(exc))
        if isinstance(ch, ChatSettings):
            sock = s.channel_path(ch.socket)
            line(len(str(sock)) < 100, f"channel {name}: socket path {sock} fits in a Unix "
                 "socket address")
    if online:
        from omnitui.channels.probe import probe_channels

        for probe in asyncio.run(probe_channels(s, timeout)):
            line(probe.ok, probe.text)
    hub = running_hub(s)
    out.print(Text(f"info  hub {'running, ' + hub.describe() if hub else 'not running'}"))
    if problems:
        err.print(Text(f"{problems} problem(s) found."))
        raise typer.Exit(1)


def _check_database(s: Settings, line: Callable[[bool, str], None]) -> None:
    """PostgreSQL: the server (reachable, new enough, extensions, privileges) first; then the
    schema's version, on either engine."""
    if s.database.is_postgres:
        findings = check_server(s.database)
        for finding in findings:
            line(finding.ok, finding.text)
        if len(findings) == 1 and not findings[0].ok:  # not reached: the schema is unknown
            return
    try:
        rev = current_revision(s.database)
    except StoreError as exc:
        line(False, " ".join(str(exc).split()))
        rev = None
    line(rev == head_revision(), f"database {s.database.describe()} at schema {rev} (latest "
         f"{head_revision()})")


@app.command()
def serve() -> None:
    """Run the hub in the foreground (what the systemd unit starts)."""
    from omnitui.hub import HubRunning, setup_logging
    from omnitui.hub import serve as run_hub

    s = settings()
    if not s.database.exists():
        fail(f"No database at {s.db_path}; run 'omnitui init' first.")
    problem = data_dir_problem(s.data_dir, hub=True)
    if problem:  # before anything starts: systemd's log then holds the one line that matters
        fail(problem)
    setup_logging(s, to_stderr=True)
    try:
        asyncio.run(run_hub(s))
    except HubRunning as exc:
        fail(str(exc))


@app.command()
def status(as_json: bool = JSON_OPTION) -> None:
    """Is the hub running, how is each channel, how many replies wait in the outbox."""
    s = settings()
    store = open_store(s)
    hub = running_hub(s)
    data = {
        "hub": {"running": hub is not None, "pid": hub.pid if hub else None,
                "uptime_seconds": round(time.time() - hub.started_at) if hub else None,
                "embedded": hub.embedded if hub else None,
                "host": (hub.host or None) if hub else None},
        "channels": status_queries.channel_states(store),
        "outbox": status_queries.outbox_summary(store),
    }
    if as_json:
        print_json(data)
        return
    if hub:
        out.print(Text(f"hub: running ({hub.describe()}, "
                       f"up {_duration(time.time() - hub.started_at)}"
                       f"{', inside a console' if hub.embedded else ''})"))
    else:
        out.print(Text("hub: not running"))
    kept, never = configured_channels(s, data["channels"])
    for ch in kept:
        state = ch["detail"] or ch["state"]
        error = f" (last error: {ch['last_error']})" if ch["last_error"] else ""
        out.print(Text(f"channel {ch['channel']} [{ch['kind']}]: {state}{error}"))
    for name in never:
        out.print(Text(f"channel {name}: never started"))
    box = data["outbox"]
    oldest = (f", oldest queued {_duration(time.time() - box['oldest_queued_at'])} ago"
              if box["oldest_queued_at"] else "")
    out.print(Text(f"outbox: {box['queued']} waiting{oldest}, {box['failed']} failed"))


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


@app.command()
def backup(path: Path = typer.Argument(..., help="Where to write the copy.")) -> None:
    """A consistent copy of the database, safe while the hub writes (SQLite backup API;
    a PostgreSQL store is backed up with pg_dump)."""
    store = open_store()
    require_admin_to_read(store, acting_person(store), "make backups")
    if store.database.is_postgres:
        fail("A PostgreSQL store is backed up with pg_dump, e.g. pg_dump --format=custom "
             f"--file={path} '{store.database.describe()}'.")
    if path.exists():
        fail(f"{path} already exists; choose a new file name.")
    os.close(_private_file(path, exclusive=True))
    store.backup(path)
    out.print(Text(f"Backed up to {path}."))


@app.command()
def export(output: Path | None = typer.Option(None, "--output", "-o",
                                              help="Write here instead of stdout.")) -> None:
    """Everything as JSON Lines: one object per row, with its table in "type"."""
    store = open_store()
    require_admin_to_read(store, acting_person(store), "export the shop's data")
    fh = (os.fdopen(_private_file(output), "w", encoding="utf-8") if output
          else sys.stdout)
    try:
        with store.read() as tx:
            for table_name in EXPORT_TABLES:
                # ORDER BY 1, 2: ids, or both halves of a link table: one order on both engines
                cur = tx.execute(f"SELECT * FROM {table_name} ORDER BY 1, 2")
                cols = [c[0] for c in cur.description]
                for row in cur:
                    rec = {"type": table_name, **dict(zip(cols, row, strict=True))}
                    for key in ("created_at", "updated_at", "at", "last_message_at"):
                        if isinstance(rec.get(key), float):
                            rec[key + "_iso"] = iso(rec[key])
                    fh.write(json.dumps(rec, ensure_ascii=False, default=str) + "\n")
    finally:
        if output:
            fh.close()


def _private_file(path: Path, *, exclusive: bool = False) -> int:
    """A file only its owner can read (mode 0600, whatever the umask): backups and exports hold
    every customer's messages. Returns the open descriptor, positioned at an empty file."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)
    return fd
