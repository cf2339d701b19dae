"""CLI fixtures: a store with no omnitui tables yet, on either engine."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest


@pytest.fixture
def empty_database(pg_cluster: object | None, backend_database: str | None) -> str | None:
    """Where `omnitui init` has not run yet: on SQLite no file exists until it does; on
    PostgreSQL this test's database is made again empty (no tables, as a new server's)."""
    if pg_cluster is None or backend_database is None:
        return None
    name = urlsplit(backend_database).path.strip("/")
    return pg_cluster.empty_database(name)  # type: ignore[attr-defined, no-any-return]
