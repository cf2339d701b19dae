"""The search index, asked in each engine's words: FTS5 on SQLite, tsvector + GIN on PostgreSQL.

Both engines answer the same question the same way: every word typed is required, each as a
prefix, single letters are dropped (search-as-you-type starts at the second letter), and
matching messages come newest first. The words are cut and folded by the engine (FTS5's
unicode61 tokenizer; `omnitui_search_words` on PostgreSQL, migration 0014), never in Python, so
what is typed is folded exactly as what is stored.
"""

from __future__ import annotations

import re

from omnitui.store.dialect import SqlDialect

MAX_WORDS = 12

# Each returns `id` and takes (query, limit, offset) / (query, limit).
_MESSAGES = {
    "sqlite": "SELECT rowid AS id FROM message_fts WHERE message_fts MATCH ? "
              "ORDER BY rowid DESC LIMIT ? OFFSET ?",
    "postgresql": "SELECT id FROM message_search WHERE words @@ omnitui_search_query(?) "
                  "ORDER BY id DESC LIMIT ? OFFSET ?",
}
_CUSTOMERS = {
    "sqlite": "SELECT rowid AS id FROM customer_fts WHERE customer_fts MATCH ? "
              "ORDER BY rowid LIMIT ?",
    "postgresql": "SELECT id FROM customer_search WHERE words @@ omnitui_search_query(?) "
                  "ORDER BY id LIMIT ?",
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


def matching_messages(sql: SqlDialect) -> str:
    """A subquery of the ids of matching messages, newest first: (query, limit, offset)."""
    return _MESSAGES[sql.name]


def matching_customers(sql: SqlDialect) -> str:
    """A subquery of the ids of matching customers, oldest first: (query, limit)."""
    return _CUSTOMERS[sql.name]
