"""PostgreSQL restarted under a running hub while 30 visitors send: the hub stays up, takes its
lock back, goes on storing and delivering, and after the visitors resend what was not
acknowledged every message is stored once (0 lost, 0 doubled)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from omnitui.config import parse_settings
from omnitui.hub_lock import running_hub
from omnitui.store.db import Store
from tests.backend import database_in
from tests.chat.chathelpers import delivery_state, queue_reply, wait_until
from tests.chat.conftest import HubProcess
from tests.chat.test_chat_faults import Visitor


@pytest.mark.slow
async def test_a_postgresql_restart_while_30_visitors_send(short_dir: Path,
                                                           pg_cluster: object | None) -> None:
    if pg_cluster is None:
        pytest.skip("restarts the PostgreSQL server (the SQLite case is the hub's kill -9)")
    from tests.pg_cluster import Cluster

    assert isinstance(pg_cluster, Cluster)
    hub = await HubProcess(short_dir, rate_limit=100_000).start()
    visitors = [Visitor(f"r{i:02d}") for i in range(30)]
    stop = asyncio.Event()
    settings = parse_settings({"omnitui": {"data_dir": str(short_dir)}}, None)
    database = database_in(short_dir)
    try:
        tasks = [asyncio.create_task(v.chatter(hub.socket, stop)) for v in visitors]
        await wait_until(lambda: sum(len(v.acked) for v in visitors) >= 60, timeout=30)
        await asyncio.to_thread(pg_cluster.restart, down_for=1.0)  # mid-commit, mid-ack
        await asyncio.sleep(2.0)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
        assert hub.proc is not None and hub.proc.poll() is None, "the hub did not survive"

        # The hub holds its lock again (a new session on the restarted server).
        deadline = time.monotonic() + 20
        while (info := running_hub(settings)) is None or info.pid != hub.proc.pid:
            assert time.monotonic() < deadline, "the hub did not take its lock back"
            await asyncio.sleep(0.2)

        acked = {m for v in visitors for m in v.acked}
        sent = {m for v in visitors for m in v.sent}
        store = Store(database)
        try:
            stored = {r[0].split(":", 1)[1] for r in store.conn.execute(
                "SELECT external_id FROM message WHERE kind = 'inbound'")}
            assert acked <= stored  # nothing acknowledged was lost
            # The same hub, never restarted, takes the resent messages and stores each once.
            await asyncio.gather(*(v.resend_all(hub.socket) for v in visitors))
            rows = store.conn.execute(
                "SELECT external_id, count(*) FROM message WHERE kind = 'inbound' "
                "GROUP BY external_id").fetchall()
        finally:
            store.close()
        counts = {r[0].split(":", 1)[1]: r[1] for r in rows}
        assert set(counts) == sent
        assert set(counts.values()) == {1}

        # Delivery works again: the feed and the outbox found the restarted server.
        reply_id = await asyncio.to_thread(queue_reply, database, "r00", "back again")
        await wait_until(lambda: delivery_state(database, reply_id) in ("sent", "delivered"),
                         timeout=20)
        log = (short_dir / "hub.log").read_text()
        assert "hub lock taken again" in log, log  # the hub did feel the restart
        assert "Traceback" not in log
    finally:
        stop.set()
        assert hub.terminate() == 0
