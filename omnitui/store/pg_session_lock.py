"""A lock that lives as long as one PostgreSQL session: one hub per database on any host.

A lock file on the hub's disk is invisible to a hub on another host, so on PostgreSQL the hub
holds a session-level advisory lock on a connection of its own for as long as it runs. The
server drops the lock with the session: a hub killed with SIGKILL, or its host cut off, frees
it as soon as the server notices the connection is gone (TCP keepalives bound that wait). The
holder names itself in `application_name` ("omnitui hub <pid>@<host> <started> [embedded]"),
which every session of the database may read in `pg_stat_activity`, so a second hub, a console
or `omnitui doctor` can say which process on which host runs it.
"""

from __future__ import annotations

import contextlib
import socket
import sqlite3
from dataclasses import dataclass
from typing import Any

from omnitui.store.database import SERVER_KEEPALIVE, Database

HUB_LOCK_KEY = 0x6F6D6E68  # "omnh"; the write lock is another key (store/postgres.py)
NAME_PREFIX = "omnitui hub "
MAX_NAME = 63  # PostgreSQL keeps this many bytes of an application_name


@dataclass(frozen=True, slots=True)
class LockHolder:
    pid: int
    host: str
    started_at: float
    embedded: bool


def holder_name(pid: int, host: str, started_at: float, embedded: bool) -> str:
    """The application_name a hub's lock session carries (cut to what PostgreSQL keeps)."""
    tail = f" {int(started_at)}" + (" embedded" if embedded else "")
    room = MAX_NAME - len(NAME_PREFIX) - len(f"{pid}@") - len(tail)
    return f"{NAME_PREFIX}{pid}@{host[:max(1, room)]}{tail}"


def parse_holder(name: str | None) -> LockHolder | None:
    if not name or not name.startswith(NAME_PREFIX):
        return None
    words = name[len(NAME_PREFIX):].split(" ")
    try:
        pid_text, host = words[0].split("@", 1)
        return LockHolder(int(pid_text), host, float(words[1]), "embedded" in words[2:])
    except (ValueError, IndexError):
        return None


class PgSessionLock:
    """`acquire()` is True when this process now holds the hub's lock, False when another
    session does; `release()` (or the process dying) lets it go."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._conn: Any = None

    def acquire(self, *, pid: int, started_at: float, embedded: bool) -> bool:
        name = holder_name(pid, socket.gethostname(), started_at, embedded)
        conn = _connect(self.database, name)
        try:
            got = bool(conn.execute("SELECT pg_try_advisory_lock(?)",
                                    (HUB_LOCK_KEY,)).fetchone()[0])
        except BaseException:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def still_held(self) -> bool:
        """Asks the server: False once the lock session is gone (a restarted server, a cut
        connection), and the lock with it."""
        if self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1").fetchone()
        except sqlite3.Error:  # the session, and the lock with it, is gone
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.execute("SELECT pg_advisory_unlock(?)", (HUB_LOCK_KEY,))
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


def lock_holder(database: Database) -> LockHolder | None:
    """Who holds the hub's lock on this database, or None when nobody does.

    A holder that does not name itself as a hub (another program took the key) is reported
    with pid 0, so callers still see that the lock is taken."""
    conn = _connect(database, "omnitui hub check")
    try:
        row = conn.execute(
            "SELECT a.pid, a.application_name FROM pg_locks l "
            "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 "
            f"AND l.objid = {HUB_LOCK_KEY} AND l.objsubid = 1 AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())").fetchone()
    finally:
        conn.close()
    if row is None:
        return None
    return parse_holder(row[1]) or LockHolder(0, "", 0.0, False)


def _connect(database: Database, name: str) -> Any:
    from omnitui.store.db import StoreError
    from omnitui.store.pg_problems import connect_problem

    try:
        # probes both ways: a hub whose host vanished (power cut, cable) lets go of the lock
        # within about a minute, and a hub cut off from its server notices as soon
        return database.connect(purpose=name, **SERVER_KEEPALIVE)
    except sqlite3.Error as exc:  # one sentence naming the server and what to do
        raise StoreError(connect_problem(database, str(exc))) from None
