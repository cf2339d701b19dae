"""What the console says when its database does not answer.

The store raises the DB-API's own errors on both engines (store/postgres.py maps psycopg's): a
PostgreSQL server that is down or restarting, a network cut, a SQLite file on a failing disk.
A read that merely found a restarted server is asked again by the store itself; what reaches
the console is a database that is really not there, and the agent should know which one and
that nothing they did was half-done.
"""

from __future__ import annotations

import sqlite3

from omnitui.store.database import Database
from omnitui.store.db import StoreError

DATABASE_TOLD_EVERY = 8.0  # s: one toast for a stretch of failed reads, not one per key
# What a read of the console's can meet: the DB-API's errors, and the store's own sentence when
# it cannot even open a new connection.
DATABASE_ERRORS = (sqlite3.Error, StoreError)


def database_trouble(database: Database, exc: Exception) -> str:
    """`The database postgresql://db.shop.example/omnitui is not answering (connection
    refused). Nothing was changed; the console goes on once it answers.`"""
    if isinstance(exc, StoreError):  # the store's own sentence (it names the database)
        return str(exc)
    reason = short_reason(exc, 120)
    if not isinstance(exc, sqlite3.OperationalError):  # it answered, and said no
        return f"The database {database.describe()} refused this ({reason}). Nothing was changed."
    return (f"The database {database.describe()} is not answering ({reason}). Nothing was "
            "changed; the console goes on once it answers.")


def short_reason(exc: Exception, limit: int) -> str:
    """The error's own words on one line, at most `limit` characters (libpq's run to four)."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return reason if len(reason) <= limit else reason[:limit - 1] + "…"
