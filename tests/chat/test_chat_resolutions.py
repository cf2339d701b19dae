"""Resolved → `rate_request`, now that the watcher sleeps on the change feed instead of polling
it: prompt once the undo window has passed, and not lost when the feed shows a message before
the channel learned whose it is (the wake comes at the commit, a few loop turns before the
channel hears of it)."""

from __future__ import annotations

import asyncio
import contextlib
import time

from omnitui.channels.base import Inbound
from omnitui.channels.chat.resolutions import ResolutionWatcher
from omnitui.core.actions import resolve
from omnitui.core.agents import AgentRow
from omnitui.core.ingest import ingest
from omnitui.core.resolve_settle import settle_resolutions
from omnitui.core.undo import UNDO_WINDOW
from omnitui.store.db import Store
from tests.chat.chathelpers import Raw, resolve_conversation
from tests.chat.conftest import QUICK_UNDO_WINDOW, InProcessHub


async def test_rate_request_follows_the_resolution_promptly(quick_undo_hub: InProcessHub) -> None:
    hub = quick_undo_hub
    for n in range(5):  # no pause between message and resolution: the race, five times
        visitor = f"prompt-{n}"
        c = await Raw.open(hub.socket)
        await c.ask({"type": "hello", "visitor": visitor})
        assert await c.ask({"type": "message", "id": "1", "text": "fixed, thanks"}) == {
            "type": "ack", "id": "1"}
        conv = await asyncio.to_thread(resolve_conversation, hub.settings.database, visitor)
        resolved = time.monotonic()
        assert await c.recv(timeout=2.0) == {"type": "rate_request", "conversation": str(conv)}
        waited = time.monotonic() - resolved
        assert QUICK_UNDO_WINDOW - 0.05 < waited < QUICK_UNDO_WINDOW + 0.5
        await c.close()


def chat(ext: str, visitor: str) -> Inbound:
    return Inbound(channel="chat", kind="chat", external_id=ext, address=visitor, text="hi")


async def wait_for(predicate: object, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_feed_before_the_channel_learns_the_message(store: Store, ann: AgentRow) -> None:
    notified: list[tuple[str, int]] = []
    watcher = ResolutionWatcher(store.database, lambda v, c: notified.append((v, c)))
    running = asyncio.create_task(watcher.run())
    try:
        await asyncio.sleep(0.2)  # the watcher's feed is open
        first = ingest(store, chat("late:1", "late"))
        # the watcher reads the message_in event before the channel says whose message it is
        await wait_for(lambda: first.message_id in watcher._unclaimed)
        watcher.learned_message(first.message_id, "late")
        resolve(store, first.conversation_id, ann)
        await asyncio.sleep(0.2)
        assert notified == []  # the resolve is not final yet
        settle_resolutions(store, time.time() + UNDO_WINDOW + 1, UNDO_WINDOW)
        await wait_for(lambda: notified)
        assert notified == [("late", first.conversation_id)]
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
