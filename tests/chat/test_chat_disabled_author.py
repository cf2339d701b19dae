"""A reply whose author is disabled before it leaves never reaches the customer, through the
real hub and a real chat socket; the other agents see why it failed."""

from __future__ import annotations

from pathlib import Path

from omnitui.channels.base import Inbound
from omnitui.core.actions import reply
from omnitui.core.agents import add_agent, set_agent_disabled
from omnitui.core.ingest import ingest
from omnitui.store.db import Store
from tests.chat.chathelpers import Raw, wait_until
from tests.chat.conftest import InProcessHub, make_settings

REASON = "not sent: {} was disabled before it left"


def failure(store: Store, message_id: int) -> tuple[str, str]:
    row = store.conn.execute("SELECT delivery_state, failure_reason FROM message WHERE id = ?",
                             (message_id,)).fetchone()
    return (row[0], row[1])


async def test_disabled_authors_replies_stay_home_and_others_go(short_dir: Path) -> None:
    settings = make_settings(short_dir)
    store = Store.open(settings.database)
    ann, bob, carol = (add_agent(store, name) for name in ("ann", "bob", "carol"))
    conv = ingest(store, Inbound(channel="chat", kind="chat", external_id="v1:1", address="v1",
                                 text="Where is my order?")).conversation_id
    # Both queued while no hub runs (a hub delivers within milliseconds otherwise).
    bobs = reply(store, conv, "bob's reply", bob).message_id
    carols = reply(store, conv, "carol's reply", carol).message_id
    set_agent_disabled(store, "bob")  # the ordinary way: fails bob's queue at once
    store.conn.execute("UPDATE agent SET disabled = 1 WHERE username = 'carol'")  # behind core
    assert failure(store, bobs) == ("failed", REASON.format("bob"))

    hub = await InProcessHub(settings).start()
    try:
        visitor = await Raw.open(hub.socket)
        welcome = await visitor.ask({"type": "hello", "visitor": "v1"})
        assert welcome["type"] == "welcome"
        assert [h["text"] for h in welcome["history"]] == ["Where is my order?"]
        anns = reply(store, conv, "ann's reply", ann).message_id
        pushed = await visitor.recv()
        assert (pushed["type"], pushed["text"]) == ("message", "ann's reply")
        await visitor.nothing_for(0.5)  # neither bob's nor carol's
        await wait_until(lambda: failure(store, carols)[0] == "failed")
        assert failure(store, carols) == ("failed", REASON.format("carol"))
        assert store.conn.execute("SELECT delivery_state FROM message WHERE id = ?",
                                  (anns,)).fetchone()[0] in ("sent", "delivered")
        await visitor.close()
    finally:
        await hub.close()
        store.close()
