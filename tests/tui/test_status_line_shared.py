"""The status line of a shared install whose service hub is down: since when, and that replies
wait (the console there never starts a hub of its own)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from datetime import datetime

from omnitui.config import Settings
from omnitui.hub_lock import HubLock
from omnitui.store.db import Store
from omnitui.tui.app import make_app

from .conftest import NOW
from .screen_text import screen_text


async def test_hub_down_says_since_when_and_that_replies_are_queued(
        shop: Settings, fixed_clock: Callable[[], float]) -> None:
    shared = dataclasses.replace(shop, shared=True)
    stopped = NOW - 3600
    # A stopping hub logs (its host's hub.log) and marks its channels stopped (in the store,
    # which is what a console on another host sees on PostgreSQL).
    shared.log_path.write_text("… hub stopping\n")
    os.utime(shared.log_path, (stopped, stopped))
    store = Store.open(shared.database)
    try:
        with store.write() as tx:
            tx.execute("DELETE FROM channel_state")
            tx.execute("INSERT INTO channel_state (channel, kind, state, updated_at) "
                       "VALUES ('chat', 'chat', 'stopped', ?)", (stopped,))
    finally:
        store.close()
    console = make_app(shared, "anna", clock=fixed_clock)
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(console)
        since = datetime.fromtimestamp(stopped, console.tz).strftime("%H:%M")
        assert f"hub not running since {since}: replies are queued" in text
        assert "chat up" not in text


async def test_a_running_hub_shows_the_channels_instead(
        shop: Settings, fixed_clock: Callable[[], float]) -> None:
    shared = dataclasses.replace(shop, shared=True)
    lock = HubLock.of(shared)
    lock.acquire()
    try:
        console = make_app(shared, "anna", clock=fixed_clock)
        async with console.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            text = screen_text(console)
            assert "hub not running" not in text
            assert "outbox" in text
    finally:
        lock.release()


async def test_a_channel_taken_out_of_the_config_is_not_shown_as_the_shops(
        shop: Settings, fixed_clock: Callable[[], float]) -> None:
    """Its last row stays in the store; the status line shows only the configured channels,
    and F2 lists the old one as what it is."""
    store = Store.open(shop.database)
    try:
        with store.write() as tx:
            tx.execute("DELETE FROM channel_state")
            tx.execute("INSERT INTO channel_state (channel, kind, state, detail, updated_at) "
                       "VALUES ('oldmail', 'email', 'starting', 'connecting', ?)", (NOW - 86400,))
    finally:
        store.close()
    assert "oldmail" not in shop.channels
    console = make_app(shop, "anna", clock=fixed_clock)
    async with console.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        text = screen_text(console)
        assert "oldmail" not in text and "starting" not in text
        assert "chat stopped no hub" in text  # the configured one, never reported
        await pilot.press("f2")
        await pilot.pause()
        text = screen_text(console)
        assert "oldmail (email): not in this config; its last report was starting" in text
