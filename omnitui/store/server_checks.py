"""What `omnitui doctor` asks a PostgreSQL server, one finding per line.

A console on another host than the hub fails in ways a SQLite file never does: the server is
unreachable, the login is refused, the role may read but not write, the server is too old for
the schema's functions, or the language the search triggers are written in was dropped. Each is
said as one sentence that names the server, so the person at the console knows whom to ask.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from omnitui.store.database import Database

OLDEST_SERVER = 13  # normalize() (the search words' Unicode folding) came with PostgreSQL 13
# plpgsql: the language of the triggers that keep the search words (migration 0014).
NEEDED_EXTENSIONS = ("plpgsql",)
# What consoles, the CLI and the hub do to rows: read and add and change everywhere, delete
# only in these few (a label taken off, a read mark, chat presence, a signature cleared), and
# only read the tables `omnitui init` and `migrate-store` (run by the owner) write.
DELETED_FROM = ("agent_signature", "chat_presence", "conversation_label", "conversation_read")
READ_ONLY = ("alembic_version", "store_copy")


@dataclass(frozen=True, slots=True)
class Finding:
    ok: bool
    text: str


def server_name(database: Database) -> str:
    """`db.example:5432`: the host (and port) of the URL, or the local socket."""
    parts = urlsplit(database.url or "")
    host = parts.hostname or "the local socket"
    return f"{host}:{parts.port}" if parts.port else host


def database_on_server(database: Database) -> str:
    """`PostgreSQL database shop on db.example:5432`: what `omnitui init` made or upgraded."""
    name = urlsplit(database.url or "").path.strip("/")
    return f"PostgreSQL database {name} on {server_name(database)}"


def one_line(exc: BaseException) -> str:
    """libpq's messages run over several lines; a finding is one."""
    return " ".join(str(exc).split()).rstrip(".")


def check_server(database: Database) -> list[Finding]:
    """Reachable and new enough, then the extensions and the privileges omnitui needs."""
    server = server_name(database)
    try:
        conn = database.connect(purpose="omnitui doctor")
    except sqlite3.Error as exc:
        return [Finding(False, f"database server {server} cannot be used: {one_line(exc)}")]
    try:
        return _findings(conn, server)
    except sqlite3.Error as exc:
        return [Finding(False, f"database server {server} failed a check: {one_line(exc)}")]
    finally:
        conn.close()


def _findings(conn: Any, server: str) -> list[Finding]:
    version_num = int(conn.execute("SHOW server_version_num").fetchone()[0])
    version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    user, dbname = conn.execute("SELECT current_user, current_database()").fetchone()
    found = [Finding(version_num >= OLDEST_SERVER * 10000,
                     f"database server {server} answers: PostgreSQL {version} (omnitui needs "
                     f"{OLDEST_SERVER} or newer), database {dbname}, logged in as {user}")]
    installed = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
    for name in NEEDED_EXTENSIONS:
        found.append(Finding(name in installed, f"extension {name} "
                             + ("present" if name in installed else
                                f"missing: run CREATE EXTENSION {name} in database {dbname} "
                                "as its owner")))
    found.append(_privileges(conn, user))
    return found


def _privileges(conn: Any, user: str) -> Finding:
    """Every privilege this login needs on every omnitui table and sequence (the README's
    grants for an agents' host), missing ones named table by table."""
    tables = [row[0] for row in conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
        "AND relkind = 'r' ORDER BY relname")]
    if "alembic_version" not in tables:
        return Finding(False, f"no omnitui tables in the schema {user} uses; run 'omnitui init' "
                       "as the database's owner")
    lacking = []
    for table in tables:
        wanted = ["SELECT"] + ([] if table in READ_ONLY else ["INSERT", "UPDATE"]) + (
            ["DELETE"] if table in DELETED_FROM else [])
        held = conn.execute(
            "SELECT " + ", ".join("has_table_privilege(?::text, ?::text)" for _ in wanted),
            [x for privilege in wanted for x in (table, privilege)]).fetchone()
        missing = [p for p, ok in zip(wanted, held, strict=True) if not ok]
        if missing:
            lacking.append(f"{' '.join(missing)} on {table}")
    lacking += [f"USAGE on {row[0]}" for row in conn.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
        "AND CASE WHEN relkind = 'S' THEN NOT has_sequence_privilege(oid, 'USAGE') END "
        "ORDER BY relname")]  # (CASE: the privilege is asked of sequences only)
    if lacking:
        shown = "; ".join(lacking[:4]) + (f"; and {len(lacking) - 4} more" if len(lacking) > 4
                                          else "")
        return Finding(False, f"{user} lacks privileges omnitui needs: {shown} (README: "
                       "PostgreSQL, Roles)")
    return Finding(True, f"{user} has the privileges omnitui needs on all {len(tables)} tables "
                   "and their sequences")
