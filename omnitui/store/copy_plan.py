"""What a SQLite → PostgreSQL store copy moves: the tables, their columns, their order, a census.

The tables are the source's own (its full-text index tables excepted: PostgreSQL keeps its
search index by itself), copied in foreign-key order as the target's catalog states it, so each
table's rows find the rows they point at already there. The census (row count and highest
rowid of each table, taken in the copy's one read snapshot) is what the copy is checked against
at the end and what tells a resumed copy that its source has not changed meanwhile.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import Any

from omnitui.store.db import StoreError

# Never copied as rows: the schema's version (the target is migrated by itself), the copy's own
# bookkeeping, and attachment bytes (read from the files beside the SQLite store instead).
NOT_COPIED = frozenset({"alembic_version", "store_copy", "attachment_blob"})
BLOB_TABLE = "attachment_blob"


def quoted(name: str) -> str:
    """An identifier as SQL, on both engines ("cursor" and "event" are words SQL knows)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class TablePlan:
    name: str
    columns: tuple[str, ...]
    rows: int
    max_rowid: int
    has_id_sequence: bool


@dataclass(frozen=True, slots=True)
class CopyPlan:
    tables: tuple[TablePlan, ...]  # in foreign-key order

    def census(self) -> str:
        """The source's shape as stored in `store_copy.census` (stable JSON)."""
        return json.dumps({t.name: [t.rows, t.max_rowid] for t in self.tables}, sort_keys=True)

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)


def plan_copy(source: sqlite3.Connection, target: Any) -> CopyPlan:
    """The tables to copy, read inside the caller's open read transaction on `source`.

    `target` is a psycopg connection to the migrated target database.
    """
    names = [row[0] for row in source.execute(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' "
        "AND name NOT LIKE 'sqlite%' ORDER BY name")]
    names = [n for n in names if n not in NOT_COPIED]
    target_columns = _target_columns(target)
    plans: dict[str, TablePlan] = {}
    for name in names:
        theirs = target_columns.get(name)
        if theirs is None:
            raise StoreError(f"The target has no table '{name}' although the source has; both "
                             "should be at the same schema (run 'omnitui init' on each).")
        columns = tuple(row[1] for row in source.execute(f"PRAGMA table_info({quoted(name)})"))
        missing = [c for c in columns if c not in theirs]
        if missing:
            raise StoreError(f"The target's table '{name}' has no column '{missing[0]}'; both "
                             "should be at the same schema (run 'omnitui init' on each).")
        _refuse_bytes(source, name, columns)
        rows, max_rowid = source.execute(
            f"SELECT count(*), coalesce(max(rowid), 0) FROM {quoted(name)}").fetchone()
        plans[name] = TablePlan(name, columns, int(rows), int(max_rowid),
                                has_id_sequence=_has_id_sequence(target, name, columns))
    return CopyPlan(tuple(plans[n] for n in _foreign_key_order(target, list(plans))))


def _target_columns(target: Any) -> dict[str, set[str]]:
    """Each table's columns a row may be given (generated columns are the target's own)."""
    found: dict[str, set[str]] = {}
    for table, column in target.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_generated = 'NEVER'"):
        found.setdefault(table, set()).add(column)
    return found


def _refuse_bytes(source: sqlite3.Connection, table: str, columns: tuple[str, ...]) -> None:
    """omnitui stores no bytes in these tables; a value that is bytes would be turned into a
    hex string by PostgreSQL's text columns, so it stops the copy instead of being harmed."""
    checks = " OR ".join(f"typeof({quoted(c)}) = 'blob'" for c in columns)
    row = source.execute(f"SELECT rowid FROM {quoted(table)} WHERE {checks} LIMIT 1").fetchone()
    if row is not None:
        raise StoreError(f"Row {row[0]} of table '{table}' holds raw bytes where omnitui keeps "
                         "text or numbers; the store is damaged, so nothing was copied.")


def _has_id_sequence(target: Any, table: str, columns: tuple[str, ...]) -> bool:
    if "id" not in columns:
        return False
    row = target.execute("SELECT pg_get_serial_sequence(%s, 'id')", (quoted(table),)).fetchone()
    return row is not None and row[0] is not None


def _foreign_key_order(target: Any, tables: list[str]) -> list[str]:
    """Referenced tables before the tables that point at them (a self-reference is checked at
    the end of its own COPY statement, so it needs no order)."""
    wanted = set(tables)
    graph: dict[str, set[str]] = {name: set() for name in tables}
    for child, parent in target.execute(
            "SELECT c.relname, p.relname FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid "
            "JOIN pg_namespace n ON n.oid = k.connamespace "
            "WHERE k.contype = 'f' AND n.nspname = current_schema()"):
        if child in wanted and parent in wanted and child != parent:
            graph[child].add(parent)
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise StoreError(f"The target's foreign keys form a cycle ({' → '.join(exc.args[1])}); "
                         "its tables cannot be filled one after another.") from None
