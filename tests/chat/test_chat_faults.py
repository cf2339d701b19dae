"""Faults from the issue: 500 connections at once, a client that stops reading, kill -9 of the
hub while 50 visitors send, and a reply queued by another process reaching the visitor."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from omnitui.channels.chat.client import ChatClient, ChatError
from omnitui.store.db import Store
from tests.backend import database_in, on_postgres
from tests.chat.chathelpers import Raw, delivery_state, inbound_count, wait_until
from tests.chat.conftest import HubProcess, InProcessHub

REPO = Path(__file__).resolve().parents[2]


async def _ping_times(client: ChatClient, n: int) -> list[float]:
    times = []
    for _ in range(n):
        began = time.perf_counter()
        await client.ping()
        times.append(time.perf_counter() - began)
        await asyncio.sleep(0.01)
    return times


@pytest.mark.slow
async def test_500_connections_at_once(short_dir: Path) -> None:
    hub = await HubProcess(short_dir).start()
    clients: list[ChatClient] = []
    try:
        watcher = await ChatClient.connect(hub.socket)
        await watcher.hello("watcher")
        baseline = await _ping_times(watcher, 20)

        async def one(i: int) -> ChatClient:
            client = await ChatClient.connect(hub.socket, timeout=30)
            welcome = await client.hello(f"crowd-{i}", timeout=30)
            assert welcome["visitor"] == f"crowd-{i}"
            return client

        storm = asyncio.gather(*(one(i) for i in range(500)))
        during = await _ping_times(watcher, 20)
        clients = list(await storm)
        assert len(clients) == 500
        # Everybody can still talk, and the watcher was never starved.
        await asyncio.gather(*(c.send("hello", f"m{i}", timeout=30)
                               for i, c in enumerate(clients[:100])))
        assert max(during) < 1.0, (statistics.median(baseline), max(during))
        await watcher.send("still fine")
        await watcher.close()
    finally:
        await asyncio.gather(*(c.close() for c in clients))
        assert hub.terminate() == 0
    store = Store(database_in(short_dir))
    assert inbound_count(store) == 101
    store.close()


async def test_a_client_that_stops_reading_is_dropped(hub: InProcessHub, db: Store) -> None:
    writer = await ChatClient.connect(hub.socket)
    await writer.hello("hoarder")
    for i in range(10):  # history big enough that each welcome is ~64 KiB
        await writer.send("h" * 8000, f"h{i}")
    await writer.close()
    watcher = await ChatClient.connect(hub.socket)
    await watcher.hello("watcher")
    stuck = await Raw.open(hub.socket)
    hello = b'{"type":"hello","visitor":"hoarder"}\n'
    # 200 welcomes of ~64 KiB = ~13 MB that the client never reads.
    await stuck.send(hello * 200)
    began = time.monotonic()
    times = await _ping_times(watcher, 30)
    assert max(times) < 1.0
    # The hub dropped the hoarder: what the kernel buffered can be read, then the end.
    # (each welcome reads the visitor's history: over a network to PostgreSQL that takes
    # longer than from a SQLite file, so the hub's buffer fills later there)
    # (one full PostgreSQL run of 2 Dec needed more than 30 s here, once in five passes; the
    # cause is not yet known, the limit is wide until it is)
    patience = 60 if on_postgres() else 10
    received = 0
    with contextlib.suppress(ConnectionError):
        while chunk := await asyncio.wait_for(stuck.reader.read(1 << 20), patience):
            received += len(chunk)
    assert received < 6 * (1 << 20), received  # bounded by the hub's and the kernel's buffers
    assert time.monotonic() - began < patience + 5
    await watcher.send("unaffected")
    await watcher.close()


async def test_reply_from_another_process_reaches_the_socket(hub: InProcessHub,
                                                             db: Store) -> None:
    client = await ChatClient.connect(hub.socket)
    await client.hello("cross", name="Cross Process")
    await client.send("is anybody there?")
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from pathlib import Path;"
        "from tests.backend import database_in;"
        "from tests.chat.chathelpers import queue_reply;"
        "print(queue_reply(database_in(Path(sys.argv[2])), 'cross', 'Yes, Ann here.'))"
    )
    began = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, str(REPO), str(hub.settings.data_dir),
        stdout=subprocess.PIPE)
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    msg_id = int(out.strip())
    got = await asyncio.wait_for(client.incoming.get(), 5)
    assert got is not None and (got["type"], got["id"], got["text"]) == (
        "message", str(msg_id), "Yes, Ann here.")
    assert time.perf_counter() - began < 5
    await wait_until(lambda: delivery_state(hub.settings.database, msg_id) == "sent")
    await client.delivered(got["id"])
    await wait_until(lambda: delivery_state(hub.settings.database, msg_id) == "delivered")
    await client.close()


class Visitor:
    """Sends numbered messages one after another, remembering which were acked."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[str] = []
        self.acked: set[str] = set()

    async def chatter(self, socket: Path, stop: asyncio.Event) -> None:
        try:
            client = await ChatClient.connect(socket)
            await client.hello(self.name)
        except (OSError, ChatError, TimeoutError):
            return
        try:
            while not stop.is_set():
                msg_id = f"{self.name}-{len(self.sent)}"
                self.sent.append(msg_id)
                await client.send(f"message {msg_id}", msg_id, timeout=5)
                self.acked.add(msg_id)
        except (OSError, ChatError, TimeoutError):
            pass  # the hub died under us; unacked ids are resent after restart
        finally:
            await client.close()

    async def resend_all(self, socket: Path) -> None:
        client = await ChatClient.connect(socket)
        await client.hello(self.name)
        for msg_id in self.sent:
            await client.send(f"message {msg_id}", msg_id, timeout=10)
            self.acked.add(msg_id)
        await client.close()


@pytest.mark.slow
async def test_kill_9_while_50_visitors_send(short_dir: Path) -> None:
    hub = await HubProcess(short_dir, rate_limit=100_000).start()
    visitors = [Visitor(f"v{i:02d}") for i in range(50)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(v.chatter(hub.socket, stop)) for v in visitors]
    # under way first (a PostgreSQL store on a busy machine takes longer to get going)
    await wait_until(lambda: sum(len(v.acked) for v in visitors) > 50, timeout=30)
    await asyncio.sleep(0.5)
    hub.kill()  # SIGKILL in the middle of commits and acks
    await asyncio.wait_for(asyncio.gather(*tasks), 15)
    acked_before = {m for v in visitors for m in v.acked}
    sent = {m for v in visitors for m in v.sent}
    assert len(acked_before) > 50, "the visitors did not get going before the kill"

    store = Store(database_in(short_dir))
    try:
        # Every acked message survived the kill.
        stored = {r[0].split(":", 1)[1] for r in store.conn.execute(
            "SELECT external_id FROM message WHERE kind = 'inbound'")}
        assert acked_before <= stored
        hub = await hub.start()  # replaces the stale socket file
        await asyncio.gather(*(v.resend_all(hub.socket) for v in visitors))
        rows = store.conn.execute(
            "SELECT external_id, count(*) FROM message WHERE kind = 'inbound' "
            "GROUP BY external_id").fetchall()
        counts = {r[0].split(":", 1)[1]: r[1] for r in rows}
        assert set(counts) == sent  # every message, acked or resent, is stored ...
        assert set(counts.values()) == {1}  # ... exactly once
    finally:
        store.close()
        assert hub.terminate() == 0


async def test_run_chat_client_send_once_and_interactive(hub: InProcessHub, db: Store) -> None:
    from omnitui.channels.chat.terminal import run_chat_client

    lines: list[str] = []
    code = await run_chat_client(hub.socket, "cli-visitor", "Cli", None, "first message",
                                 out=lines.append)
    assert code == 0 and lines[-1] == "sent"
    assert inbound_count(db) == 1

    printed: list[str] = []
    saw_reply = asyncio.Event()
    loop = asyncio.get_running_loop()

    def out(text: str) -> None:
        printed.append(text)
        if "Ann: answer" in text:
            saw_reply.set()

    typed_done = asyncio.Event()

    def typed() -> list[str]:
        return ["second message\n", "\n", "/rate 5 lovely\n"]

    async def reply_then_finish() -> None:
        await wait_until(lambda: inbound_count(Store(hub.settings.database)) == 2)
        from tests.chat.chathelpers import queue_reply
        await asyncio.to_thread(queue_reply, hub.settings.database, "cli-visitor", "answer")
        await asyncio.wait_for(saw_reply.wait(), 5)
        typed_done.set()

    def blocking_lines() -> object:
        yield from typed()
        asyncio.run_coroutine_threadsafe(typed_done.wait(), loop).result(15)

    helper = asyncio.create_task(reply_then_finish())
    code = await run_chat_client(hub.socket, "cli-visitor", "Cli", None, None, out=out,
                                 lines=blocking_lines())  # type: ignore[arg-type]
    await helper
    assert code == 0
    assert any("you: first message" in p for p in printed)  # history
    assert any("Ann: answer" in p for p in printed)
    row = db.conn.execute("SELECT rating, rating_comment FROM conversation").fetchone()
    assert tuple(row) == (5, "lovely")


async def test_run_chat_client_without_a_hub(short_dir: Path) -> None:
    from omnitui.channels.chat.terminal import run_chat_client

    lines: list[str] = []
    code = await run_chat_client(short_dir / "nothing.sock", "v", None, None, "x",
                                 out=lines.append)
    assert code == 1 and "Cannot connect" in lines[0]


async def test_omnitui_chat_command(hub: InProcessHub, db: Store) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "omnitui", "chat", "--socket", str(hub.socket), "--visitor",
        "cmd-visitor", "--name", "Cmd", "--send", "from the command line",
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert b"sent" in out
    assert inbound_count(db) == 1
