"""A conversation started on the website chat reaches a visitor who is online, through the real
hub and socket; once the visitor has gone it is refused in one sentence and nothing is stored."""

from __future__ import annotations

import asyncio

from omnitui.core.agents import add_agent
from omnitui.core.compose import start_conversation
from omnitui.core.errors import ActionError
from omnitui.hub_lock import running_hub
from omnitui.store.db import Store
from tests.chat.chathelpers import Raw, wait_until
from tests.chat.conftest import InProcessHub

CHANNELS = {"chat": "chat"}


def online(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT visitor FROM chat_presence")]


async def test_chat_start_reaches_the_visitor_online_and_not_one_gone(hub: InProcessHub,
                                                                     db: Store) -> None:
    ann = add_agent(db, "ann", "Ann")
    visitor = await Raw.open(hub.socket)
    await visitor.ask({"type": "hello", "visitor": "v-start", "name": "Liam"})
    await visitor.ask({"type": "message", "id": "1", "text": "just looking"})
    customer = db.conn.execute("SELECT customer_id FROM identity WHERE address = 'v-start'"
                               ).fetchone()[0]
    await wait_until(lambda: online(db) == ["v-start"])
    await visitor.ask({"type": "hello", "visitor": "v-start", "name": "Liam"})  # again
    await asyncio.sleep(0.2)
    marks = db.conn.execute("SELECT count(*) FROM event WHERE kind = 'chat_presence'")
    assert marks.fetchone()[0] == 1  # one arrival, however often the client says hello
    assert running_hub(hub.settings) is not None
    started = await asyncio.to_thread(
        start_conversation, db, ann, f"#{customer}", "Can I help you find a size?",
        channels=CHANNELS, via="chat")
    pushed = await visitor.recv()
    assert pushed["type"] == "message" and pushed["text"] == "Can I help you find a size?"
    assert pushed["id"] == str(started.message_id)
    conv = db.conn.execute("SELECT started_by, channel FROM conversation WHERE id = ?",
                           (started.conversation_id,)).fetchone()
    assert tuple(conv) == (ann.id, "chat")

    await visitor.close()  # the visitor leaves: no longer online, a start is refused
    await wait_until(lambda: online(db) == [])
    count = db.conn.execute("SELECT count(*) FROM message").fetchone()[0]
    try:
        await asyncio.to_thread(start_conversation, db, ann, f"#{customer}", "Still there?",
                                channels=CHANNELS, via="chat")
    except ActionError as exc:
        assert str(exc) == ("Liam is not on the website chat now, and a chat message only "
                            "reaches a visitor who is online.")
    else:
        raise AssertionError("a chat start to a visitor who left was accepted")
    assert db.conn.execute("SELECT count(*) FROM message").fetchone()[0] == count


async def test_a_stopped_hub_leaves_nobody_online(hub: InProcessHub, db: Store) -> None:
    visitor = await Raw.open(hub.socket)
    await visitor.ask({"type": "hello", "visitor": "v-stay"})
    await wait_until(lambda: online(db) == ["v-stay"])
    await hub.close()
    assert online(db) == []
    await visitor.close()
