"""Which store engine this test run is on, for tests that open the store themselves.

A hub or CLI started by a test follows OMNITUI_DATABASE (set per test on a PostgreSQL run), so
a test reads the store it writes only by asking the same question.
"""

from __future__ import annotations

import os
from pathlib import Path

from omnitui.store.database import Database


def on_postgres() -> bool:
    return bool(os.environ.get("OMNITUI_DATABASE"))


def database_in(data_dir: Path) -> Database:
    """The store a process with this data dir opens: OMNITUI_DATABASE, else the SQLite file."""
    return Database.at(os.environ.get("OMNITUI_DATABASE") or data_dir / "omnitui.db")

