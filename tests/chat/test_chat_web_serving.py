"""What the gateway serves besides the chat: the widget's files, its settings, offline hours."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest

from omnitui.channels.chat.web import gateway
from omnitui.store.db import Store
from tests.chat.test_chat_after_hours import closed_hours
from tests.chat.test_chat_web_security import start_web_hub
from tests.chat.webhelpers import ORIGIN, Browser


async def test_static_files_are_served_and_nothing_outside_them(
        short_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "widget.js").write_text("console.log('chat');\n")
    (tmp_path / "secret.txt").write_text("not for the web")
    monkeypatch.setattr(gateway, "STATIC_DIR", static)
    hub, base = await start_web_hub(short_dir / "d")
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/chat/static/widget.js") as resp:
                assert resp.status == 200
                assert await resp.text() == "console.log('chat');\n"
                assert resp.headers["X-Content-Type-Options"] == "nosniff"
                assert "max-age" in resp.headers["Cache-Control"]
                assert "Set-Cookie" not in resp.headers
            for path in ("/chat/static/../secret.txt", "/chat/static/%2e%2e/secret.txt",
                         "/chat/static/missing.js", "/chat/static/"):
                async with http.get(f"{base}{path}") as resp:
                    assert resp.status in (403, 404, 405), path
                    assert "not for the web" not in await resp.text()
            async with http.get(f"{base}/nothing") as resp:
                assert resp.status == 404
                assert (await resp.json())["error"]["code"] == "bad_field"
    finally:
        await hub.close()


async def test_config_and_the_offline_path_outside_business_hours(short_dir: Path) -> None:
    hub, base = await start_web_hub(
        short_dir, hours=closed_hours(), offline_text="We are closed.",
        web_language="pl", web_strings={"title": "Napisz do nas"},
        web_upload_types=["image/png"], web_upload_max="1MB")
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/chat/config", headers={"Origin": ORIGIN}) as resp:
                config = await resp.json()
                assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN
                assert resp.headers["Cache-Control"] == "no-store"
            assert config["online"] is False and config["offline_text"] == "We are closed."
            assert config["language"] == "pl"
            assert config["strings"] == {"title": "Napisz do nas"}
            assert config["upload"] == {"max_bytes": 1_000_000, "types": ["image/png"]}
            assert config["limits"] == {"text": 8000, "frame": 65536, "attachments": 5}

            # The offline form: hello with name and email, then the message; it is in the
            # inbox, and the visitor is joined to the address for the answer by email.
            b = Browser(http, base)
            await b.session()
            await b.connect()
            welcome = await b.hello(name="Olga", email="olga@example.org")
            assert welcome["online"] is False
            offline = await b.recv()
            assert offline == {"type": "offline", "text": "We are closed."}
            assert (await b.ask({"type": "message", "id": "o1",
                                 "text": "Please call me back"}))["type"] == "ack"
            await b.close()
        store = Store.open(hub.settings.database)
        try:
            kinds = {r[0]: r[1] for r in store.conn.execute(
                "SELECT i.kind, i.address FROM identity i JOIN identity w "
                "ON w.customer_id = i.customer_id WHERE w.address = ?", (b.visitor,))}
            text = store.conn.execute(
                "SELECT text FROM message WHERE kind = 'inbound'").fetchone()[0]
        finally:
            store.close()
        assert kinds == {"chat": b.visitor, "email": "olga@example.org"}
        assert text == "Please call me back"
        assert json.dumps(config)  # plain JSON, nothing else
    finally:
        await hub.close()


async def test_a_busy_web_port_is_one_sentence_in_the_channel_state(short_dir: Path) -> None:
    import asyncio
    import socket

    from omnitui.hub import serve
    from tests.chat.webhelpers import web_settings

    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        settings = web_settings(short_dir, port)
        stop = asyncio.Event()
        task = asyncio.create_task(serve(settings, install_signals=False, stop=stop))
        try:
            error = None
            for _ in range(200):
                await asyncio.sleep(0.05)
                if settings.database.exists():
                    store = Store.open(settings.database)
                    try:
                        row = store.conn.execute(
                            "SELECT last_error FROM channel_state WHERE channel = 'chat' "
                            "AND state = 'retrying'").fetchone()
                    finally:
                        store.close()
                    if row is not None:
                        error = row[0]
                        break
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)
    assert error == f"cannot serve the website chat on 127.0.0.1:{port}: address already in use"
