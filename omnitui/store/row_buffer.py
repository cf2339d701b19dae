"""Rows of one table written together within a transaction, with their ids known at once.

On SQLite a row is inserted when it is added: the database is in the process, an insert costs
microseconds, and the id comes back with it. On PostgreSQL every statement is a round trip to the
server, so ids are drawn from the table's sequence up front (one round trip for a whole batch)
and the rows go in with one pipelined `executemany` when the caller flushes. The caller flushes
before anything in the transaction reads the table, and before rows that refer to these ones.
"""

from __future__ import annotations

from typing import Any

from omnitui.store.db import Tx


class RowBuffer:
    """Inserts into `table` that hand back the new row's id (its primary key, `id`), or, with
    `ids=False`, rows nobody needs the id of (none is drawn for them)."""

    __slots__ = ("_columns", "_ids", "_rows", "_sequence", "_table", "_tx", "_with_ids")

    def __init__(self, tx: Tx, table: str, *, ids: bool = True) -> None:
        self._tx = tx
        self._table = table
        self._with_ids = ids
        self._columns: tuple[str, ...] | None = None
        self._rows: list[tuple[Any, ...]] = []
        self._ids: list[int] = []
        self._sequence: str | None = None

    @property
    def deferred(self) -> bool:
        """Whether rows wait for `flush` (PostgreSQL) rather than go in when added (SQLite)."""
        return self._tx.returning

    def reserve(self, count: int) -> None:
        """Draw `count` ids now, in one round trip, for the rows about to be added."""
        if not (self.deferred and self._with_ids) or count <= len(self._ids):
            return
        if self._sequence is None:
            self._sequence = self._tx.scalar("SELECT pg_get_serial_sequence(?, 'id')",
                                             (self._table,))
        rows = self._tx.all("SELECT nextval(?) FROM generate_series(1, ?)",
                            (self._sequence, count - len(self._ids)))
        self._ids.extend(sorted(int(r[0]) for r in rows))
        self._ids.sort(reverse=True)  # popped from the end: smallest first

    def add(self, values: dict[str, Any]) -> int:
        """The new row's id (0 with `ids=False`); on PostgreSQL the row waits for `flush`."""
        if not self.deferred:
            return self._tx.insert(self._table, values)
        row_id = 0
        if self._with_ids:
            if not self._ids:
                self.reserve(1)
            row_id = self._ids.pop()
            values = {"id": row_id, **values}
        columns = tuple(values)
        if self._columns is None:
            self._columns = columns
        elif columns != self._columns:  # rows of another shape: write what waits first
            self.flush()
            self._columns = columns
        self._rows.append(tuple(values.values()))
        return row_id

    def flush(self) -> None:
        """Write the rows that wait, in the order they were added."""
        if not self._rows:
            return
        assert self._columns is not None
        cols = ", ".join(self._columns)
        marks = ", ".join("?" * len(self._columns))
        rows, self._rows = self._rows, []
        self._tx.executemany(f"INSERT INTO {self._table} ({cols}) VALUES ({marks})", rows)
