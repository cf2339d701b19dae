"""After-hours chat (issue 7): the `offline` line asks for an email address when none is known,
and an address typed into a chat message makes the customer reachable by email — through the
real hub, a real Unix socket and a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from omnitui.channels.base import Inbound
from omnitui.channels.chat.presence import find_email, offline_text
from omnitui.config import ChatSettings
from omnitui.core.ingest import ingest_batch
from omnitui.store.database import Database
from omnitui.store.db import Store
from tests.chat.chathelpers import Raw
from tests.chat.conftest import InProcessHub, make_settings

AWAY = "Back tomorrow."
ASK = "What is your email address?"


def closed_hours() -> dict[str, str]:
    """Open one minute tomorrow only: the hub is outside business hours now."""
    tomorrow = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[
        (datetime.now(UTC) + timedelta(days=1)).weekday()]
    return {tomorrow: "00:00-00:01"}


@pytest.fixture
async def night_hub(short_dir: Path) -> AsyncIterator[InProcessHub]:
    settings = make_settings(short_dir, hours=closed_hours(), offline_text=AWAY,
                             offline_ask_email_text=ASK)
    running = await InProcessHub(settings).start()
    yield running
    await running.close()


def email_identities(database: Database, visitor: str) -> list[str]:
    store = Store(database)
    try:
        return [r[0] for r in store.conn.execute(
            "SELECT e.address FROM identity i JOIN identity e ON e.customer_id = i.customer_id "
            "WHERE i.kind = 'chat' AND i.address = ? AND e.kind = 'email' ORDER BY e.id",
            (visitor,))]
    finally:
        store.close()


async def offline_line(hub: InProcessHub, hello: dict[str, str]) -> str:
    c = await Raw.open(hub.socket)
    try:
        welcome = await c.ask({"type": "hello", **hello})
        assert welcome["type"] == "welcome" and welcome["online"] is False
        line = await c.recv()
        assert line["type"] == "offline"
        return str(line["text"])
    finally:
        await c.close()


@pytest.mark.parametrize(("text", "found"), [
    ("it's Olga@Example.org, thanks", "olga@example.org"),
    ("mail me: a.b+c@mail.shop.co.uk.", "a.b+c@mail.shop.co.uk"),
    ("no address here", None),
    ("twitter @olga", None),
    ("user@localhost", None),
])
def test_find_email(text: str, found: str | None) -> None:
    assert find_email(text) == found


def test_offline_text_asks_only_when_no_email_is_known() -> None:
    cfg = ChatSettings(kind="chat", offline_text=AWAY, offline_ask_email_text=ASK)
    assert offline_text(cfg, email_known=False) == f"{AWAY} {ASK}"
    assert offline_text(cfg, email_known=True) == AWAY
    silent = ChatSettings(kind="chat", offline_text=AWAY, offline_ask_email_text="")
    assert offline_text(silent, email_known=False) == AWAY


async def test_offline_asks_for_email_then_a_typed_address_is_linked(
        night_hub: InProcessHub) -> None:
    assert await offline_line(night_hub, {"visitor": "v1"}) == f"{AWAY} {ASK}"
    c = await Raw.open(night_hub.socket)
    await c.ask({"type": "hello", "visitor": "v1"})
    await c.recv()  # offline
    ack = await c.ask({"type": "message", "id": "1", "text": "Sure, it is Olga@Example.org."})
    assert ack == {"type": "ack", "id": "1"}
    assert email_identities(night_hub.settings.database, "v1") == ["olga@example.org"]
    # A second address in a later message does not replace the first.
    await c.ask({"type": "message", "id": "2", "text": "or olga@work.example"})
    assert email_identities(night_hub.settings.database, "v1") == ["olga@example.org"]
    await c.close()
    # Known now: the next visit is not asked again.
    assert await offline_line(night_hub, {"visitor": "v1"}) == AWAY


async def test_no_ask_when_hello_gives_an_email(night_hub: InProcessHub) -> None:
    assert await offline_line(night_hub, {"visitor": "v2", "email": "v2@example.org"}) == AWAY


async def test_typed_address_of_another_customer_is_not_merged(night_hub: InProcessHub) -> None:
    store = Store(night_hub.settings.database)
    try:
        ingest_batch(store, [Inbound(channel="mail", kind="email", external_id="e1",
                                     address="boss@example.org", text="private matter")])
    finally:
        store.close()
    c = await Raw.open(night_hub.socket)
    await c.ask({"type": "hello", "visitor": "intruder"})
    await c.recv()
    await c.ask({"type": "message", "id": "1", "text": "I am boss@example.org, show me"})
    await c.close()
    store = Store(night_hub.settings.database)
    try:
        customers = store.conn.execute(
            "SELECT i.kind, i.customer_id, c.merged_into, c.email FROM identity i "
            "JOIN customer c ON c.id = i.customer_id ORDER BY i.id").fetchall()
        convs = store.conn.execute("SELECT count(DISTINCT conversation_id) FROM message "
                                   "WHERE kind = 'inbound'").fetchone()[0]
    finally:
        store.close()
    (_, boss, boss_merged, _), (_, intruder, intruder_merged, intruder_email) = customers
    assert boss != intruder and boss_merged is None and intruder_merged is None
    assert intruder_email is None and convs == 2
    assert email_identities(night_hub.settings.database, "intruder") == []
