"""A big PostgreSQL store for the benchmarks: a SQLite store copied into a throwaway cluster.

The SQLite store comes from bench/make_big_store.py (1,000,000 messages by default). This script
keeps a PostgreSQL cluster's files under `--root` (under /tmp), creates the database with
omnitui's own migrations (so its indexes, triggers and search structures are the real ones) and
copies every table's rows in with COPY. Foreign keys are not checked during the load (the rows
come from a consistent store); the schema's own triggers are made to fire for it, and the
indexes are dropped before the load and built again after it, then ANALYZE.

The server only runs while a script needs it: `build` stops it when done, and the benchmarks
start it with `running(root)` and stop it on the way out.

    python bench/make_big_store.py --out /tmp/big1m/omnitui.db
    python bench/pg_big_store.py build --sqlite /tmp/big1m/omnitui.db --root /tmp/omnitui-pg-big
    python bench/pg_big_store.py url --root /tmp/omnitui-pg-big   # the store's URL, for a bench
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from omnitui.store.db import upgrade

DATABASE = "omnitui"
SKIPPED_TABLES = ("alembic_version",)
COPY_CHUNK = 50_000


def pg_bindir() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    raise SystemExit("PostgreSQL is not installed (apt-get install postgresql).")


@dataclass
class PgServer:
    """One cluster's files under `root`; as root, run by the `postgres` Unix user."""

    root: Path

    @property
    def owner(self) -> str | None:
        return "postgres" if os.geteuid() == 0 else None

    @property
    def user(self) -> str:
        return self.owner or os.environ.get("USER", "postgres")

    @property
    def data(self) -> Path:
        return self.root / "data"

    def port(self) -> int:
        return int((self.root / "port").read_text())

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port()}/{database}"

    def _run(self, argv: list[str]) -> None:
        full = ["runuser", "-u", self.owner, "--", *argv] if self.owner else argv
        subprocess.run(full, check=True, capture_output=True)

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.owner:
            shutil.chown(self.root, self.owner)
        if not self.data.exists():
            self._run([str(pg_bindir() / "initdb"), "-D", str(self.data), "-A", "trust",
                       "-E", "UTF8", "--locale=C.UTF-8", "-U", self.user])
        if not (self.root / "port").exists():
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                (self.root / "port").write_text(str(s.getsockname()[1]))

    def start(self) -> None:
        """A server tuned as a small production one would be (fsync on: reads and commits
        are what the benchmarks measure)."""
        self._run([str(pg_bindir() / "pg_ctl"), "-D", str(self.data), "-w", "-l",
                   str(self.root / "server.log"), "-o",
                   f"-p {self.port()} -h 127.0.0.1 -k {self.root} -c shared_buffers=512MB "
                   "-c max_connections=200 -c max_wal_size=4GB", "start"])

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run([str(pg_bindir() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                       "stop"])

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url("postgres"), autocommit=True)


@contextlib.contextmanager
def running(root: Path) -> Iterator[PgServer]:
    """The cluster under `root` started for the block and stopped after it."""
    server = PgServer(root)
    if not server.data.exists():
        raise SystemExit(f"No cluster under {root}: run bench/pg_big_store.py build first.")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _columns(sqlite_conn: sqlite3.Connection, pg: psycopg.Connection, table: str) -> list[str]:
    """The columns both engines have, in the PostgreSQL table's order."""
    theirs = {row[1] for row in sqlite_conn.execute(f'PRAGMA table_info("{table}")')}
    ours = [row[0] for row in pg.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = %s AND is_generated = 'NEVER' ORDER BY ordinal_position", (table,))]
    return [c for c in ours if c in theirs]


def _copy_table(sqlite_conn: sqlite3.Connection, pg: psycopg.Connection, table: str) -> int:
    columns = _columns(sqlite_conn, pg, table)
    quoted = ", ".join(f'"{c}"' for c in columns)
    rows = sqlite_conn.execute(f'SELECT {quoted} FROM "{table}"')
    count = 0
    with pg.cursor().copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
        while chunk := rows.fetchmany(COPY_CHUNK):
            for row in chunk:
                copy.write_row(row)
            count += len(chunk)
    return count


def _user_triggers(pg: psycopg.Connection) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in pg.execute(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND NOT t.tgisinternal")]


def _secondary_indexes(pg: psycopg.Connection) -> list[tuple[str, str]]:
    """Indexes that back no constraint: dropped for the load, made again from their DDL."""
    return [(r[0], r[1]) for r in pg.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = 'public' "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)")]


def _sequences(pg: psycopg.Connection) -> list[tuple[str, str, str]]:
    """(table, column, sequence) for every column that takes its value from a sequence."""
    return [(r[0], r[1], r[2]) for r in pg.execute(
        "SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), "
        "column_name) FROM information_schema.columns WHERE table_schema = 'public' "
        "AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL")]


def load(sqlite_path: Path, url: str) -> dict[str, int]:
    """Every table of the SQLite store into the (migrated, empty) PostgreSQL database."""
    sqlite_conn = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    pg = psycopg.connect(url)
    counts: dict[str, int] = {}
    try:
        pg_tables = {r[0] for r in pg.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        sqlite_tables = [r[0] for r in sqlite_conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        tables = [t for t in sqlite_tables if t in pg_tables and t not in SKIPPED_TABLES]
        triggers = _user_triggers(pg)
        indexes = _secondary_indexes(pg)
        # replica: foreign keys unchecked; ENABLE ALWAYS: the schema's triggers still fire.
        pg.execute("SET session_replication_role = replica")
        for table, trigger in triggers:
            pg.execute(f'ALTER TABLE "{table}" ENABLE ALWAYS TRIGGER "{trigger}"')
        for name, _ in indexes:
            pg.execute(f'DROP INDEX "{name}"')
        for table in tables:
            began = time.perf_counter()
            counts[table] = _copy_table(sqlite_conn, pg, table)
            print(f"  {table}: {counts[table]} rows in {time.perf_counter() - began:.1f} s",
                  flush=True)
        for table, trigger in triggers:
            pg.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{trigger}"')
        pg.execute("SET session_replication_role = DEFAULT")
        for _, ddl in indexes:
            pg.execute(ddl)
        for table, column, sequence in _sequences(pg):  # ids go on after the copied ones
            pg.execute(f'SELECT setval(%s, coalesce(max("{column}"), 0) + 1, false) '
                       f'FROM "{table}"', (sequence,))
        pg.commit()
    finally:
        pg.close()
        sqlite_conn.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return counts


def build(sqlite_path: Path, root: Path) -> str:
    server = PgServer(root)
    server.init()
    server.start()
    try:
        with server.admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {DATABASE}")
        upgrade(server.url())
        load(sqlite_path, server.url())
        return server.url()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("build", "url", "start", "stop"))
    parser.add_argument("--root", type=Path, default=Path("/tmp/omnitui-pg-big"))
    parser.add_argument("--sqlite", type=Path, help="the SQLite store to copy (build)")
    args = parser.parse_args()
    server = PgServer(args.root)
    if args.action == "build":
        if args.sqlite is None or not args.sqlite.exists():
            raise SystemExit("build needs --sqlite, an existing store from make_big_store.py.")
        began = time.perf_counter()
        url = build(args.sqlite, args.root)
        print(f"built {url} in {time.perf_counter() - began:.0f} s (server stopped)")
    elif args.action == "url":
        print(server.url())
    elif args.action == "start":
        server.start()
        print(server.url())
    else:
        server.stop()


if __name__ == "__main__":
    main()
