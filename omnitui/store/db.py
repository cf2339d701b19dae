"""The SQLite connection layer: pragmas, one-writer transactions, migrations, backup.

Every write is one `BEGIN IMMEDIATE` transaction, so writers queue on SQLite's lock (with a busy
timeout) instead of failing half way with "database is locked" on upgrade from a read lock.
Connections are per thread; WAL lets readers run beside the writer.
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

BUSY_TIMEOUT_MS = 30_000


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
    """One open transaction. Thin over sqlite3 so hot paths stay fast."""

    __slots__ = ("actor", "conn", "now")

    def __init__(self, conn: sqlite3.Connection, actor: str, now: float) -> None:
        self.conn = conn
        self.actor = actor
        self.now = now

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def insert(self, table: str, values: dict[str, Any]) -> int:
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cur = self.conn.execute(
            f"INSERT INTO {table} ({cols}) VALUES ({marks})", tuple(values.values())
        )
        return int(cur.lastrowid or 0)

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
        cur = self.conn.execute(
            "INSERT INTO event (at, actor, kind, conversation_id, customer_id, message_id, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
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
        return int(cur.lastrowid or 0)

    def events(self, events: Sequence[PendingEvent]) -> None:
        self.conn.executemany(
            "INSERT INTO event (at, actor, kind, conversation_id, customer_id, message_id, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
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


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open a connection with omnitui's pragmas; autocommit mode, transactions are explicit."""
    if readonly:
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA cache_size = -16000")
    return conn


class Store:
    """A handle on one omnitui database, shareable between threads (one connection each)."""

    def __init__(self, path: Path, *, clock: Any = time.time) -> None:
        self.path = Path(path)
        self.clock = clock
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path, *, migrate: bool = True, clock: Any = time.time) -> Store:
        """Open (and by default create or upgrade) the database at `path`."""
        path = Path(path)
        if not path.parent.exists():
            raise StoreError(
                f"The data directory {path.parent} does not exist; run 'omnitui init'."
            )
        store = cls(path, clock=clock)
        if migrate:
            if not path.exists():  # made here, so its mode and group are not the umask's
                DataDirAccess.of(path.parent).create_file(path)
            upgrade(path)
        elif current_revision(path) is None:
            raise StoreError(f"{path} is not an omnitui database; run 'omnitui init'.")
        return store

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = connect(self.path)
            except sqlite3.Error as exc:
                raise StoreError(f"Cannot open the database {self.path}: {exc}.") from None
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()

    @contextmanager
    def write(self, actor: str = "system") -> Iterator[Tx]:
        """One `BEGIN IMMEDIATE` transaction; commits on success, rolls back on any error."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield Tx(conn, actor, float(self.clock()))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read transaction: one consistent snapshot for a multi-query read model."""
        conn = self.conn
        conn.execute("BEGIN")
        try:
            yield Tx(conn, "reader", float(self.clock()))
        finally:
            conn.execute("COMMIT")

    def data_version(self) -> int:
        """Changes whenever another connection commits; a few microseconds to ask."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def optimize(self) -> None:
        """Refresh the query planner's statistics (bounded sampling: milliseconds, not a scan).

        Without them SQLite may pick a status index and sort every open conversation instead of
        walking the inbox-order index; the hub calls this on start and every hour.
        """
        conn = self.conn
        conn.execute("PRAGMA analysis_limit = 1000")
        conn.execute("ANALYZE")

    def backup(self, target: Path) -> None:
        """A consistent copy while others write (SQLite's online backup API)."""
        dest = sqlite3.connect(str(target))
        try:
            self.conn.backup(dest)
        finally:
            dest.close()


def alembic_config(path: Path) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "omnitui:store/migrations")
    cfg.set_main_option("sqlalchemy.url", f"sqlite:///{path}")
    return cfg


def upgrade(path: Path, revision: str = "head") -> None:
    """Create or upgrade the schema in place; existing rows are kept."""
    if current_revision(path) == head_revision():
        return
    from alembic import command

    cfg = alembic_config(path)
    try:
        conn = connect(path)  # sets WAL before Alembic opens its own connection
        conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a usable SQLite database ({exc}).") from None
    try:
        command.upgrade(cfg, revision)
    except Exception as exc:
        raise StoreError(f"Could not upgrade the database {path}: {exc}.") from None
    stats = Store(path)
    try:
        stats.optimize()
    finally:
        stats.close()  # this connection was only for the statistics


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(alembic_config(Path("x"))).get_current_head())


def current_revision(path: Path) -> str | None:
    if not Path(path).exists():
        return None
    conn = sqlite3.connect(str(path))
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return None if row is None else str(row[0])
