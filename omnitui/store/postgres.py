"""PostgreSQL behind the small connection surface the store uses from sqlite3.

The store's statements are written once, with `?` (and `:name`) parameters, and read the same on
both engines where they can. This module is the one place that knows psycopg: it turns those
parameters into psycopg's `%s` style (cached per statement), hands rows back that answer to both
`row[0]` and `row["name"]` as `sqlite3.Row` does, loads `numeric` as float (SQLite's sums are
numbers, not `Decimal`s), and raises the DB-API error classes the store already catches, so an
`except IntegrityError` means the same on both engines.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Dumper
from psycopg.pq import ExecStatus
from psycopg.types.numeric import FloatLoader

from omnitui.store.database import libpq_defaults

CONNECT_TIMEOUT_S = 10
TUPLES_OK = ExecStatus.TUPLES_OK
# A read: the store's writes all run in its transactions (BEGIN first), never on their own.
_READ = re.compile(r"\s*(SELECT|WITH)\b", re.IGNORECASE)


class _FlagDumper(Dumper):
    """Python's True/False go in as '1'/'0' of no declared type: PostgreSQL reads them as the
    place needs, a 0/1 flag column (flags are small integers on both engines) or a condition."""

    oid = 0  # "unknown": typed by context, as a quoted literal is

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class PgRow(tuple):  # type: ignore[type-arg]
    """A row read by index or by column name, like `sqlite3.Row`."""

    __slots__ = ()
    _names: tuple[str, ...] = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._index[key])
            except KeyError:
                raise IndexError(f"No item with that key: {key}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


@lru_cache(maxsize=1024)
def _row_class(names: tuple[str, ...]) -> type[PgRow]:
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)
    return type("PgRow", (PgRow,), {"__slots__": (), "_names": names, "_index": index})


def _has_rows(cur: Any) -> bool:
    """Whether the last statement returned rows: `cursor.description` says so too, but builds
    a `Column` for each of the result's columns on every read."""
    res = cur.pgresult
    return res is not None and (res.nfields > 0 or res.status == TUPLES_OK)


def _row_factory(cursor: Any) -> Any:
    if not _has_rows(cursor):
        return tuple
    res = cursor.pgresult
    # (a COPY's result has columns but no names; psycopg calls them column_1, … too)
    names = tuple((res.fname(i) or f"column_{i + 1}".encode()).decode()
                  for i in range(res.nfields))
    return _row_class(names)  # (a tuple subclass: built from the values)


_NAMED = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")


def _columns_of(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows turned into one list per column (flags as 0/1: an array has one element type)."""
    columns: list[list[Any]] = [[] for _ in range(width)]
    for row in rows:
        for column, value in zip(columns, row, strict=True):
            column.append(int(value) if value is True or value is False else value)
    return columns


@lru_cache(maxsize=8192)
def pyformat(sql: str) -> str:
    """`?` → `%s`, `:name` → `%(name)s`, `%` → `%%`; quoted text and `::` casts are kept."""
    out: list[str] = []
    i, n = 0, len(sql)
    quote = ""
    while i < n:
        c = sql[i]
        if quote:
            out.append("%%" if c == "%" else c)
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
            out.append(c)
        elif c == "?":
            out.append("%s")
        elif c == "%":
            out.append("%%")
        elif c == ":" and i + 1 < n and sql[i + 1] == ":":
            out.append("::")
            i += 2
            continue
        elif c == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] == "_"):
                j += 1
            out.append(f"%({sql[i + 1:j]})s")
            i = j
            continue
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _adapt(raw: psycopg.Connection[Any]) -> None:
    raw.adapters.register_loader("numeric", FloatLoader)
    raw.adapters.register_dumper(bool, _FlagDumper)


def _as_dbapi_error(exc: psycopg.Error) -> sqlite3.Error:
    """The DB-API class of the same meaning, carrying PostgreSQL's own message."""
    message = (exc.diag.message_primary or str(exc)).strip() if exc.diag else str(exc)
    if isinstance(exc, pg_errors.IntegrityError):
        return sqlite3.IntegrityError(message)
    if isinstance(exc, psycopg.OperationalError | pg_errors.AdminShutdown):
        return sqlite3.OperationalError(message)
    if isinstance(exc, pg_errors.ProgrammingError | pg_errors.DataError):
        return sqlite3.ProgrammingError(message)
    return sqlite3.DatabaseError(message)


class PgCursor:
    """The part of `sqlite3.Cursor` the store uses, over a psycopg cursor."""

    __slots__ = ("_cur",)

    def __init__(self, cur: psycopg.Cursor[Any]) -> None:
        self._cur = cur

    def fetchone(self) -> Any:
        return self._cur.fetchone() if _has_rows(self._cur) else None

    def fetchall(self) -> list[Any]:
        return self._cur.fetchall() if _has_rows(self._cur) else []

    def fetchmany(self, size: int) -> list[Any]:
        return self._cur.fetchmany(size) if _has_rows(self._cur) else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    @property
    def description(self) -> Any:
        return self._cur.description


class PgConnection:
    """One psycopg connection in autocommit mode; the store sends BEGIN and COMMIT itself."""

    dialect = "postgresql"

    def __init__(self, url: str, *, password: str | None = None,
                 application_name: str = "omnitui", retry_reads: bool = False,
                 **options: Any) -> None:
        extra: dict[str, Any] = {"password": password, **options} if password else options
        args = {"conninfo": url, "application_name": application_name,
                **libpq_defaults(url), **extra}
        self.raw = self._open(args)
        # Only a connection that holds nothing of its session may quietly get a new one: a
        # lock holder or a listener must learn that its session (and the lock) is gone.
        self._connect_args: dict[str, Any] | None = args if retry_reads else None

    @staticmethod
    def _open(args: dict[str, Any]) -> psycopg.Connection[Any]:
        try:
            raw = psycopg.connect(autocommit=True, row_factory=_row_factory,
                                  connect_timeout=CONNECT_TIMEOUT_S, **args)
        except psycopg.Error as exc:
            raise _as_dbapi_error(exc) from None
        _adapt(raw)
        return raw

    @classmethod
    def adopt(cls, raw: psycopg.Connection[Any]) -> PgConnection:
        """The store's surface over a connection someone else opened (a migration's)."""
        conn = cls.__new__(cls)
        conn.raw = raw
        conn._connect_args = None  # (not ours to open again)
        _adapt(raw)
        return conn

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = ()) -> PgCursor:
        """`sql` with `params`. With `retry_reads`, a read on its own (no transaction open)
        that finds the server gone, as after a restart, is asked again once on a new
        connection: it changed nothing, and the reader (a console's screen) need not learn of
        the restart. A server still down is an OperationalError naming it, as before."""
        idle = not self.in_transaction
        try:
            return self._execute(sql, params)
        except sqlite3.OperationalError:
            if not (idle and self.broken and self._connect_args is not None
                    and _READ.match(sql)):
                raise
        with contextlib.suppress(Exception):
            self.raw.close()
        self.raw = self._open(self._connect_args)
        return self._execute(sql, params)

    def _execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None) -> PgCursor:
        cur = self.raw.cursor()
        try:
            if params:
                cur.execute(pyformat(sql), params)  # type: ignore[arg-type]
            else:
                cur.execute(sql.encode())  # several statements may be sent at once
        except psycopg.Error as exc:
            raise _as_dbapi_error(exc) from None
        return PgCursor(cur)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> PgCursor:
        cur = self.raw.cursor()
        try:
            if rows:
                cur.executemany(pyformat(sql), rows)
        except psycopg.Error as exc:
            raise _as_dbapi_error(exc) from None
        return PgCursor(cur)

    def insert_rows(self, table: str, columns: Sequence[str],
                    rows: Sequence[Sequence[Any]]) -> None:
        """`rows` into `table` with one COPY: no statement text that grows with the rows, and
        the table's statement triggers run once."""
        self.insert_tables([(table, columns, rows)])

    def insert_tables(self, parts: Sequence[tuple[str, Sequence[str],
                                                 Sequence[Sequence[Any]]]]) -> None:
        """`insert_rows` for several tables, in order: one COPY each (psycopg's C copy
        writer; the tables' statement triggers run once per COPY)."""
        try:
            with self.raw.cursor() as cur:
                for table, columns, rows in parts:
                    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                                  .encode()) as copy:
                        for row in rows:
                            copy.write_row(row)
        except psycopg.Error as exc:
            raise _as_dbapi_error(exc) from None

    def update_each(self, table: str, key: str, types: dict[str, str], assignments: str,
                    rows: Sequence[dict[str, Any]]) -> None:
        """`UPDATE table SET assignments WHERE key = :key` for each of `rows`, in one
        statement over `unnest` (see `Tx.update_each`)."""
        names = list(types)
        arrays = ", ".join(f"%s::{types[n]}[]" for n in names)
        assign = _NAMED.sub(lambda m: f"v.{m.group(1)}", assignments).replace("%", "%%")
        self.raw_execute(
            f"UPDATE {table} SET {assign} FROM unnest({arrays}) AS v({', '.join(names)}) "
            f"WHERE {table}.{key} = v.{key}",
            _columns_of([[row[n] for n in names] for row in rows], len(names)))

    def raw_execute(self, sql: str, params: Sequence[Any]) -> None:
        """A statement already in psycopg's `%s` style, its result not wanted."""
        try:
            with self.raw.cursor() as cur:
                cur.execute(sql.encode(), params)
        except psycopg.Error as exc:
            raise _as_dbapi_error(exc) from None

    def close(self) -> None:
        self.raw.close()

    @property
    def broken(self) -> bool:
        """The server went away (a restart, a network cut): this connection is done for."""
        return bool(self.raw.closed or self.raw.broken)

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

