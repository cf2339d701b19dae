"""End to end through the real hub and store: fake Bot API in, replies out, kill -9 mid-batch."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from omnitui.channels.telegram import TelegramChannel
from omnitui.config import Settings, TelegramSettings, parse_settings
from omnitui.core.agents import add_agent
from omnitui.core.identities import normalise_phone
from omnitui.core.reply import reply
from omnitui.hub import serve
from omnitui.store.db import Store
from tests.fakes.telegram_api import TOKEN, FakeTelegram, hub_config
from tests.hub_waits import rows, until
from tests.telegram.conftest import TOKEN_ENV

REPO = Path(__file__).resolve().parents[2]


def hub_settings(data: Path, base: str, file_base: str) -> Settings:
    return parse_settings({
        "omnitui": {"data_dir": str(data)},
        "channels": {"bot": {"kind": "telegram", "token_env": TOKEN_ENV, "base_url": base,
                             "base_file_url": file_base, "poll_timeout": 2}},
    }, None)


@contextlib.asynccontextmanager
async def hub(settings: Settings) -> AsyncIterator[TelegramChannel]:
    stop = asyncio.Event()
    cfg = settings.channels["bot"]
    assert isinstance(cfg, TelegramSettings)
    channel = TelegramChannel("bot", cfg, backoff=(0.1, 0.5))
    task = asyncio.create_task(serve(settings, install_signals=False, channels={"bot": channel},
                                     stop=stop))
    try:
        yield channel
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
        await channel.close()


def write(settings: Settings, sql: str, params: tuple = ()) -> None:
    store = Store.open(settings.database)
    try:
        with store.write("test") as tx:
            tx.execute(sql, params)
    finally:
        store.close()


async def test_round_trip_edit_links_and_blocked_user(tg: FakeTelegram, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    settings = hub_settings(tmp_path / "data", tg.base_url, tg.base_file_url)
    first = tg.message(42, "Hello \x1b[31mthere\x00\u202e", first_name="\x1b]0;x\x07Ann")
    async with hub(settings):
        await until(lambda: rows(settings, "SELECT 1 FROM message"), what="the first message")
        ((text, customer_id, conv_id),) = rows(
            settings, "SELECT text, customer_id, conversation_id FROM message")
        assert "\x1b" not in text and "\x00" not in text and "\u202e" not in text
        assert "there" in text
        # An agent replies; the hub delivers it through the fake Bot API.
        store = Store.open(settings.database)
        try:
            agent = add_agent(store, "eve", "Eve")
            await asyncio.to_thread(reply, store, conv_id, "Thanks, *checking*.", agent)
        finally:
            store.close()
        await until(lambda: tg.sent_to(42), what="the reply at the Bot API")
        assert tg.sent_to(42)[0].params["text"] == "Thanks, *checking*."
        await until(lambda: rows(settings, "SELECT 1 FROM message WHERE kind='outbound' AND "
                                           "delivery_state='sent'"), what="sent state")
        # The customer edits the first message: a revision, the original stays.
        tg.message(42, "Hello there, edited", edited=True, message_id=first["message_id"])
        await until(lambda: rows(settings, "SELECT text FROM message_revision"), what="revision")
        assert rows(settings, "SELECT count(*) FROM message WHERE kind='inbound'") == [(1,)]
        # Deep link token and a shared own contact both link new Telegram users to customer 42.
        write(settings, "UPDATE customer SET link_token = 'tok123', phone = ? WHERE id = ?",
              (normalise_phone("+48 600 100 200"), customer_id))
        tg.message(43, "/start tok123", first_name="Ann (phone 2)")
        tg.message(44, contact={"phone_number": "+48600100200", "first_name": "Ann",
                                "user_id": 44})
        await until(lambda: len(rows(settings, "SELECT 1 FROM identity")) == 3, what="links")
        owners = rows(settings, "SELECT DISTINCT customer_id FROM identity WHERE kind='telegram'")
        assert owners == [(customer_id,)]
        # A user who blocked the bot: the reply fails with Telegram's reason, nothing retries.
        tg.blocked.update({42, 43, 44})  # the reply goes to the latest identity written from
        store = Store.open(settings.database)
        try:
            await asyncio.to_thread(reply, store, conv_id, "Are you there?", agent)
        finally:
            store.close()
        failed = await until(lambda: rows(
            settings, "SELECT failure_reason FROM message WHERE delivery_state='failed'"),
            what="failed state")
        assert "blocked" in str(failed)
    state = rows(settings, "SELECT count(*) FROM message WHERE external_id LIKE '%" + TOKEN
                 + "%' OR text LIKE '%" + TOKEN.split(":")[1] + "%'")
    assert state == [(0,)]
    log = (settings.data_dir / "hub.log")
    assert not log.exists() or TOKEN.split(":")[1] not in log.read_text()


HUB_SCRIPT = """
import asyncio, sys
from pathlib import Path
from omnitui.config import load_settings
from omnitui.hub import serve
asyncio.run(serve(load_settings(Path(sys.argv[1]))))
"""


def _ctl(port: int, path: str, body: dict | None = None) -> dict:
    url = f"http://127.0.0.1:{port}/_ctl/{path}"
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.mark.slow
async def test_kill_9_between_getupdates_and_commit_loses_and_doubles_nothing(
        tmp_path: Path) -> None:
    n = 1000
    fake = subprocess.Popen([sys.executable, "-m", "tests.fakes.telegram_api", "--port", "0"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    hub_proc: subprocess.Popen[bytes] | None = None
    try:
        line = await asyncio.to_thread(fake.stdout.readline)  # type: ignore[union-attr]
        port = int(line.split()[1])
        messages = [{"user_id": 1000 + i % 50, "text": f"u{i}"} for i in range(n)]
        messages[350]["document_text"] = "attached"  # its download is where the kill lands
        _ctl(port, "push", {"messages": messages})
        _ctl(port, "fault", {"method": "download", "kind": "slow", "delay": 30.0})
        data = tmp_path / "data"
        conf = tmp_path / "omnitui.toml"
        conf.write_text(hub_config(data, port, poll_timeout=2))
        env = {**os.environ, "TG_TOKEN": TOKEN}
        settings = hub_settings(data, "", "")

        def count() -> int:
            got = rows(settings, "SELECT count(*) FROM message WHERE kind='inbound'")
            return got[0][0] if got else 0

        def start() -> subprocess.Popen[bytes]:
            return subprocess.Popen([sys.executable, "-c", HUB_SCRIPT, str(conf)], env=env,
                                    cwd=REPO, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)

        hub_proc = start()
        # The batch holding message 350 was fetched and is stuck downloading: not committed.
        await until(lambda: _ctl(port, "state")["downloads"] >= 1, timeout=60, what="download")
        hub_proc.send_signal(signal.SIGKILL)
        hub_proc.wait(10)
        before = count()
        assert 0 < before < n and before % 100 == 0, before
        assert _ctl(port, "state")["pending"] == n - before  # the open batch is unconfirmed
        (data / "hub.lock").unlink(missing_ok=True)
        hub_proc = start()
        await until(lambda: count() >= n, timeout=90, what="the rest after restart")
        await until(lambda: _ctl(port, "state")["pending"] == 0, what="all confirmed")
        await asyncio.sleep(1.0)  # would a duplicate arrive late?
    finally:
        for proc in (hub_proc, fake):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)
    total, distinct = rows(settings, "SELECT count(*), count(DISTINCT external_id) FROM message "
                                     "WHERE kind='inbound'")[0]
    assert (total, distinct) == (n, n)
    texts = {r[0] for r in rows(settings, "SELECT text FROM message WHERE kind='inbound'")}
    assert texts == {f"u{i}" for i in range(n)}
    # The download the kill interrupted was redone after the restart and stored once.
    assert rows(settings, "SELECT filename, size FROM attachment WHERE sha256 IS NOT NULL") == [
        ("note.txt", len("attached"))]
