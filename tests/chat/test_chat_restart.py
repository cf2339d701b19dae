"""A real hub killed and restarted mid-conversation: `omnitui chat` and web visitors reconnect,
resend what was not acknowledged, and nothing is lost or doubled (stored or shown)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from omnitui.store.database import Database
from omnitui.store.db import Store
from tests.backend import database_in
from tests.chat.chathelpers import queue_reply, wait_until
from tests.chat.conftest import HubProcess
from tests.chat.webhelpers import ORIGIN, WebHubProcess, free_port


def _inbound_texts(database: Database) -> list[str]:
    store = Store(database)
    try:
        return [r[0] for r in store.conn.execute(
            "SELECT text FROM message WHERE kind = 'inbound' ORDER BY id")]
    finally:
        store.close()


class Lines:
    """stdout of a child process, collected as it comes."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.lines: list[str] = []
        self.task = asyncio.create_task(self._read(stream))

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.append(line.decode().rstrip("\n"))

    async def wait_for(self, needle: str, timeout: float = 20.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not any(needle in line for line in self.lines):
            assert loop.time() < deadline, f"{needle!r} not in {self.lines}"
            await asyncio.sleep(0.05)

    def count(self, needle: str) -> int:
        return sum(needle in line for line in self.lines)


@pytest.mark.slow
async def test_omnitui_chat_survives_a_hub_restart(short_dir: Path) -> None:
    hub = await HubProcess(short_dir).start()
    database = database_in(short_dir)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "omnitui", "chat", "--socket", str(hub.socket), "--visitor",
        "term-1", "--name", "Tess", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    out = Lines(proc.stdout)
    try:
        proc.stdin.write(b"one\n")
        await proc.stdin.drain()
        await wait_until(lambda: _inbound_texts(database) == ["one"], timeout=20)
        await asyncio.to_thread(queue_reply, database, "term-1", "first answer")
        await out.wait_for("Ann: first answer")

        hub.kill()  # mid-conversation, no goodbye
        proc.stdin.write(b"two\nthree\n")  # typed while the hub is down
        await proc.stdin.drain()
        await out.wait_for("connection to the hub lost")
        await asyncio.to_thread(queue_reply, database, "term-1", "second answer")  # queued
        await asyncio.sleep(0.5)
        hub = await HubProcess(short_dir).start()
        await out.wait_for("(reconnected)")
        await out.wait_for("second answer")
        await wait_until(lambda: _inbound_texts(database) == ["one", "two", "three"],
                         timeout=20)
        proc.stdin.close()
        assert await asyncio.wait_for(proc.wait(), 30) == 0
        await out.task
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        hub.terminate()
    assert _inbound_texts(database) == ["one", "two", "three"]  # nothing lost or doubled
    assert out.count("Ann: first answer") == 1  # not again from the history after reconnect
    assert out.count("second answer") == 1  # from the history or pushed, shown once
    assert out.count("you: one") == 0  # typed here: not printed again after the reconnect
    assert out.count("sent") >= 3


class ResendingBrowser:
    """What the widget does: keep each message until its ack, resend it with the same id
    after any reconnect, show each reply id once."""

    def __init__(self, http: aiohttp.ClientSession, base: str, token: str) -> None:
        self.http, self.base, self.token = http, base, token
        self.pending: dict[str, str] = {}
        self.replies: list[str] = []  # every reply id pushed, doubles included
        self.shown: set[str] = set()
        self.reconnects = 0

    async def run(self, texts: list[str], stop: asyncio.Event) -> None:
        queue = list(texts)
        while not stop.is_set():
            try:
                async with self.http.ws_connect(f"{self.base}/chat/ws",
                                                params={"token": self.token},
                                                headers={"Origin": ORIGIN}) as ws:
                    await ws.send_str(json.dumps({"type": "hello"}))
                    for msg_id, text in self.pending.items():
                        await ws.send_str(json.dumps({"type": "message", "id": msg_id,
                                                      "text": text}))
                    while not stop.is_set():
                        if queue and len(self.pending) < 3:
                            text = queue.pop(0)
                            msg_id = f"id-{text}"
                            self.pending[msg_id] = text
                            await ws.send_str(json.dumps({"type": "message", "id": msg_id,
                                                          "text": text}))
                        try:
                            msg = await ws.receive(0.05)
                        except TimeoutError:
                            continue
                        if msg.type is not aiohttp.WSMsgType.TEXT:
                            break
                        obj = json.loads(msg.data)
                        if obj["type"] == "ack":
                            self.pending.pop(obj["id"], None)
                        elif obj["type"] == "welcome":
                            for item in obj["history"]:
                                if item["from"] == "agent":
                                    self.shown.add(item["id"])
                        elif obj["type"] == "message":
                            self.replies.append(obj["id"])
                            self.shown.add(obj["id"])
                            await ws.send_str(json.dumps({"type": "delivered",
                                                          "id": obj["id"]}))
            except (aiohttp.ClientError, OSError):
                pass
            self.reconnects += 1
            await asyncio.sleep(0.2)


@pytest.mark.slow
async def test_web_visitors_lose_and_double_nothing_over_a_hub_kill(short_dir: Path) -> None:
    port = free_port()
    hub = await WebHubProcess(short_dir, port, rate_limit=1000).start()
    database = database_in(short_dir)
    stop = asyncio.Event()
    try:
        async with aiohttp.ClientSession() as http:
            browsers, tasks = [], []
            for n in range(5):
                async with http.post(f"{hub.base}/chat/session",
                                     headers={"Origin": ORIGIN}) as resp:
                    issued = await resp.json()
                browser = ResendingBrowser(http, hub.base, issued["token"])
                browser.visitor = issued["visitor"]  # type: ignore[attr-defined]
                browsers.append(browser)
                texts = [f"v{n}-m{i}" for i in range(40)]
                tasks.append(asyncio.create_task(browser.run(texts, stop)))
            await wait_until(lambda: len(_inbound_texts(database)) >= 40, timeout=30)
            hub.kill()  # messages are in flight from five visitors
            await asyncio.sleep(0.3)
            hub = await WebHubProcess(short_dir, port, rate_limit=1000).start()
            await wait_until(lambda: len(_inbound_texts(database)) >= 200, timeout=60)
            reply_ids = [await asyncio.to_thread(queue_reply, database, b.visitor, "thanks")
                         for b in browsers]
            await wait_until(lambda: all(str(r) in b.shown
                                         for r, b in zip(reply_ids, browsers, strict=True)),
                             timeout=20)
            stop.set()
            await asyncio.gather(*tasks)
    finally:
        hub.terminate()
    texts = _inbound_texts(database)
    expected = {f"v{n}-m{i}" for n in range(5) for i in range(40)}
    assert sorted(texts) == sorted(expected)  # every message once: nothing lost, no double
    assert all(b.reconnects >= 1 and not b.pending for b in browsers)
