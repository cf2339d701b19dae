"""The console's own hub starts after the inbox is drawn, and never outlives the console."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from omnitui.config import Settings
from omnitui.hub_lock import running_hub
from omnitui.tui.app import make_app
from omnitui.tui.widgets.inbox_list import InboxList


def _hub_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("omnitui-hub")]


async def test_the_hub_starts_behind_the_painted_inbox_and_stops_with_the_console(
        shop: Settings) -> None:
    app = make_app(shop, "anna", start_hub=True, clock=lambda: time.time())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(InboxList).count == 4  # drawn, hub or not
        deadline = time.monotonic() + 15
        while app.hub is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert app.hub is not None, "the embedded hub never started"
        holder = running_hub(shop)
        assert holder is not None and holder.pid == os.getpid() and holder.embedded
        assert shop.channel_path("chat.sock").exists()
    assert running_hub(shop) is None
    assert not shop.channel_path("chat.sock").exists()
    assert _hub_threads() == []


async def test_a_console_closed_while_its_hub_starts_leaves_no_hub(
        shop: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub's start is held until the console is closing: the close waits for it and stops
    it, so no hub outlives the console that started it."""
    import omnitui.hub

    held = threading.Event()
    real_start = omnitui.hub.start_embedded_hub

    def held_start(settings: Settings) -> object:
        held.wait(10)
        return real_start(settings)

    monkeypatch.setattr(omnitui.hub, "start_embedded_hub", held_start)
    app = make_app(shop, "anna", start_hub=True, clock=lambda: time.time())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        deadline = time.monotonic() + 15
        while "omnitui-hub-start" not in _hub_threads() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert "omnitui-hub-start" in _hub_threads()
        threading.Timer(0.3, held.set).start()  # the hub goes on while the console closes
    assert app.hub is None
    assert running_hub(shop) is None
    assert not shop.channel_path("chat.sock").exists()
    assert _hub_threads() == []
