"""The store's connection layer: one-writer transactions, migrations, backup.

Every write is one transaction that first takes the store's write lock: `BEGIN IMMEDIATE` on
SQLite (writers queue on its lock, with a busy timeout, instead of failing half way with
"database is locked"), a transaction-scoped advisory lock on PostgreSQL. Writers thus run one
after another on both engines, and event ids grow in commit order. Connections are per thread;
readers run beside the writer (WAL on SQLite, MVCC on PostgreSQL).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omnitui.store.data_files import DataDirAccess
from omnitui.store.database import BUSY_TIMEOUT_MS, Database
from omnitui.store.dialect import POSTGRESQL, SQLITE, SqlDialect, sql_for
from omnitui.store.schema_files import files_head

__all__ = ["BUSY_TIMEOUT_MS", "Database", "NotFound", "PendingEvent", "Store", "StoreError", "Tx"]


class StoreError(Exception):
    """A storage problem explained in one sentence."""


class NotFound(StoreError):
    """A referenced row does not exist."""


@dataclass(slots=True)
class PendingEvent:
    kind: str
    actor: str
    conversation_id: int | None = None
    customer_id: int | None = None
    message_id: int | None = None
    data: dict[str, Any] | None = None


class Tx:
    """One open transaction. Thin over the driver so hot paths stay fast."""

    __slots__ = ("actor", "conn", "now", "returning")

    def __init__(self, conn: Any, actor: str, now: float) -> None:
        self.conn = conn
        self.actor = actor
        self.now = now
        # PostgreSQL has no `lastrowid`: new ids come back with `RETURNING id` (SQLite ≥ 3.35
        # knows it too, but `lastrowid` is free there).
        self.returning = getattr(conn, "dialect", "sqlite") == "postgresql"

    @property
    def dialect(self) -> str:
        return "postgresql" if self.returning else "sqlite"

    @property
    def sql(self) -> SqlDialect:
        """The phrases that differ between engines (store/dialect.py)."""
        return POSTGRESQL if self.returning else SQLITE

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def insert(self, table: str, values: dict[str, Any]) -> int:
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
        if self.returning:
            return int(self.conn.execute(sql + " RETURNING id", tuple(values.values()))
                       .fetchone()[0])
        return int(self.conn.execute(sql, tuple(values.values())).lastrowid or 0)

    def event(
        self,
        kind: str,
        *,
        conversation_id: int | None = None,
        customer_id: int | None = None,
        message_id: int | None = None,
        actor: str | None = None,
        **data: Any,
    ) -> int:
        sql = ("INSERT INTO event (at, actor, kind, conversation_id, customer_id, message_id, data)"
               " VALUES (?, ?, ?, ?, ?, ?, ?)")
        if self.returning:
            sql += " RETURNING id"
        cur = self.conn.execute(
            sql,
            (
                self.now,
                actor or self.actor,
                kind,
                conversation_id,
                customer_id,
                message_id,
                json.dumps(data, ensure_ascii=False, default=str) if data else "{}",
            ),
        )
        return int(cur.fetchone()[0]) if self.returning else int(cur.lastrowid or 0)

    def insert_rows(self, table: str, columns: Sequence[str],
                    rows: Sequence[Sequence[Any]]) -> None:
        """Many rows at once: one executemany on SQLite (in-process, each insert costs
        microseconds); on PostgreSQL one COPY, and one run of the table's statement triggers
        for hundreds of rows."""
        if not rows:
            return
        if self.returning:
            self.conn.insert_rows(table, columns, rows)
            return
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                              rows)

    def insert_tables(self, parts: Sequence[tuple[str, Sequence[str],
                                                 Sequence[Sequence[Any]]]]) -> None:
        """`insert_rows` for several tables in order (parents first)."""
        if self.returning:
            self.conn.insert_tables([p for p in parts if p[2]])
            return
        for table, columns, rows in parts:
            self.insert_rows(table, columns, rows)

    def update_each(self, table: str, key: str, types: dict[str, str], assignments: str,
                    rows: Sequence[dict[str, Any]]) -> None:
        """`UPDATE table SET assignments WHERE key = :key` once per row of `rows`: dicts whose
        names are `types`' (each with its PostgreSQL type; keep them apart from the table's
        column names), written `:name` in `assignments`. An executemany on SQLite; on
        PostgreSQL one statement for all rows."""
        if not rows:
            return
        if self.returning:
            self.conn.update_each(table, key, types, assignments, rows)
            return
        self.conn.executemany(f"UPDATE {table} SET {assignments} WHERE {key} = :{key}", rows)

    def events(self, events: Sequence[PendingEvent]) -> None:
        self.insert_rows(
            "event", ("at", "actor", "kind", "conversation_id", "customer_id", "message_id",
                      "data"),
            [
                (
                    self.now,
                    e.actor,
                    e.kind,
                    e.conversation_id,
                    e.customer_id,
                    e.message_id,
                    json.dumps(e.data, ensure_ascii=False, default=str) if e.data else "{}",
                )
                for e in events
            ],
        )


def connect(path: Path | str | Database, *, readonly: bool = False) -> Any:
    """Open a connection to the store (a SQLite file or a PostgreSQL URL); autocommit mode."""
    return Database.at(path).connect(readonly=readonly)


class Store:
    """A handle on one omnitui database, shareable between threads (one connection each)."""

    def __init__(self, where: Path | str | Database, *, clock: Any = time.time) -> None:
        self.database = Database.at(where)
        self.path = self.database.path  # None on PostgreSQL
        self.clock = clock
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        if self.database.is_postgres:
            from omnitui.store.pg_transactions import BEGIN_READ, BEGIN_WRITE, COMMIT_WRITE

            self._begin_write, self._commit_write = BEGIN_WRITE, COMMIT_WRITE
            self._begin_read = BEGIN_READ
        else:
            self._begin_write, self._commit_write = "BEGIN IMMEDIATE", "COMMIT"
            self._begin_read = "BEGIN"

    @property
    def dialect(self) -> str:
        return self.database.dialect

    @property
    def sql(self) -> SqlDialect:
        return sql_for(self.database.dialect)

    @classmethod
    def open(cls, where: Path | str | Database, *, migrate: bool = True,
             clock: Any = time.time) -> Store:
        """Open (and by default create or upgrade) the database at `where`."""
        database = Database.at(where)
        path = database.path
        if path is not None and not path.parent.exists():
            raise StoreError(
                f"The data directory {path.parent} does not exist; run 'omnitui init'."
            )
        store = cls(database, clock=clock)
        try:
            # On PostgreSQL the revision is read over the store's own connection: each new one
            # is a TCP and login round of its own, on every console start.
            revision = (current_revision(database, store.conn) if database.is_postgres
                        else current_revision(database))
            if migrate:
                if path is not None and not path.exists():  # mode and group not the umask's
                    DataDirAccess.of(path.parent).create_file(path)
                if not is_newest(revision):
                    upgrade(database)
            elif revision is None:
                raise StoreError(f"{database.describe()} is not an omnitui database; "
                                 "run 'omnitui init'.")
        except BaseException:
            store.close()
            raise
        return store

    @property
    def conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(conn, "broken", False):  # PostgreSQL restarted: reopen
            with self._lock:
                if conn in self._all:
                    self._all.remove(conn)
            with suppress(Exception):
                conn.close()
            conn = None
        if conn is None:
            try:
                conn = self.database.connect(retry_reads=True)  # (it holds no session state)
            except sqlite3.Error as exc:
                raise StoreError(f"Cannot open the database {self.database.describe()}: "
                                 f"{exc}.") from None
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with suppress(Exception):
                    conn.close()
            self._all.clear()
        self._local = threading.local()

    @contextmanager
    def write(self, actor: str = "system") -> Iterator[Tx]:
        """One write transaction, serialised with every other writer; commits on success,
        rolls back on any error."""
        conn = self._begin(self._begin_write)
        try:
            yield Tx(conn, actor, float(self.clock()))
        except BaseException:
            with suppress(sqlite3.Error):  # a lost connection has rolled back by itself
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute(self._commit_write)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read transaction: one consistent snapshot for a multi-query read model."""
        conn = self._begin(self._begin_read)
        try:
            yield Tx(conn, "reader", float(self.clock()))
        finally:
            with suppress(sqlite3.Error):  # nothing to keep; a lost connection ended it anyway
                conn.execute("COMMIT")

    def _begin(self, statement: str) -> Any:
        """Open a transaction on this thread's connection. One the server dropped while it sat
        idle (a PostgreSQL restart) is known only once used: nothing was done on it yet, so
        the transaction opens on a new one instead of failing."""
        conn = self.conn
        try:
            conn.execute(statement)
        except sqlite3.OperationalError:
            if not getattr(conn, "broken", False):
                raise
            conn = self.conn
            conn.execute(statement)
        return conn

    def optimize(self) -> None:
        """Refresh the query planner's statistics (bounded sampling: milliseconds, not a scan).

        Without them SQLite may pick a status index and sort every open conversation instead of
        walking the inbox-order index; the hub calls this on start and every hour.
        """
        conn = self.conn
        if not self.database.is_postgres:
            conn.execute("PRAGMA analysis_limit = 1000")
        conn.execute("ANALYZE")

    def backup(self, target: Path) -> None:
        """A consistent copy while others write (SQLite's online backup API)."""
        if self.database.is_postgres:
            raise StoreError("A PostgreSQL store is backed up with pg_dump "
                             f"(pg_dump --format=custom '{self.database.describe()}').")
        dest = sqlite3.connect(str(target))
        try:
            self.conn.backup(dest)
        finally:
            dest.close()


def alembic_config(where: Path | str | Database) -> Any:
    from alembic.config import Config

    database = Database.at(where)
    cfg = Config()
    cfg.set_main_option("script_location", "omnitui:store/migrations")
    cfg.set_main_option("sqlalchemy.url", database.sqlalchemy_url().replace("%", "%%"))
    cfg.attributes["database"] = database
    return cfg


def upgrade(where: Path | str | Database, revision: str = "head") -> None:
    """Create or upgrade the schema in place; existing rows are kept."""
    database = Database.at(where)
    if is_newest(current_revision(database)):
        return
    from alembic import command

    cfg = alembic_config(database)
    try:
        conn = database.connect()  # SQLite: sets WAL before Alembic opens its own connection
        conn.close()
    except sqlite3.DatabaseError as exc:
        what = ("a usable SQLite database" if database.path is not None
                else "a PostgreSQL database omnitui can use")
        raise StoreError(f"{database.describe()} is not {what} ({exc}).") from None
    try:
        command.upgrade(cfg, revision)
    except Exception as exc:
        raise StoreError(f"Could not upgrade the database {database.describe()}: {exc}.") from None
    stats = Store(database)
    try:
        stats.optimize()
    finally:
        stats.close()  # this connection was only for the statistics


def is_newest(revision: str | None) -> bool:
    """Whether a store at `revision` is up to date: known from the migration files without
    importing Alembic (store.schema_files), from Alembic only when the files cannot say."""
    return revision is not None and revision == (files_head() or head_revision())


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(alembic_config(Path("x"))).get_current_head())


def current_revision(where: Path | str | Database, conn: Any = None) -> str | None:
    """The store's migration revision (None: no omnitui tables), over `conn` when given (left
    open) or a connection of its own."""
    database = Database.at(where)
    if conn is None and not database.exists():
        return None
    own = conn is None
    try:
        if own:
            conn = (database.connect() if database.is_postgres
                    else sqlite3.connect(str(database.path)))
    except sqlite3.Error as exc:
        raise StoreError(f"Cannot open the database {database.describe()}: {exc}.") from None
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    finally:
        if own:
            conn.close()
    return None if row is None else str(row[0])
