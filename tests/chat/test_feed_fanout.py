"""One follower of the change feed per hub: the chat channel and the service levels listen to
the hub's follower (`FeedFanout`) instead of each opening and polling a feed of their own."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from omnitui.channels.base import Inbound
from omnitui.core.feed import Event, Feed, FeedFanout
from omnitui.core.ingest import ingest
from omnitui.hub import build_channels, serve
from omnitui.store.database import Database
from omnitui.store.db import Store

from .conftest import make_settings, wait_for_socket


def event(n: int) -> Event:
    return Event(n, 0.0, "test", "message_in", n, None, n, {})


async def test_every_listener_gets_every_batch_in_order() -> None:
    fanout = FeedFanout()
    first, second = fanout.subscribe(), fanout.subscribe()
    async with contextlib.aclosing(first), contextlib.aclosing(second):
        waiting = [asyncio.ensure_future(anext(first)), asyncio.ensure_future(anext(second))]
        await asyncio.sleep(0)  # both listeners are at their first step
        fanout.publish([event(1), event(2)])
        assert [[e.id for e in await w] for w in waiting] == [[1, 2], [1, 2]]
        fanout.publish([event(3)])  # the second listener is busy meanwhile: joined for it
        fanout.publish([event(4)])
        assert [e.id for e in await anext(first)] == [3, 4]
        assert [e.id for e in await anext(second)] == [3, 4]
    fanout.publish([event(5)])  # nobody listens any more: nothing is kept for anybody
    assert not fanout._queues


async def test_a_hub_with_a_chat_channel_follows_the_feed_once(
        short_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Database] = []
    real_init = Feed.__init__

    def counting(self: Feed, where: Database, **kwargs: object) -> None:
        opened.append(Database.at(where))
        real_init(self, where, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Feed, "__init__", counting)
    settings = make_settings(short_dir)
    channels = build_channels(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, install_signals=False, channels=channels,
                                     stop=stop))
    try:
        await wait_for_socket(settings.channel_path("chat.sock"), task)
        await asyncio.sleep(0.3)
        assert opened == [settings.database]
        store = Store.open(settings.database)
        try:  # the channel still hears of each commit (what its rating requests rely on)
            stored = ingest(store, Inbound(channel="chat", kind="chat", external_id="v9:1",
                                           address="v9", text="hi"))
        finally:
            store.close()
        watcher = channels["chat"].resolutions  # type: ignore[attr-defined]
        for _ in range(150):
            if stored.message_id in watcher._unclaimed:
                break
            await asyncio.sleep(0.02)
        assert watcher._unclaimed.get(stored.message_id) == stored.conversation_id
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
    assert opened == [settings.database]
