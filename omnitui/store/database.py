"""Where the store lives: one SQLite file (the default) or a PostgreSQL database.

Everything that opens the store is handed a `Database` instead of a path, so the engine is
chosen once, by the config, and every part (store, feed, hub lock, migrations) follows it.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
BUSY_TIMEOUT_MS = 30_000
# For connections that sit idle for long (the hub's lock, the feed's LISTEN): the server is
# probed, so a cut network or a vanished host is noticed within about a minute, not after the
# kernel's TCP timeout of many minutes; libpq connection parameters.
SERVER_KEEPALIVE = {"keepalives": 1, "keepalives_idle": 20, "keepalives_interval": 5,
                    "keepalives_count": 4, "tcp_user_timeout": 60_000}


def is_postgres_url(value: str) -> bool:
    return value.startswith(POSTGRES_SCHEMES)


def libpq_defaults(url: str) -> dict[str, str]:
    """Connection parameters omnitui sets unless the URL (or libpq's environment) names them.

    A system libpq (and psycopg's binary package before 3.3) tries GSSAPI encryption first
    (`gssencmode=prefer`), which starts its Kerberos library on each connect; that path is
    known to crash processes that connect from several threads at once (psycopg #1213), as a
    console does (its screen, its feed and its hub each connect). omnitui's set-ups use
    passwords and TLS, so GSSAPI is off unless asked for (`?gssencmode=prefer` or
    PGGSSENCMODE), whichever libpq is installed."""
    if "gssencmode" in url or os.environ.get("PGGSSENCMODE"):
        return {}
    return {"gssencmode": "disable"}


@dataclass(frozen=True, slots=True)
class Database:
    """A SQLite file (`path`) or a PostgreSQL server (`url`, password kept out of the URL)."""

    path: Path | None = None
    url: str | None = None
    password: str | None = field(default=None, repr=False, compare=False)

    @classmethod
    def at(cls, where: Path | str | Database) -> Database:
        if isinstance(where, Database):
            return where
        if isinstance(where, str) and is_postgres_url(where):
            return cls(url=where)
        return cls(path=Path(where))

    @property
    def is_postgres(self) -> bool:
        return self.url is not None

    @property
    def dialect(self) -> str:
        return "postgresql" if self.is_postgres else "sqlite"

    def describe(self) -> str:
        """For messages: the file, or the server and database (never a password)."""
        if self.path is not None:
            return str(self.path)
        parts = urlsplit(self.url or "")
        host = parts.hostname or "localhost"
        if parts.port:
            host = f"{host}:{parts.port}"
        user = f"{parts.username}@" if parts.username else ""
        return urlunsplit(("postgresql", user + host, parts.path, "", ""))

    def exists(self) -> bool:
        """A SQLite file exists; a PostgreSQL database is there once its server answers."""
        return self.path.exists() if self.path is not None else True

    def connect(self, *, readonly: bool = False, purpose: str = "omnitui",
                retry_reads: bool = False, **server_options: Any) -> Any:
        """A new connection: `sqlite3.Connection` or `PgConnection` (same surface).
        `server_options` are libpq connection parameters (keepalives, …); SQLite has none.
        `retry_reads`: a PostgreSQL connection that holds nothing of its session (no lock, no
        LISTEN) may ask a read again on a new session after a restart (`PgConnection`)."""
        if self.url is not None:
            try:
                from omnitui.store.postgres import PgConnection
            except ImportError:
                raise sqlite3.OperationalError(
                    "a PostgreSQL store needs the psycopg driver: "
                    "pip install 'omnitui[postgresql]'") from None

            return PgConnection(self.url, password=self.password, application_name=purpose,
                                retry_reads=retry_reads, **server_options)
        assert self.path is not None
        return connect_sqlite(self.path, readonly=readonly)

    def sqlalchemy_url(self) -> str:
        if self.url is None:
            return f"sqlite:///{self.path}"
        return "postgresql+psycopg://" + self.url.split("://", 1)[1]


def connect_sqlite(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
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
