"""The demo's live chat customer speaks the real protocol to a real hub and answers replies."""

from __future__ import annotations

import time
from pathlib import Path

from omnitui.core import actions
from omnitui.core.agents import get_agent
from omnitui.demo_customer import FOLLOW_UPS, OPENING, LiveCustomer
from omnitui.hub import start_embedded_hub
from omnitui.store.db import Store
from omnitui.tui.demo import build_demo


def wait_for(predicate, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_live_customer_writes_and_answers(tmp_path: Path) -> None:
    settings = build_demo(tmp_path / "shop")
    hub = start_embedded_hub(settings)
    assert hub is not None
    customer = LiveCustomer(settings.channel_path("chat.sock"), first_delay=0.1,
                            answer_delay=0.1).start()
    store = Store.open(settings.database)
    try:
        def texts() -> list[str]:
            return [r[0] for r in store.conn.execute(
                "SELECT m.text FROM message m JOIN identity i ON i.id = m.identity_id "
                "WHERE i.address = 'demo-live-visitor' AND m.kind = 'inbound' ORDER BY m.id")]

        wait_for(lambda: texts() == [OPENING])
        conv = store.conn.execute(
            "SELECT conversation_id FROM message WHERE text = ?", (OPENING,)).fetchone()[0]
        queued = actions.reply(store, conv, "It shipped yesterday.", get_agent(store, "anna"))
        wait_for(lambda: texts() == [OPENING, FOLLOW_UPS[0]])
        state = store.conn.execute("SELECT delivery_state FROM message WHERE id = ?",
                                   (queued.message_id,)).fetchone()[0]
        assert state == "delivered"
    finally:
        customer.stop()
        hub.stop()
        store.close()
