"""A store that cannot be reached, or goes away mid-work: `omnitui serve` says so in one
sentence naming the server; the hub's parts start again with backoff; the change feed finds the
restarted server by itself."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from omnitui import hub_faults
from omnitui.core.feed import follow_events
from omnitui.store.db import Store


@pytest.fixture
def cluster(pg_cluster: object | None) -> object:
    if pg_cluster is None:
        pytest.skip("a database server that refuses or restarts: PostgreSQL only")
    return pg_cluster


def serve_with(url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.toml"
    config.write_text(f'[omnitui]\ndata_dir = "{tmp_path / "data"}"\n')
    (tmp_path / "data").mkdir(exist_ok=True)
    env = {**os.environ, "OMNITUI_CONFIG": str(config), "OMNITUI_DATABASE": url}
    return subprocess.run([sys.executable, "-m", "omnitui", "serve"], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("where", "says"), [
    ("nobody@127.0.0.1:{port}/postgres", "refused the login: there is no role 'nobody'"),
    ("{user}@127.0.0.1:{port}/no_such_shop", "There is no database 'no_such_shop' on the"),
    ("{user}@127.0.0.1:{dead}/postgres", "Nothing answers at"),
])
def test_serve_cannot_reach_the_database_in_one_sentence(
        cluster: object, tmp_path: Path, where: str, says: str) -> None:
    from tests.pg_cluster import Cluster, _free_port

    assert isinstance(cluster, Cluster)
    dead = _free_port()
    url = "postgresql://" + where.format(user=cluster.user, port=cluster.port, dead=dead)
    done = serve_with(url, tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    server = f"127.0.0.1:{dead if '{dead}' in where else cluster.port}"  # named, as the fix
    assert lines[0].startswith("Error: ") and server in lines[0] and says in lines[0], lines
    assert "Traceback" not in done.stderr


async def test_a_failing_part_starts_again_and_names_the_server(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(hub_faults, "RETRY_MIN", 0.01)
    runs: list[int] = []

    async def outbox() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise sqlite3_error("server closed the connection unexpectedly")

    log = logging.getLogger("test.hub_faults")
    with caplog.at_level(logging.WARNING, logger="test.hub_faults"):
        await asyncio.wait_for(hub_faults.keep_running("outbox", outbox, log,
                                                       "postgresql://shop@db:5432/shop"), 5)
    assert len(runs) == 3
    assert [r.getMessage() for r in caplog.records] == [
        "outbox: the database postgresql://shop@db:5432/shop did not answer (server closed "
        f"the connection unexpectedly); starting again in {d} s" for d in ("0", "0")]


async def test_what_was_sent_is_recorded_once_the_store_answers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub_faults, "RETRY_MIN", 0.01)
    tries: list[int] = []

    async def mark_sent() -> str:
        tries.append(1)
        if len(tries) < 4:
            raise sqlite3_error("the connection is lost")
        return "sent"

    assert await asyncio.wait_for(hub_faults.until_recorded(
        mark_sent, logging.getLogger("test.hub_faults"), "reply 7"), 5) == "sent"
    assert len(tries) == 4


async def test_the_feed_follows_on_after_the_server_restarts(cluster: object,
                                                             store: Store) -> None:
    from tests.pg_cluster import Cluster

    assert isinstance(cluster, Cluster)
    with store.write() as tx:
        tx.event("before")
    seen: list[str] = []
    async with contextlib.aclosing(follow_events(store.database, after=0)) as batches:
        async def collect() -> None:
            async for events in batches:
                seen.extend(e.kind for e in events)
                if "after" in seen:
                    return

        follower = asyncio.create_task(collect())
        while "before" not in seen:
            await asyncio.sleep(0.02)
        await asyncio.to_thread(cluster.restart)
        with store.write() as tx:  # the store's own connection is remade on first use
            tx.event("after")
        await asyncio.wait_for(follower, 20)
    assert seen == ["before", "after"]


def sqlite3_error(text: str) -> Exception:
    import sqlite3

    return sqlite3.OperationalError(text)
