"""A visitor who types somebody else's email address sees only their own chat, never that
customer's mail."""

from __future__ import annotations

from omnitui.channels.base import Inbound
from omnitui.core.ingest import ingest
from omnitui.store.db import Store

from .chathelpers import Raw
from .conftest import InProcessHub


async def test_welcome_history_is_only_this_chat_identity(hub: InProcessHub, db: Store) -> None:
    ingest(db, Inbound(channel="mail", kind="email", external_id="m1",
                       address="alice@shop.example", text="My card ends in 4242"))
    raw = await Raw.open(hub.socket)
    try:
        welcome = await raw.ask({"type": "hello", "visitor": "mallory",
                                 "email": "alice@shop.example"})
        assert welcome["type"] == "welcome" and welcome["history"] == []
        ack = await raw.ask({"type": "message", "id": "1", "text": "hi, it's me"})
        assert ack["type"] == "ack"
    finally:
        await raw.close()
    raw = await Raw.open(hub.socket)
    try:
        welcome = await raw.ask({"type": "hello", "visitor": "mallory"})
        texts = [h["text"] for h in welcome["history"]]
        assert texts == ["hi, it's me"]
    finally:
        await raw.close()
