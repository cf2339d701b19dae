"""The helper process that reads a PostgreSQL console's first screen while the console loads
(cli/read_ahead.py): the same screen the console would read, nothing written to the terminal,
reaped; and wherever it cannot finish, the console's own way with the same sentence."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from omnitui.channels.base import Inbound
from omnitui.cli.read_ahead import ReadAhead
from omnitui.config import load_settings, parse_settings
from omnitui.core.agents import add_agent
from omnitui.core.ingest import ingest
from omnitui.first_screen import read_first_screen
from omnitui.store.db import Store, StoreError

REFUSED = "postgresql://omnitui@127.0.0.1:1/omnitui"  # (nothing listens on port 1)
HELPER = """
import os, pickle, sys
from pathlib import Path
from omnitui.cli.read_ahead import ReadAhead
from omnitui.config import load_settings
from omnitui.store.db import StoreError
ahead = ReadAhead.start(load_settings(Path(sys.argv[1])), sys.argv[2])
assert ahead is not None
try:
    outcome = ("ready", ahead.result())
except StoreError as exc:
    outcome = ("failed", str(exc))
try:
    os.waitpid(-1, os.WNOHANG)
    reaped = False
except ChildProcessError:
    reaped = True
Path(sys.argv[3]).write_bytes(pickle.dumps((outcome, reaped, "psycopg" in sys.modules)))
"""


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[omnitui]\ndata_dir = "{tmp_path / "data"}"\ntimezone = "UTC"\n\n'
                    '[channels.chat]\nkind = "chat"\n', encoding="utf-8")
    (tmp_path / "data").mkdir()
    return path


def on_postgres_only(backend_database: str | None) -> None:
    if backend_database is None:
        pytest.skip("a console on SQLite reads its first screen itself (no helper)")


def read_ahead(cfg: Path, agent: str, *, url: str | None = None) -> tuple[Any, bool, bool]:
    """In a console-like process of its own: the helper's outcome, whether it was reaped, and
    whether that process loaded the database driver. Asserts it wrote nothing."""
    out = cfg.parent / "outcome.pickle"
    env = dict(os.environ) if url is None else {**os.environ, "OMNITUI_DATABASE": url}
    done = subprocess.run([sys.executable, "-c", HELPER, str(cfg), agent, str(out)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    return pickle.loads(out.read_bytes())  # type: ignore[no-any-return]


def test_a_console_on_sqlite_forks_nothing(cfg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMNITUI_DATABASE", raising=False)
    assert ReadAhead.start(parse_settings({"omnitui": {"data_dir": str(cfg.parent)}}, None),
                           "ann") is None


def test_the_helper_reads_the_screen_the_console_would(cfg: Path,
                                                       backend_database: str | None) -> None:
    on_postgres_only(backend_database)
    settings = load_settings(cfg)
    store = Store.open(settings.database)
    ann = add_agent(store, "ann", "Ann Agent")
    for n in range(3):
        ingest(store, Inbound(channel="chat", kind="chat", external_id=f"m{n}",
                              address=f"visitor-{n}", display_name=f"Visitor {n}",
                              text=f"hello {n}"))
    expected = read_first_screen(store, settings, ann)
    store.close()
    outcome, reaped, driver_loaded = read_ahead(cfg, "ann")
    assert outcome == ("ready", expected)
    assert expected.inbox.count == 3 and len(expected.inbox.page) == 3
    assert reaped
    assert not driver_loaded  # the console itself loads it after its first paint


def test_an_unknown_agent_is_left_to_the_console(cfg: Path,
                                                 backend_database: str | None) -> None:
    """The console then checks the agent itself and says so in its one sentence
    (tests/cli/test_console_start.py runs that on both engines)."""
    on_postgres_only(backend_database)
    Store.open(load_settings(cfg).database).close()
    outcome, reaped, _ = read_ahead(cfg, "nobody")
    assert outcome == ("ready", None) and reaped


def test_a_store_to_upgrade_is_left_to_the_console(cfg: Path, backend_database: str | None,
                                                   empty_database: str | None) -> None:
    """A database `omnitui init` has not filled: the console creates the tables itself; the
    helper never upgrades a schema."""
    on_postgres_only(backend_database)
    outcome, reaped, _ = read_ahead(cfg, "ann", url=empty_database)
    assert outcome == ("ready", None) and reaped
    with pytest.raises(StoreError):  # still empty: nothing ran Alembic
        Store.open(load_settings(cfg).database, migrate=False)


def test_a_server_that_refuses_is_said_as_the_console_says_it(
        cfg: Path, backend_database: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Handed back as the store's own error, so the console does not try the server again."""
    on_postgres_only(backend_database)
    monkeypatch.setenv("OMNITUI_DATABASE", REFUSED)
    with pytest.raises(StoreError) as itself:
        Store.open(load_settings(cfg).database)
    outcome, reaped, _ = read_ahead(cfg, "ann", url=REFUSED)
    assert outcome == ("failed", str(itself.value)) and reaped
