"""Console fixtures: a deterministic demo shop (fixed clock) copied fresh for every test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from omnitui.channels.base import Inbound
from omnitui.config import Settings, load_settings
from omnitui.core.ingest import ingest
from omnitui.store.db import Store
from omnitui.tui.app import OmniConsole, make_app
from omnitui.tui.demo import DemoClock, build_demo, write_config

from .store_copies import StoreTemplate, copy_template, drop_template, make_template
from .tmux import Tmux

if TYPE_CHECKING:
    from tests.pg_cluster import Cluster

NOW = 1_750_000_000.0  # 2025-06-15 15:06:40 UTC
HOSTILE_NAME = "[@click=app.quit]Mallory\u202eevil[/]"
HOSTILE_SUBJECT = "[link=http://x]free[/link] \x1b]52;c;aGVsbG8=\x07 refund"
HOSTILE_BODY = ("\x1b[2J[bold]not bold[/bold] \x1b]8;;http://evil.example\x1b\\click me"
                "\x1b]8;;\x1b\\ [@click=app.quit]quit[/] \u202eexe.txt")


def add_hostile(store: Store) -> int:
    """A customer whose every field tries to drive the terminal or inject markup."""
    res = ingest(store, Inbound(channel="mail", kind="email", external_id="hostile-1",
                                address="mallory@example.com", display_name=HOSTILE_NAME,
                                subject=HOSTILE_SUBJECT, text=HOSTILE_BODY))
    return res.conversation_id


@pytest.fixture(autouse=True)
def plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """No terminal of the machine running the tests leaks in: `[console] bidi = "auto"` then
    means the console reorders right-to-left text itself, as on most terminals."""
    for name in ("VTE_VERSION", "MLTERM", "KONSOLE_VERSION"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory,
                  pg_cluster: Cluster | None) -> Iterator[StoreTemplate]:
    template = make_template(tmp_path_factory.mktemp("demo-template"), "demo", pg_cluster)
    build_demo(template.path, now=NOW - 60, database=template.database)
    clock = DemoClock(NOW - 30)
    store = Store.open(template.database, clock=clock)
    add_hostile(store)
    store.close()
    yield template
    drop_template(template, pg_cluster)


@pytest.fixture
def shop(demo_template: StoreTemplate, tmp_path: Path, pg_cluster: Cluster | None,
         backend_database: str | None) -> Settings:
    """A fresh copy of the demo shop for one test."""
    data = tmp_path / "shop"
    data.mkdir()
    copy_template(demo_template, data, pg_cluster, backend_database)
    return load_settings(write_config(data))


@pytest.fixture
def fixed_clock() -> Callable[[], float]:
    return lambda: NOW


@pytest.fixture
def console(shop: Settings, fixed_clock: Callable[[], float]) -> OmniConsole:
    return make_app(shop, "anna", clock=fixed_clock)


def store_of(app: OmniConsole) -> Store:
    return app.store


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    """A tmux server of this test's own, killed (as a dropped terminal) at its end."""
    t = Tmux()
    yield t
    t.kill()
