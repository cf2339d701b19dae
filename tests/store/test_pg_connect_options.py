"""What omnitui asks of libpq when it connects: GSSAPI off unless the URL or PGGSSENCMODE asks.

A system libpq tries GSSAPI first, and its Kerberos start-up is known to crash processes that
connect from several threads at once, as a console does (store.database.libpq_defaults).
"""

from __future__ import annotations

import pytest

from omnitui.store.database import Database, libpq_defaults


@pytest.fixture(autouse=True)
def _postgres_pass(backend_database: str | None) -> None:
    if backend_database is None:
        pytest.skip("PostgreSQL's connection options: the --backend=postgresql pass")


def _gssencmode(database: Database) -> str | None:
    conn = database.connect()
    try:
        options = {o.keyword.decode(): o.val for o in conn.raw.pgconn.info}
        value = options.get("gssencmode")
        return value.decode() if value is not None else None
    finally:
        conn.close()


def test_a_store_connection_does_not_try_gssapi(backend_database: str) -> None:
    assert _gssencmode(Database.at(backend_database)) == "disable"


def test_a_url_or_the_environment_that_names_it_is_followed(
        backend_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = backend_database + "?gssencmode=prefer"
    assert libpq_defaults(asked) == {}
    assert _gssencmode(Database.at(asked)) == "prefer"
    monkeypatch.setenv("PGGSSENCMODE", "prefer")
    assert libpq_defaults(backend_database) == {}
    assert _gssencmode(Database.at(backend_database)) == "prefer"
