"""Shared fixtures: real SQLite files in temp dirs; no test reads the machine's config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from omnitui.config import Settings, parse_settings
from omnitui.core.agents import AgentRow, add_agent
from omnitui.store.db import Store
from tests import unix_users
from tests.unix_users import ServerInstall


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
    s = Store.open(settings.db_path)
    yield s
    s.close()


@pytest.fixture
def ann(store: Store) -> AgentRow:
    return add_agent(store, "ann", "Ann Agent")


@pytest.fixture
def bob(store: Store) -> AgentRow:
    return add_agent(store, "bob", "Bob Builder")


@pytest.fixture(scope="session")
def server_install() -> ServerInstall:
    """The README's server install, done once per test run and shared by every test (root only)."""
    return unix_users.server_install()
