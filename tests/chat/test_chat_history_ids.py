"""A reconnecting client learns from its history which of its messages are stored (their
`client_id`) and who answered (`agent`), so a lost ack never shows or sends a message twice."""

from __future__ import annotations

from pathlib import Path

from omnitui.core.actions import reply
from omnitui.core.agents import add_agent
from omnitui.store.db import Store
from tests.chat.chathelpers import Raw, wait_until
from tests.chat.conftest import InProcessHub, make_settings


async def test_history_names_client_ids_and_agents(short_dir: Path) -> None:
    settings = make_settings(short_dir)
    store = Store.open(settings.database)
    ann = add_agent(store, "ann", "Ann Kowalska")
    hub = await InProcessHub(settings).start()
    try:
        visitor = await Raw.open(hub.socket)
        await visitor.ask({"type": "hello", "visitor": "v:7"})
        ack = await visitor.ask({"type": "message", "id": "c-1", "text": "Is 4412 shipped?"})
        assert ack == {"type": "ack", "id": "c-1"}
        await visitor.close()
        conv = store.conn.execute("SELECT id FROM conversation").fetchone()[0]
        reply(store, conv, "Yes, today.", ann)
        await wait_until(lambda: store.conn.execute(
            "SELECT count(*) FROM outbox WHERE state = 'queued'").fetchone()[0] == 0)

        again = await Raw.open(hub.socket)
        welcome = await again.ask({"type": "hello", "visitor": "v:7"})
        history = [{k: v for k, v in h.items() if k not in ("id", "at")}
                   for h in welcome["history"]]
        assert history == [
            {"from": "customer", "text": "Is 4412 shipped?", "client_id": "c-1"},
            {"from": "agent", "text": "Yes, today.", "agent": "Ann Kowalska"},
        ]
        await again.close()
    finally:
        await hub.close()
        store.close()
