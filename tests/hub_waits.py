"""Waiting on a hub that runs in the test's process: poll a condition, read its database."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable

from omnitui.config import Settings
from omnitui.store.db import Store, StoreError


async def until(check: Callable[[], object], timeout: float = 15.0, what: str = "it",
                interval: float = 0.05) -> object:
    """The first truthy value of `check()` (run off the loop), or AssertionError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(check)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(interval)


def rows(settings: Settings, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows from the hub's database; [] while the hub is still creating it (no database yet,
    or its tables not made)."""
    try:
        store = Store.open(settings.database, migrate=False)
    except StoreError:
        return []
    try:
        return [tuple(r) for r in store.conn.execute(sql, params).fetchall()]
    except (sqlite3.OperationalError, sqlite3.ProgrammingError) as exc:
        if "no such table" in str(exc) or "does not exist" in str(exc):  # SQLite, PostgreSQL
            return []
        raise
    finally:
        store.close()
