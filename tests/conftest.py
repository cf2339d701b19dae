"""Shared fixtures: real SQLite files in temp dirs; no test reads the machine's config.

`--backend=postgresql` (or OMNITUI_TEST_BACKEND=postgresql) runs the same tests on PostgreSQL:
a throwaway cluster on loopback for the run (tests/pg_cluster.py) and a fresh database per test,
handed to every process the test starts through OMNITUI_DATABASE.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from omnitui.config import Settings, parse_settings
from omnitui.core.agents import AgentRow, add_agent
from omnitui.store.database import Database
from omnitui.store.db import Store
from tests import unix_users
from tests.unix_users import ServerInstall


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend", choices=("sqlite", "postgresql"),
                     default=os.environ.get("OMNITUI_TEST_BACKEND", "sqlite"),
                     help="the store engine the tests run on")


def pytest_report_header(config: pytest.Config) -> str:
    return f"omnitui store backend: {config.getoption('--backend')}"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under `pytest -n N --dist loadgroup`, every test of the README's server install runs in
    the one worker that made it: the install (users, a venv, pip) is done once per run, not once
    per worker.

    The PostgreSQL pass leaves out what would only repeat the SQLite pass: tests that open no
    store (`engine_free`)."""
    on_postgres = config.getoption("--backend") == "postgresql"
    for item in items:
        if "server_install" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("server_install"))
        elif on_postgres and item.get_closest_marker("engine_free"):
            item.add_marker(pytest.mark.skip(reason="opens no store: the SQLite pass runs it"))


@pytest.fixture(scope="session")
def pg_cluster(request: pytest.FixtureRequest) -> Iterator[object | None]:
    if request.config.getoption("--backend") != "postgresql":
        yield None
        return
    yield from _template_cluster()


def _template_cluster() -> Iterator[object]:
    """A throwaway cluster holding the migrated template, stopped when the session ends."""
    from tests.pg_cluster import start_cluster

    cluster = start_cluster()
    try:
        cluster.make_template()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_server(pg_cluster: object | None) -> Iterator[object]:
    """A PostgreSQL cluster whatever the backend, for tests that need one in both passes (a
    SQLite store copied to PostgreSQL): the run's own on PostgreSQL, else one started here."""
    if pg_cluster is not None:
        yield pg_cluster
        return
    yield from _template_cluster()


@pytest.fixture(autouse=True)
def backend_database(pg_cluster: object | None,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[str | None]:
    """On PostgreSQL: this test's own database, already at the newest schema."""
    monkeypatch.delenv("OMNITUI_DATABASE", raising=False)
    if pg_cluster is None:
        yield None
        return
    from tests.pg_cluster import Cluster

    assert isinstance(pg_cluster, Cluster)
    name = pg_cluster.new_database()
    url = pg_cluster.url(name)
    monkeypatch.setenv("OMNITUI_DATABASE", url)
    try:
        yield url
    finally:  # off the test's clock: the next test does not wait for this one's drop
        threading.Thread(target=pg_cluster.drop_database, args=(name,), daemon=True).start()


@pytest.fixture
def another_database(pg_cluster: object | None,
                     tmp_path: Path) -> Iterator[Callable[..., Database]]:
    """`make(name)`: one more store on the run's engine beside the test's own (a second shop):
    a new SQLite file, or a new PostgreSQL database at the newest schema; with `empty=True` a
    database without any schema yet (for an upgrade to start from). Dropped at the end."""
    made: list[str] = []

    def make(name: str, *, empty: bool = False) -> Database:
        if pg_cluster is None:
            return Database.at(tmp_path / f"{name}.db")
        from tests.pg_cluster import Cluster

        assert isinstance(pg_cluster, Cluster)
        if empty:
            db_name = f"e{os.getpid()}_{uuid.uuid4().hex[:12]}"
            with pg_cluster.admin() as conn:
                conn.execute(f"CREATE DATABASE {db_name}")
        else:
            db_name = pg_cluster.new_database()
        made.append(db_name)
        return Database.at(pg_cluster.url(db_name))

    yield make
    if pg_cluster is not None:
        for db_name in made:
            pg_cluster.drop_database(db_name)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's config or acts as the developer's Unix user."""
    monkeypatch.delenv("OMNITUI_CONFIG", raising=False)
    monkeypatch.delenv("OMNITUI_AGENT", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return parse_settings(
        {
            "omnitui": {"data_dir": str(data_dir), "timezone": "UTC"},
            "channels": {"chat": {"kind": "chat"}},
        },
        None,
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    s = Store.open(settings.database)
    yield s
    s.close()


@pytest.fixture
def ann(store: Store) -> AgentRow:
    return add_agent(store, "ann", "Ann Agent")


@pytest.fixture
def bob(store: Store) -> AgentRow:
    return add_agent(store, "bob", "Bob Builder")


@pytest.fixture(scope="session")
def server_install(pg_cluster: object | None) -> ServerInstall:
    """The README's server install, done once per test run and shared by every test (root only).
    On PostgreSQL its config names an empty database of its own, which the install's `omnitui
    init` makes the tables in, as a shop's would (its commands run under a clean environment:
    the per-test OMNITUI_DATABASE never reaches them)."""
    if pg_cluster is None:
        return unix_users.server_install()
    from tests.pg_cluster import Cluster

    assert isinstance(pg_cluster, Cluster)
    return unix_users.server_install(
        database=pg_cluster.empty_database(f"install_{unix_users.SUFFIX}"))
