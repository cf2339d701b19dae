"""The few SQL phrases that differ between SQLite and PostgreSQL, by what they do.

Statements are written once and read the same on both engines where they can (`ON CONFLICT DO
NOTHING`, `coalesce`, `RETURNING`, 0/1 flags). Where an engine needs other words, the statement
asks `tx.sql` (or `store.sql`) for the phrase by name, e.g.
`f"SELECT {tx.sql.json_int('data', 'undone')} FROM event"`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def _key(key: str) -> str:
    if not key.replace("_", "").isalnum():
        raise ValueError(f"not a JSON key omnitui uses: {key!r}")
    return key


@dataclass(frozen=True, slots=True)
class SqlDialect:
    name: str

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgresql"

    def json_text(self, column: str, key: str) -> str:
        """The text at `key` of a JSON object stored in `column` (NULL when absent)."""
        if self.is_postgres:
            return f"({column}::jsonb ->> '{_key(key)}')"
        return f"json_extract({column}, '$.{_key(key)}')"

    def json_int(self, column: str, key: str) -> str:
        """The integer at `key` (an id, a count) of a JSON object stored in `column`."""
        if self.is_postgres:
            return f"(({column}::jsonb ->> '{_key(key)}')::bigint)"
        return f"json_extract({column}, '$.{_key(key)}')"

    def json_number(self, column: str, key: str) -> str:
        """The number at `key` (a time, an amount) of a JSON object stored in `column`."""
        if self.is_postgres:
            return f"(({column}::jsonb ->> '{_key(key)}')::double precision)"
        return f"json_extract({column}, '$.{_key(key)}')"

    def json_flag(self, column: str, key: str) -> str:
        """1 when `key` of the JSON object in `column` is true, else 0 (or NULL when absent)."""
        if self.is_postgres:
            return f"(({column}::jsonb -> '{_key(key)}') = 'true'::jsonb)::int"
        return f"json_extract({column}, '$.{_key(key)}')"

    def joined(self, expr: str, separator: str = " ") -> str:
        """The values of `expr` in a group joined into one text (an aggregate)."""
        sep = separator.replace("'", "''")
        if self.is_postgres:
            return f"string_agg(({expr})::text, '{sep}')"
        return f"group_concat({expr}, '{sep}')"

    def json_rows(self, select: str, columns: Sequence[str], order: str) -> str:
        """A scalar subquery: the rows of `select` (its columns named `columns`) as one JSON
        array of objects, in the order of its column `order`. A parent's few child rows are then
        read in the parent's own statement: one round trip, and one snapshot without a
        transaction around several statements."""
        pairs = ", ".join(f"'{_key(c)}', r.{_key(c)}" for c in columns)
        if self.is_postgres:
            return (f"(SELECT coalesce(json_agg(json_build_object({pairs}) ORDER BY "
                    f"r.{_key(order)}), '[]') FROM ({select}) r)")
        # (SQLite aggregates a subquery's rows in its ORDER BY; 3.44 first allows it inside)
        return (f"(SELECT json_group_array(json_object({pairs})) FROM "
                f"({select} ORDER BY {_key(order)}) r)")

    def smaller(self, a: str, b: str) -> str:
        return f"least({a}, {b})" if self.is_postgres else f"min({a}, {b})"

    def larger(self, a: str, b: str) -> str:
        return f"greatest({a}, {b})" if self.is_postgres else f"max({a}, {b})"

    def differs(self, a: str, b: str) -> str:
        """`a` and `b` are not the same, a NULL being a value like any other (NULL vs 1 differs,
        NULL vs NULL does not); SQLite before 3.39 knows only `IS NOT` for this."""
        return f"{a} IS DISTINCT FROM {b}" if self.is_postgres else f"{a} IS NOT {b}"

    def one_of(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """(condition, its parameters) that `column` is one of `values`: an `IN` list on
        SQLite; on PostgreSQL `= ANY` of one array, so the statement's text stays the same
        however many values there are (parsed and planned once, not per length)."""
        if self.is_postgres:
            return f"{column} = ANY(?)", [list(values)]
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    def indexed_by(self, table: str, index: str) -> str:
        """`table` read through `index` where the engine lets a statement name it (SQLite's
        planner may otherwise pick a worse one); PostgreSQL's planner chooses for itself."""
        return table if self.is_postgres else f"{table} INDEXED BY {index}"


SQLITE = SqlDialect("sqlite")
POSTGRESQL = SqlDialect("postgresql")


def sql_for(dialect: str) -> SqlDialect:
    return POSTGRESQL if dialect == "postgresql" else SQLITE
