"""Four agents acting and one channel ingesting at full speed: no "database is locked", nothing
missing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from omnitui.core.agents import add_agent
from omnitui.store.db import Store

WORKER = Path(__file__).with_name("concurrency_worker.py")
SECONDS = 10


def test_four_agents_and_an_ingester_for_ten_seconds(store: Store) -> None:
    agents = ["a1", "a2", "a3", "a4"]
    for name in agents:
        add_agent(store, name)
    where = store.database.url or str(store.database.path)
    procs = [subprocess.Popen([sys.executable, str(WORKER), where, role, str(SECONDS)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for role in ["ingest", *agents]]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=SECONDS + 60)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    for result in results:
        assert result["error_count"] == 0, result["errors"]
    ingested = next(r for r in results if r["role"] == "ingest")["done"]
    assert len(ingested) > 500
    stored = {r[0] for r in store.conn.execute(
        "SELECT external_id FROM message WHERE kind = 'inbound'")}
    assert stored == set(ingested)
    texts = {r[0] for r in store.conn.execute(
        "SELECT text FROM message WHERE kind IN ('note', 'outbound')")}
    for result in results:
        if result["role"] != "ingest":
            assert result["done"], f"{result['role']} never got to act"
            assert set(result["done"]) <= texts
    outbox = store.conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
    replies = store.conn.execute("SELECT count(*) FROM message WHERE kind = 'outbound'").fetchone()
    assert outbox == replies[0]
    if not store.database.is_postgres:  # (PostgreSQL has no whole-file check to ask for)
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
