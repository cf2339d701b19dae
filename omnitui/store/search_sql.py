"""The search index, asked in each engine's words: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

Both engines answer the same question the same way: every word typed is required, each as a
prefix, single letters are dropped (search-as-you-type starts at the second letter), and
matching messages come newest first. The words are cut and folded by the engine (FTS5's
unicode61 tokenizer; `omnitui_search_words` on PostgreSQL, migration 0014), never in Python, so
what is typed is folded exactly as what is stored.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from omnitui.store.dialect import SqlDialect

if TYPE_CHECKING:
    from omnitui.store.db import Store

MAX_WORDS = 12
# PostgreSQL's newest-first search looks at the newest RECENT_WINDOW messages first, walking
# back by id and stopping at the page's last hit; only a search with fewer hits there asks the
# GIN index for the older ones (then few: rare words). The planner cannot tell the two apart (a
# prefix's selectivity is a guess), so the query's shape decides, not the planner. The typed
# words become a tsquery once per search (a sub-select), not once per row a prepared statement's
# generic plan would test.
RECENT_WINDOW = 4000

_NEWEST_SQLITE = ("SELECT rowid FROM message_fts WHERE message_fts MATCH ? "
                  "ORDER BY rowid DESC LIMIT ? OFFSET ?")
# (floor, id) rows: the window's floor on every row, an id per hit (None: no hit in the window).
_RECENT_PG = ("SELECT f.floor, r.id FROM (SELECT coalesce(max(id), 0) - ? AS floor "
              "FROM message_search) f LEFT JOIN LATERAL (SELECT id FROM (SELECT id, words "
              "FROM message_search WHERE id > f.floor ORDER BY id DESC LIMIT ?) recent "
              "WHERE words @@ (SELECT omnitui_search_query(?)) ORDER BY id DESC LIMIT ?) r "
              "ON true ORDER BY r.id DESC")
_OLDER_PG = ("WITH hits AS MATERIALIZED (SELECT id FROM message_search "
             "WHERE words @@ (SELECT omnitui_search_query(?)) AND id <= ?) "
             "SELECT id FROM hits ORDER BY id DESC LIMIT ?")
# Each returns `id` and takes (query, limit).
_CUSTOMERS = {
    "sqlite": "SELECT rowid AS id FROM customer_fts WHERE customer_fts MATCH ? "
              "ORDER BY rowid LIMIT ?",
    "postgresql": "WITH hits AS MATERIALIZED (SELECT id FROM customer_search "
                  "WHERE words @@ (SELECT omnitui_search_query(?))) "
                  "SELECT id FROM hits ORDER BY id LIMIT ?",
}


def typed_words(text: str) -> list[str]:
    """The words of a search, single letters dropped (as a prefix they match nearly all)."""
    return [w for w in re.findall(r"\w+", text, flags=re.UNICODE) if len(w) >= 2][:MAX_WORDS]


def fts_query(text: str) -> str | None:
    """A user's words as an FTS5 query: each word a quoted prefix term, all required."""
    words = typed_words(text)
    if not words:
        return None
    return " ".join('"' + w.replace('"', "") + '"*' for w in words)


def search_query(sql: SqlDialect, text: str) -> str | None:
    """What the engine's match takes for `text` (None: nothing to search for yet)."""
    if sql.is_postgres:
        words = typed_words(text)
        return " ".join(words) if words else None
    return fts_query(text)


def newest_matching_messages(store: Store, query: str, limit: int, offset: int) -> list[int]:
    """The ids of matching messages, newest first, `limit` of them after `offset`."""
    if not store.sql.is_postgres:
        return [r[0] for r in store.conn.execute(_NEWEST_SQLITE, (query, limit, offset))]
    wanted = offset + limit
    rows = store.conn.execute(_RECENT_PG, (RECENT_WINDOW, RECENT_WINDOW, query, wanted))
    recent = rows.fetchall()
    floor = recent[0][0]
    ids = [r[1] for r in recent if r[1] is not None]
    if len(ids) < wanted:
        ids += [r[0] for r in store.conn.execute(_OLDER_PG, (query, floor, wanted - len(ids)))]
    return ids[offset:]


def matching_customers(sql: SqlDialect) -> str:
    """A subquery of the ids of matching customers, oldest first: (query, limit).

    On PostgreSQL the matches come from the GIN index first (a CTE the planner cannot turn into
    a walk over every customer in id order, hoping to meet a rare name early)."""
    return _CUSTOMERS[sql.name]
