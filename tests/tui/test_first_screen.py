"""A console handed its first screen read ahead (cli/read_ahead.py) draws exactly what it would
have read itself, reads nothing of it again, and reads everything after that itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from omnitui.config import Settings
from omnitui.core.agents import get_agent
from omnitui.first_screen import FirstScreen, read_first_screen
from omnitui.store.database import Database
from omnitui.store.db import Store
from omnitui.tui.app import OmniConsole, make_app
from tests.backend import on_postgres

from .screen_text import screen_text

SIZE = (100, 30)


def read_ahead(shop: Settings, agent: str = "anna") -> FirstScreen:
    store = Store.open(shop.database)
    try:
        return read_first_screen(store, shop, get_agent(store, agent))
    finally:
        store.close()


def unreachable(tmp_path: Path) -> Store:
    """A store any read of which fails: a file in a directory that does not exist, or a server
    port nobody listens on. A console on it shows only what it was handed."""
    if on_postgres():
        return Store(Database.at("postgresql://omnitui@127.0.0.1:1/omnitui"))
    return Store(Database.at(tmp_path / "missing" / "omnitui.db"))


async def first_paint(app: OmniConsole) -> tuple[str, int]:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        return screen_text(app), len(app._notifications)


async def test_the_read_ahead_screen_is_the_screen_the_console_reads_itself(
        shop: Settings, fixed_clock: Callable[[], float], tmp_path: Path) -> None:
    """The same inbox, header counts, suggestion marks and status line, with no read of its own:
    its store cannot answer, and nothing says so."""
    itself, _ = await first_paint(make_app(shop, "anna", clock=fixed_clock, feed_interval=None))
    handed = OmniConsole(shop, "anna", clock=fixed_clock, feed_interval=None,
                         store=unreachable(tmp_path), first_screen=read_ahead(shop))
    drawn, toasts = await first_paint(handed)
    assert drawn == itself
    assert "Emma" in drawn and "Needs reply" in drawn
    assert toasts == 0


async def test_each_part_is_handed_out_once_then_the_store_is_read(
        shop: Settings, fixed_clock: Callable[[], float]) -> None:
    """What changes after the read-ahead shows: a view chosen again, and the conversation
    screen's own status line, are read from the store, not from what was handed over."""
    first = read_ahead(shop)
    app = OmniConsole(shop, "anna", clock=fixed_clock, first_screen=first)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert {app.first_read(part) for part in ("inbox", "header_counts", "hub_status",
                                                  "newest_event")} == {None}
        with app.store.write() as tx:
            tx.conn.execute("UPDATE conversation SET waiting_since = NULL")  # nobody waits
            tx.conn.execute("INSERT INTO channel_state (channel, kind, state, detail, "
                            "last_error, updated_at) VALUES ('chat', 'chat', 'retrying', "
                            "'in 30 s', NULL, 0)")
        await pilot.press("4")  # All: its rows and the header's counts are read now
        await pilot.pause()
        drawn = screen_text(app)
        assert f" 1  Needs reply {first.header_counts[0]}" not in drawn
        assert " 1  Needs reply 0 " in drawn
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert "chat retrying in 30 s" in screen_text(app)
