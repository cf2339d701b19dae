"""The website gateway on 127.0.0.1 with a real hub: tokens, origins, limits (docs/chat-web.md)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from omnitui.channels.chat.web.tokens import visitor_of
from omnitui.store.db import Store
from tests.chat.chathelpers import inbound_count, queue_reply
from tests.chat.conftest import InProcessHub
from tests.chat.webhelpers import ORIGIN, Browser, free_port, wait_for_http, web_settings


async def start_web_hub(root: Path, **chat: object) -> tuple[InProcessHub, str]:
    port = free_port()
    hub = await InProcessHub(web_settings(root, port, **chat)).start()
    base = f"http://127.0.0.1:{port}"
    await wait_for_http(base)
    return hub, base


@pytest.fixture
async def web(short_dir: Path) -> AsyncIterator[tuple[InProcessHub, str]]:
    hub, base = await start_web_hub(short_dir)
    yield hub, base
    await hub.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_a_visitor_id_never_reveals_history_only_the_token_does(web, http) -> None:
    hub, base = web
    olga = Browser(http, base)
    issued = await olga.session()
    assert issued["visitor"] == visitor_of(issued["token"])
    await olga.connect()
    await olga.hello(name="Olga")
    assert (await olga.ask({"type": "message", "id": "m1", "text": "my address is 12 Elm St"})
            == {"type": "ack", "id": "m1"})
    reply_id = await asyncio.to_thread(queue_reply, hub.settings.database, olga.visitor,
                                       "We ship it today")
    pushed = await olga.recv_type("message")
    assert pushed["id"] == str(reply_id) and pushed["text"] == "We ship it today"
    await olga.close()

    # Another browser that knows Olga's visitor id: its hello names her, it gets only itself.
    mallory = Browser(http, base)
    await mallory.session()
    await mallory.connect()
    welcome = await mallory.hello(visitor=olga.visitor)
    assert welcome["visitor"] == mallory.visitor != olga.visitor
    assert welcome["history"] == []
    await mallory.close()
    # The visitor id (or anything not a well-formed token) as a token: refused with 4401.
    for guess in (olga.visitor, olga.visitor[2:], "x" * 43 + "!", ""):
        ws = await mallory.connect(token=guess)
        first = await mallory.recv()
        assert first["code"] == "auth"
        closing = await ws.receive(5)
        assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 4401

    # Olga after a reload: same token, same visitor, her history (text and the reply).
    again = Browser(http, base)
    again.token, again.visitor = olga.token, olga.visitor
    await again.connect()
    history = (await again.hello())["history"]
    assert [(h["from"], h["text"]) for h in history] == [
        ("customer", "my address is 12 Elm St"), ("agent", "We ship it today")]
    await again.close()

    # The token itself is stored nowhere: not in the database, its WAL or the hub's log.
    data_dir = hub.settings.data_dir
    for path in data_dir.iterdir():
        if path.is_file():
            assert olga.token.encode() not in path.read_bytes(), path.name


async def test_pages_from_other_origins_are_refused(web, http) -> None:
    _, base = web
    for headers in ({"Origin": "https://evil.example"}, {}, {"Origin": "null"}):
        async with http.post(f"{base}/chat/session", headers=headers) as resp:
            assert resp.status == 403
            assert (await resp.json())["error"]["code"] == "origin"
            assert "Access-Control-Allow-Origin" not in resp.headers
    async with http.options(f"{base}/chat/session",
                            headers={"Origin": "https://evil.example"}) as resp:
        assert resp.status == 403
    async with http.options(f"{base}/chat/upload", headers={"Origin": ORIGIN}) as resp:
        assert resp.status == 204
        assert resp.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "Authorization" in resp.headers["Access-Control-Allow-Headers"]
    good = Browser(http, base)
    await good.session()
    evil = Browser(http, base, origin="https://evil.example")
    ws = await evil.connect(token=good.token)
    assert (await evil.recv())["code"] == "origin"
    closing = await ws.receive(5)
    assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 4403
    status, body = await evil.upload("a.txt", b"hi", "text/plain", token=good.token)
    assert status == 403 and body["error"]["code"] == "origin"


async def test_rate_limits_per_visitor_per_connection_and_per_address(short_dir, http) -> None:
    hub, base = await start_web_hub(short_dir, rate_limit=3, web_address_limit=6,
                                    web_connections_per_address=2)
    try:
        one = Browser(http, base)
        await one.session()  # address request 1
        await one.connect()  # 2
        await one.hello()
        for n in range(3):
            assert (await one.ask({"type": "message", "id": f"m{n}", "text": "hi"}))["type"] \
                == "ack"
        refused = await one.ask({"type": "message", "id": "m3", "text": "hi"})
        assert refused["code"] == "rate_limited" and "m3" in refused["message"]
        store = Store.open(hub.settings.database)
        try:
            assert inbound_count(store) == 3
        finally:
            store.close()

        # Open connections per address: a second is fine, a third is closed 4429.
        two = Browser(http, base)
        two.token = one.token
        await two.connect()  # 3
        three = Browser(http, base)
        ws = await three.connect(token=one.token)  # 4
        assert (await three.recv())["code"] == "rate_limited"
        assert (await ws.receive(5)).data == 4429

        # Requests per address and minute: 5, 6 pass, the 7th is refused with Retry-After.
        for _ in range(2):
            async with http.post(f"{base}/chat/session", headers={"Origin": ORIGIN}) as resp:
                assert resp.status == 201
        async with http.post(f"{base}/chat/session", headers={"Origin": ORIGIN}) as resp:
            assert resp.status == 429 and resp.headers["Retry-After"] == "60"
        # Behind the (trusted, loopback) proxy, each forwarded address has its own budget;
        # a forged hop to the left of the proxy's own entry changes nothing.
        forwarded = {"Origin": ORIGIN, "X-Forwarded-For": "1.2.3.4, 203.0.113.9"}
        for _ in range(6):
            async with http.post(f"{base}/chat/session", headers=forwarded) as resp:
                assert resp.status == 201
        forwarded["X-Forwarded-For"] = "9.9.9.9, 203.0.113.9"
        async with http.post(f"{base}/chat/session", headers=forwarded) as resp:
            assert resp.status == 429

        # A flood of frames on one connection: rate_limited errors, then closed 1008.
        assert two.ws is not None
        for _ in range(260):
            await two.send({"type": "typing"})
        codes = []
        while True:
            msg = await two.ws.receive(5)
            if msg.type is not aiohttp.WSMsgType.TEXT:
                break
            codes.append(json.loads(msg.data).get("code"))
        assert "rate_limited" in codes and msg.type is aiohttp.WSMsgType.CLOSE
        assert msg.data == 1008
        await one.close()
    finally:
        await hub.close()


async def test_frame_text_and_size_limits(web, http) -> None:
    hub, base = web
    b = Browser(http, base)
    await b.session()
    await b.connect()
    await b.hello()
    too_long_text = await b.ask({"type": "message", "id": "t", "text": "x" * 8001})
    assert too_long_text["code"] == "bad_field"
    assert (await b.ask({"type": "message", "id": "u", "text": "ok"}))["type"] == "ack"
    binary = b.ws
    assert binary is not None
    await binary.send_bytes(b'{"type":"ping"}')
    assert (await b.recv())["code"] == "bad_json"
    await b.send("x" * (64 * 1024 + 1))
    closing = await binary.receive(5)
    assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 1009
    store = Store.open(hub.settings.database)
    try:
        assert inbound_count(store) == 1
    finally:
        store.close()


async def test_hostile_text_and_names_are_stored_as_data(web, http) -> None:
    hub, base = web
    hostile = ("<img src=x onerror=alert(1)> [@click=app.quit] [b]bold[/b] "
               "\x1b[31mred\x07 \u202egnp.exe")
    b = Browser(http, base)
    await b.session()
    await b.connect()
    await b.hello(name="<script>alert(1)</script> [@click=x]\x1b]0;t\x07")
    assert (await b.ask({"type": "message", "id": "h", "text": hostile}))["type"] == "ack"
    store = Store.open(hub.settings.database)
    try:
        text, meta = store.conn.execute(
            "SELECT text, meta FROM message WHERE kind = 'inbound'").fetchone()
        name = store.conn.execute(
            "SELECT c.name FROM customer c JOIN identity i ON i.customer_id = c.id "
            "WHERE i.address = ?", (b.visitor,)).fetchone()[0]
    finally:
        store.close()
    assert "<img src=x onerror=alert(1)>" in text and "[@click=app.quit]" in text
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "<script>alert(1)</script> [@click=x]" in (name or "") + (meta or "")
    assert "\x1b" not in (name or "")
    # The visitor gets it back as data: a JSON string, exactly as stored.
    await b.close()
    await b.connect()
    assert (await b.hello())["history"][0]["text"] == text


async def test_consent_is_required_when_the_shop_sets_its_text(short_dir, http) -> None:
    hub, base = await start_web_hub(short_dir, web_consent_text="I agree to the privacy policy.")
    try:
        async with http.get(f"{base}/chat/config") as resp:
            assert (await resp.json())["consent_text"] == "I agree to the privacy policy."
        b = Browser(http, base)
        await b.session()
        await b.connect()
        refused = await b.hello(name="Olga", email="olga@example.org")
        assert refused["code"] == "bad_field" and "consent" in refused["message"]
        assert (await b.hello(name="Olga", email="olga@example.org", consent=True))["type"] \
            == "welcome"
        await b.close()
    finally:
        await hub.close()


async def test_an_agent_typing_shows_in_the_visitors_widget(web, http) -> None:
    from omnitui.core.actions import set_presence
    from tests.chat.chathelpers import agent, conversation_of

    hub, base = web
    b = Browser(http, base)
    await b.session()
    await b.connect()
    await b.hello()
    await b.ask({"type": "message", "id": "q", "text": "anyone there?"})

    def typing(active: bool) -> None:
        store = Store(hub.settings.database)
        try:
            set_presence(store, agent(store), conversation_of(store, b.visitor), typing=active)
        finally:
            store.close()

    await asyncio.sleep(0.3)  # the channel learns the conversation from the change feed
    await asyncio.to_thread(typing, True)
    assert await b.recv_type("typing") == {"type": "typing", "typing": True}
    await asyncio.to_thread(typing, False)
    assert await b.recv_type("typing") == {"type": "typing", "typing": False}


async def test_the_token_may_come_in_the_hello_instead_of_the_url(web, http) -> None:
    """So that it never lands in a proxy's access log."""
    _, base = web
    b = Browser(http, base)
    await b.session()
    await b.connect()
    await b.hello()
    assert (await b.ask({"type": "message", "id": "u1", "text": "first"}))["type"] == "ack"
    await b.close()

    plain = Browser(http, base)
    await plain.connect_plain()
    assert await plain.ask({"type": "ping"}) == {"type": "pong"}
    assert (await plain.ask({"type": "message", "id": "x", "text": "hi"}))["code"] == \
        "not_hello"
    welcome = await plain.hello(token=b.token, visitor="someone-else")
    assert welcome["visitor"] == b.visitor
    assert [h["text"] for h in welcome["history"]] == ["first"]
    await plain.close()

    for hello in ({"type": "hello"}, {"type": "hello", "token": "short"},
                  {"type": "hello", "token": b.visitor}):
        refused = Browser(http, base)
        ws = await refused.connect_plain()
        assert (await refused.ask(hello))["code"] == "auth"
        closing = await ws.receive(5)
        assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 4401
