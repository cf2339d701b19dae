"""The console's feed opens on its own thread after the first paint; what is stored while it
opens still reaches the screen, and a console closed meanwhile leaves no feed open."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

import omnitui.tui.app as console_app
from omnitui.channels.base import Inbound
from omnitui.config import Settings
from omnitui.core.ingest import ingest
from omnitui.store.db import Store
from omnitui.tui.app import make_app
from omnitui.tui.widgets.inbox_list import InboxList


def hold_feed_opening(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event,
                                                                 list[Any]]:
    """(opening, go, opened): the console's feed waits at its opening until `go` is set."""
    opening, go = threading.Event(), threading.Event()
    opened: list[Any] = []
    real = console_app.Feed

    def held(*args: Any, **kwargs: Any) -> Any:
        opening.set()
        go.wait(15)
        feed = real(*args, **kwargs)
        opened.append(feed)
        return feed

    monkeypatch.setattr(console_app, "Feed", held)
    return opening, go, opened


async def until(condition: Any, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return bool(condition())


async def test_a_message_stored_while_the_feed_opens_reaches_the_inbox(
        shop: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    opening, go, _ = hold_feed_opening(monkeypatch)
    app = make_app(shop, "anna", clock=time.time)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        inbox = app.screen.query_one(InboxList)
        shown = inbox.count
        assert await until(opening.is_set), "the feed was never opened"
        writer = Store(shop.database)
        try:
            ingest(writer, Inbound(channel="chat", kind="chat", external_id="late:1",
                                   address="late-visitor", text="Is anyone there?"))
        finally:
            writer.close()
        go.set()
        assert await until(lambda: inbox.count == shown + 1), (
            f"the message stored while the feed opened never showed ({inbox.count} rows)")


async def test_a_console_closed_while_its_feed_opens_leaves_it_closed(
        shop: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    opening, go, opened = hold_feed_opening(monkeypatch)
    app = make_app(shop, "anna", clock=time.time)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert await until(opening.is_set)
        threading.Timer(0.3, go.set).start()  # the feed opens while the console closes
    thread = app._feed_thread
    assert thread is not None
    thread.join(15)
    assert not thread.is_alive()
    assert app.feed is None
    assert len(opened) == 1 and _closed(opened[0])


def _closed(feed: Any) -> bool:
    """The feed's connection refuses work once closed (sqlite3 and psycopg alike)."""
    try:
        feed._conn.execute("SELECT 1")
    except Exception:
        return True
    return False
