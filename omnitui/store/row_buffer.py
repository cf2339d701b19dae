"""Rows written together within a transaction, with their ids known at once.

On SQLite a row is inserted when it is added: the database is in the process, an insert costs
microseconds, and the id comes back with it. On PostgreSQL every statement is a round trip to the
server, so ids are drawn from each table's sequence up front (one round trip for a batch) and
the rows wait; `flush` writes every table's waiting rows with one COPY each, parents first, so
the foreign keys hold at every statement. The caller flushes before anything in the transaction
reads these tables or writes rows that point at waiting ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from omnitui.store.db import Tx

# Ids drawn when a buffer runs out of the ones reserved: one at a time, as an id drawn and not
# used is a gap in the numbers (conversation numbers are what agents and customers quote).
REFILL = 1


class RowBuffer:
    """Inserts into `table` that hand back the new row's id (its primary key, `id`), or, with
    `ids=False`, rows nobody needs the id of (none is drawn for them)."""

    __slots__ = ("_columns", "_ids", "_rows", "_tx", "_with_ids", "parts", "table")

    def __init__(self, tx: Tx, table: str, *, ids: bool = True) -> None:
        self._tx = tx
        self.table = table
        self._with_ids = ids
        self._columns: tuple[str, ...] | None = None
        self._rows: list[tuple[Any, ...]] = []
        self._ids: list[int] = []
        # (table, columns, rows) taken from this buffer and not yet written
        self.parts: list[tuple[str, Sequence[str], Sequence[Sequence[Any]]]] = []

    @property
    def deferred(self) -> bool:
        """Whether rows wait for `BatchRows.flush` (PostgreSQL) rather than go in when added."""
        return self._tx.returning

    def reserve(self, count: int) -> None:
        """Draw `count` ids now, in one round trip, for the rows about to be added."""
        _draw(self._tx, {self: count})

    def missing(self, count: int) -> int:
        """How many more ids `count` rows would need than this buffer holds."""
        return max(0, count - len(self._ids)) if self.deferred and self._with_ids else 0

    def take_ids(self, ids: list[int]) -> None:
        self._ids.extend(ids)
        self._ids.sort(reverse=True)  # popped from the end: smallest first

    def add(self, values: dict[str, Any]) -> int:
        """The new row's id (0 with `ids=False`); on PostgreSQL the row waits for the flush."""
        if not self.deferred:
            return self._tx.insert(self.table, values)
        row_id = 0
        if self._with_ids:
            if not self._ids:
                self.reserve(REFILL)
            row_id = self._ids.pop()
            values = {"id": row_id, **values}
        columns = tuple(values)
        if self._columns is not None and columns != self._columns:
            self._take()  # rows of another shape: a statement of their own
        self._columns = columns
        self._rows.append(tuple(values.values()))
        return row_id

    def _take(self) -> None:
        if self._rows and self._columns is not None:
            self.parts.append((self.table, self._columns, self._rows))
        self._rows = []

    def pending(self) -> list[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]:
        """The waiting rows as (table, columns, rows) statements, handed over and forgotten."""
        self._take()
        parts, self.parts = self.parts, []
        return parts

class BatchRows:
    """Buffers of several tables (`tables`, parents first), flushed together in that order."""

    def __init__(self, tx: Tx, tables: Sequence[str], *, without_ids: Sequence[str] = ()) -> None:
        self._tx = tx
        self.buffers = {t: RowBuffer(tx, t, ids=t not in without_ids) for t in tables}

    def insert(self, table: str, values: dict[str, Any]) -> int:
        return self.buffers[table].add(values)

    def reserve(self, counts: dict[str, int]) -> None:
        """Draw ids for several tables in one round trip ({table: how many})."""
        _draw(self._tx, {self.buffers[t]: n for t, n in counts.items()})

    def flush(self) -> None:
        parts = [part for buffer in self.buffers.values() for part in buffer.pending()]
        if parts:
            self._tx.insert_tables(parts)


def _draw(tx: Tx, wanted: dict[RowBuffer, int]) -> None:
    """Ids from the tables' sequences for each buffer's coming rows, in one query."""
    need = {b: b.missing(n) for b, n in wanted.items() if b.missing(n)}
    if not need:
        return
    drawn = tx.all(" UNION ALL ".join(
        "SELECT ? AS t, nextval(pg_get_serial_sequence(?, 'id')) FROM generate_series(1, ?)"
        for _ in need), [v for b, n in need.items() for v in (b.table, b.table, n)])
    by_table: dict[str, list[int]] = {}
    for table, row_id in drawn:
        by_table.setdefault(table, []).append(int(row_id))
    for buffer in need:
        buffer.take_ids(by_table.get(buffer.table, []))
