"""The real hub and chat socket: a resolve's `rate_request` leaves only once the undo window has
passed, and an undone (or meanwhile reopened) resolve sends the visitor nothing at all."""

from __future__ import annotations

import asyncio
import time

from omnitui.core.actions import reopen, resolve
from omnitui.core.undo import undo
from omnitui.store.database import Database
from omnitui.store.db import Store
from tests.chat.chathelpers import Raw, agent, conversation_of
from tests.chat.conftest import QUICK_UNDO_WINDOW, InProcessHub


def act(database: Database, visitor: str, *steps: str) -> int:
    """What consoles do, on their own connection: "resolve", "undo" (the last action, by its
    agent) or "reopen-by-bob", in order; returns the conversation id."""
    store = Store(database)
    try:
        conv = conversation_of(store, visitor)
        ann, bob = agent(store, "ann"), agent(store, "bob")
        last = 0
        for step in steps:
            if step == "resolve":
                last = resolve(store, conv, ann)
            elif step == "undo":
                undo(store, last, ann)
            elif step == "reopen-by-bob":
                reopen(store, conv, bob)
        return conv
    finally:
        store.close()


def settled(database: Database, conv: int) -> int:
    store = Store(database)
    try:
        return int(store.conn.execute("SELECT count(*) FROM event WHERE kind = "
                                      "'resolve_settled' AND conversation_id = ?",
                                      (conv,)).fetchone()[0])
    finally:
        store.close()


async def visitor_says(hub: InProcessHub, visitor: str) -> Raw:
    c = await Raw.open(hub.socket)
    await c.ask({"type": "hello", "visitor": visitor})
    assert await c.ask({"type": "message", "id": "1", "text": "thanks, that was all"}) == {
        "type": "ack", "id": "1"}
    await asyncio.sleep(0.2)  # the channel learns the conversation from the change feed
    return c


async def test_rate_request_only_after_the_window(quick_undo_hub: InProcessHub) -> None:
    c = await visitor_says(quick_undo_hub, "patient")
    conv = await asyncio.to_thread(act, quick_undo_hub.settings.database, "patient", "resolve")
    resolved = time.monotonic()
    await c.nothing_for(QUICK_UNDO_WINDOW - 0.1)
    assert await c.recv(timeout=2.0) == {"type": "rate_request", "conversation": str(conv)}
    assert time.monotonic() - resolved >= QUICK_UNDO_WINDOW
    await c.nothing_for(QUICK_UNDO_WINDOW + 0.5)  # once
    await c.close()


async def test_an_undone_resolve_sends_nothing(quick_undo_hub: InProcessHub) -> None:
    database = quick_undo_hub.settings.database
    c = await visitor_says(quick_undo_hub, "oops")
    conv = await asyncio.to_thread(act, database, "oops", "resolve", "undo")
    await c.nothing_for(QUICK_UNDO_WINDOW * 3 + 0.5)
    assert await asyncio.to_thread(settled, database, conv) == 0
    # Reopened by a colleague inside the window: nothing either.
    await asyncio.to_thread(act, database, "oops", "resolve", "reopen-by-bob")
    await c.nothing_for(QUICK_UNDO_WINDOW * 3 + 0.5)
    assert await asyncio.to_thread(settled, database, conv) == 0
    # Resolved and left alone: now the visitor is asked, once.
    await asyncio.to_thread(act, database, "oops", "resolve")
    assert await c.recv(timeout=3.0) == {"type": "rate_request", "conversation": str(conv)}
    assert await asyncio.to_thread(settled, database, conv) == 1
    await c.close()
