"""A visitor's typing reaches the agents as a `customer_typing` event in their conversation,
at most one every few seconds however often the client says so."""

from __future__ import annotations

import asyncio
from pathlib import Path

from omnitui.store.db import Store
from tests.chat.chathelpers import Raw
from tests.chat.conftest import InProcessHub, make_settings


def typing_events(store: Store) -> list[int]:
    return [r[0] for r in store.conn.execute(
        "SELECT conversation_id FROM event WHERE kind = 'customer_typing' ORDER BY id")]


async def test_typing_frames_become_few_events(short_dir: Path) -> None:
    settings = make_settings(short_dir)
    store = Store.open(settings.database)
    hub = await InProcessHub(settings).start()
    try:
        visitor = await Raw.open(hub.socket)
        await visitor.ask({"type": "hello", "visitor": "v-typing"})
        await visitor.send({"type": "typing"})  # no conversation yet: nothing to tell
        await asyncio.sleep(0.3)
        assert typing_events(store) == []
        await visitor.ask({"type": "message", "id": "1", "text": "hello"})
        conv = store.conn.execute("SELECT id FROM conversation").fetchone()[0]
        await asyncio.sleep(3.1)  # past the pause after the refused first one
        for _ in range(30):  # a frame per key, as a widget may send
            await visitor.send({"type": "typing"})
        await asyncio.sleep(0.5)
        assert typing_events(store) == [conv]
        await visitor.nothing_for(0.2)  # typing is never answered
        await visitor.close()
    finally:
        await hub.close()
        store.close()
