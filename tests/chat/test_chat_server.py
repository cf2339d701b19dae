"""The chat channel through the real hub: a real Unix socket, a real SQLite store, real clients."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from omnitui.channels.chat.client import ChatClient, ChatError
from omnitui.store.db import Store
from tests.chat.chathelpers import (
    Raw,
    delivery_state,
    inbound_count,
    queue_reply,
    resolve_conversation,
    wait_until,
)
from tests.chat.conftest import QUICK_UNDO_WINDOW, InProcessHub, make_settings


async def test_hello_message_ack_after_commit_and_history(hub: InProcessHub, db: Store) -> None:
    c = await Raw.open(hub.socket)
    welcome = await c.ask({"type": "hello", "visitor": "v1", "name": "Vera",
                           "email": "Vera@Example.com"})
    assert welcome == {"type": "welcome", "visitor": "v1", "online": True, "history": []}
    ack = await c.ask({"type": "message", "id": "m1", "text": "Where is my order?"})
    assert ack == {"type": "ack", "id": "m1"}
    # Acked means committed: a fresh connection sees it at once.
    assert inbound_count(db, external_id="v1:m1") == 1
    row = db.conn.execute("SELECT c.name, c.email FROM customer c JOIN identity i "
                          "ON i.customer_id = c.id WHERE i.kind = 'chat' AND i.address = 'v1'"
                          ).fetchone()
    assert (row[0], row[1].lower()) == ("Vera", "vera@example.com")
    await c.close()
    again = await Raw.open(hub.socket)
    welcome = await again.ask({"type": "hello", "visitor": "v1"})
    assert [(h["from"], h["text"]) for h in welcome["history"]] == [
        ("customer", "Where is my order?")]
    assert set(welcome["history"][0]) == {"id", "from", "text", "at", "client_id"}
    assert welcome["history"][0]["client_id"] == "m1"
    await again.close()


async def test_resend_is_acked_again_and_stored_once(hub: InProcessHub, db: Store) -> None:
    c = await Raw.open(hub.socket)
    await c.ask({"type": "hello", "visitor": "v2"})
    for _ in range(3):
        assert await c.ask({"type": "message", "id": 42, "text": "hi"}) == {"type": "ack",
                                                                               "id": 42}
    # Pipelined duplicates while the first commit is in flight are stored once too.
    await c.send(b"".join(b'{"type":"message","id":"p","text":"x"}\n' for _ in range(5)))
    assert [await c.recv() for _ in range(5)] == [{"type": "ack", "id": "p"}] * 5
    other = await Raw.open(hub.socket)
    await other.ask({"type": "hello", "visitor": "v2"})
    assert await other.ask({"type": "message", "id": "p", "text": "x"}) == {"type": "ack",
                                                                            "id": "p"}
    assert inbound_count(db, external_id="v2:42") == 1
    assert inbound_count(db, external_id="v2:p") == 1
    assert inbound_count(db) == 2
    await c.close()
    await other.close()


BAD_INPUT = [
    (b"{not json\n", "bad_json"),
    (b"\x00\xff\xfe\x9c garbage \x1b[31m\n", "bad_json"),
    (b"[]\n", "bad_json"),
    (b'{"type": "shout"}\n', "unknown_type"),
    (b'{"no_type": 1}\n', "bad_field"),
    (b'{"type": "hello", "visitor": 5}\n', "bad_field"),
    (b'{"type": "hello", "visitor": "x", "email": ["a"]}\n', "bad_field"),
    (b'{"type": "message", "id": "m", "text": "before hello"}\n', "not_hello"),
    (b'{"type": "typing"}\n', "not_hello"),
    (b'{"type": "rating", "score": 5}\n', "not_hello"),
]


async def test_bad_input_gets_errors_and_the_connection_lives(hub: InProcessHub,
                                                              db: Store) -> None:
    c = await Raw.open(hub.socket)
    for line, code in BAD_INPUT:
        answer = await c.ask(line)
        assert answer["type"] == "error" and answer["code"] == code, (line, answer)
        assert isinstance(answer["message"], str) and set(answer) == {"type", "code",
                                                                      "message"}
    assert await c.ask({"type": "ping"}) == {"type": "pong"}  # ping needs no hello
    await c.ask({"type": "hello", "visitor": "v3"})
    for line, code in [
        (b'{"type": "message", "id": "m", "text": 5}\n', "bad_field"),
        (b'{"type": "message", "id": null, "text": "x"}\n', "bad_field"),
        (b'{"type": "message", "id": "m", "text": ""}\n', "bad_field"),
        (b'{"type": "delivered", "id": "abc"}\n', "bad_field"),
        (b'{"type": "rating", "score": "five"}\n', "bad_field"),
        (b'{"type": "rating", "score": 5}\n', "bad_field"),  # nothing to rate yet
    ]:
        answer = await c.ask(line)
        assert (answer["type"], answer["code"]) == ("error", code), (line, answer)
    await c.send(b"\n  \n")  # blank lines are ignored
    assert await c.ask({"type": "message", "id": "ok", "text": "still here"}) == {
        "type": "ack", "id": "ok"}
    assert inbound_count(db) == 1
    await c.close()


async def test_one_mebibyte_line_answers_too_long_and_resyncs(hub: InProcessHub) -> None:
    c = await Raw.open(hub.socket)
    await c.ask({"type": "hello", "visitor": "big"})
    junk = b'{"type":"message","id":"huge","text":"' + b"A" * (1 << 20) + b'"}'
    # Sent in pieces, with the next request right behind the newline in the same write.
    for start in range(0, len(junk), 100_000):
        await c.send(junk[start:start + 100_000])
    await c.send(b'\n{"type":"ping"}\n')
    assert (await c.recv())["code"] == "too_long"
    assert await c.recv() == {"type": "pong"}
    # A line of exactly 64 KiB is still fine; one byte more is not.
    pad = 65536 - len(b'{"type":"ping","p":""}')
    assert await c.ask(b'{"type":"ping","p":"' + b"x" * pad + b'"}\n') == {"type": "pong"}
    answer = await c.ask(b'{"type":"ping","p":"' + b"x" * (pad + 1) + b'"}\n')
    assert answer["code"] == "too_long"
    assert await c.ask({"type": "message", "id": "after", "text": "ok"}) == {
        "type": "ack", "id": "after"}
    await c.close()


async def test_ping_typing_and_delivered_of_someone_else(hub: InProcessHub, db: Store) -> None:
    c = await Raw.open(hub.socket)
    await c.ask({"type": "hello", "visitor": "t1"})
    await c.send({"type": "typing"})
    await c.send({"type": "delivered", "id": "999999"})  # unknown id: silently ignored
    await c.nothing_for(0.3)
    assert await c.ask({"type": "ping"}) == {"type": "pong"}
    await c.close()


async def test_replies_reach_every_session_and_delivered_updates_state(
        hub: InProcessHub, db: Store) -> None:
    first = await ChatClient.connect(hub.socket)
    second = await ChatClient.connect(hub.socket)
    await first.hello("multi")
    await second.hello("multi")
    await first.send("hello from tab one")
    msg_id = await asyncio.to_thread(queue_reply, hub.settings.database, "multi", "Hi there!")
    got = [await asyncio.wait_for(cl.incoming.get(), 5) for cl in (first, second)]
    for obj in got:
        assert obj is not None
        assert obj["type"] == "message" and obj["id"] == str(msg_id)
        assert obj["text"] == "Hi there!" and obj["agent"] == "Ann"
        assert datetime.fromisoformat(obj["at"].replace("Z", "+00:00"))
    await wait_until(lambda: delivery_state(hub.settings.database, msg_id) == "sent")
    await first.delivered(str(msg_id))
    await wait_until(lambda: delivery_state(hub.settings.database, msg_id) == "delivered")
    # Another visitor cannot mark it delivered (nor anything else of someone else's).
    await first.close()
    await second.close()


async def test_reply_while_away_is_pushed_after_next_hello(hub: InProcessHub, db: Store) -> None:
    c = await ChatClient.connect(hub.socket)
    await c.hello("away")
    await c.send("I will be back")
    await c.close()
    msg_id = await asyncio.to_thread(queue_reply, hub.settings.database, "away", "Answer!")
    await wait_until(lambda: delivery_state(hub.settings.database, msg_id) == "sent")
    raw = await Raw.open(hub.socket)
    welcome = await raw.ask({"type": "hello", "visitor": "away"})
    assert welcome["type"] == "welcome"
    assert [h["from"] for h in welcome["history"]] == ["customer", "agent"]
    pushed = await raw.recv()
    assert (pushed["type"], pushed["id"], pushed["text"]) == ("message", str(msg_id), "Answer!")
    await raw.send({"type": "delivered", "id": str(msg_id)})
    await wait_until(lambda: delivery_state(hub.settings.database, msg_id) == "delivered")
    await raw.close()
    again = await Raw.open(hub.socket)
    await again.ask({"type": "hello", "visitor": "away"})
    await again.nothing_for(0.3)  # delivered replies are not pushed again
    await again.close()


async def test_rating_is_stored_and_acked(hub: InProcessHub, db: Store) -> None:
    c = await Raw.open(hub.socket)
    await c.ask({"type": "hello", "visitor": "rater"})
    await c.ask({"type": "message", "id": "1", "text": "thanks"})
    assert await c.ask({"type": "rating", "score": 4, "comment": "quick"}) == {"type": "ack"}
    row = db.conn.execute("SELECT rating, rating_comment FROM conversation").fetchone()
    assert tuple(row) == (4, "quick")
    await c.close()


async def test_rate_limit_per_visitor_stores_nothing_twice(short_dir: Path) -> None:
    hub = await InProcessHub(make_settings(short_dir, rate_limit=5, rate_window=60)).start()
    try:
        a = await Raw.open(hub.socket)
        b = await Raw.open(hub.socket)  # a second tab of the same visitor shares the budget
        await a.ask({"type": "hello", "visitor": "spammer"})
        await b.ask({"type": "hello", "visitor": "spammer"})
        answers = []
        for i in range(8):
            conn = a if i % 2 == 0 else b
            answers.append(await conn.ask({"type": "message", "id": f"m{i}", "text": "x"}))
        assert [x["type"] for x in answers] == ["ack"] * 5 + ["error"] * 3
        assert {x.get("code") for x in answers[5:]} == {"rate_limited"}
        # A resend of an acked id is still acked (and not counted); others are unaffected.
        assert await a.ask({"type": "message", "id": "m0", "text": "x"}) == {"type": "ack",
                                                                             "id": "m0"}
        c = await Raw.open(hub.socket)
        await c.ask({"type": "hello", "visitor": "calm"})
        assert (await c.ask({"type": "message", "id": "1", "text": "x"}))["type"] == "ack"
        store = Store(hub.settings.database)
        assert inbound_count(store) == 6
        assert store.conn.execute("SELECT count(DISTINCT external_id) FROM message "
                                  "WHERE kind = 'inbound'").fetchone()[0] == 6
        store.close()
        for conn in (a, b, c):
            await conn.close()
    finally:
        await hub.close()


async def test_offline_outside_business_hours(short_dir: Path) -> None:
    tomorrow = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[
        (datetime.now(UTC) + timedelta(days=1)).weekday()]
    settings = make_settings(short_dir, hours={tomorrow: "00:00-00:01"},
                             offline_text="Back tomorrow.", offline_ask_email_text="")
    hub = await InProcessHub(settings).start()
    try:
        c = await Raw.open(hub.socket)
        welcome = await c.ask({"type": "hello", "visitor": "night"})
        assert welcome["online"] is False
        assert await c.recv() == {"type": "offline", "text": "Back tomorrow."}
        assert (await c.ask({"type": "message", "id": "1", "text": "hi"}))["type"] == "ack"
        await c.close()
    finally:
        await hub.close()


async def test_socket_file_mode_stale_file_and_removal(short_dir: Path) -> None:
    path = short_dir / "chat.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))  # a socket file nobody listens on: what kill -9 leaves behind
    stale.close()
    hub = await InProcessHub(make_settings(short_dir)).start()
    mode = path.stat().st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o660
    c = await ChatClient.connect(path)
    await c.hello("x")
    await c.close()
    await hub.close()
    assert not path.exists()
    assert [p.name for p in short_dir.iterdir() if p.name.startswith(".")] == []


async def test_tcp_on_loopback_needs_the_token(short_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    monkeypatch.setenv("OMNITUI_CHAT_TOKEN_TEST", "s3cret-token")
    settings = make_settings(short_dir, tcp=f"127.0.0.1:{port}",
                             token_env="OMNITUI_CHAT_TOKEN_TEST")
    hub = await InProcessHub(settings).start()
    try:
        for _ in range(250):  # the TCP listener opens just after the Unix socket
            with contextlib.suppress(ConnectionRefusedError):
                _, probe_writer = await asyncio.open_connection("127.0.0.1", port)
                probe_writer.close()
                break
            await asyncio.sleep(0.02)
        bad = await ChatClient.connect(tcp=f"127.0.0.1:{port}")
        with pytest.raises(ChatError) as caught:
            await bad.hello("tcp-visitor", token="wrong")
        assert caught.value.code == "auth"
        assert await asyncio.wait_for(bad.incoming.get(), 5) is None  # closed by the hub
        await bad.close()
        good = await ChatClient.connect(tcp=f"127.0.0.1:{port}")
        await good.ping()
        with pytest.raises(ChatError) as caught:
            await good.send("before hello")
        assert caught.value.code == "not_hello"
        await good.hello("tcp-visitor", token="s3cret-token")
        await good.send("over tcp")
        await good.close()
        # The Unix socket needs no token: its file mode is the access control.
        local = await ChatClient.connect(hub.socket)
        await local.hello("unix-visitor")
        await local.close()
    finally:
        await hub.close()


async def test_a_socket_someone_serves_is_not_stolen(hub: InProcessHub) -> None:
    from omnitui.channels.chat.server import ChatChannel
    from omnitui.config import ChatSettings

    second = ChatChannel("chat", ChatSettings(kind="chat"), hub.settings)
    with pytest.raises(Exception, match="Another process is serving"):
        second._bind_unix()
    c = await ChatClient.connect(hub.socket)  # the first hub still serves
    await c.ping()
    await c.close()
    assert os.path.exists(hub.socket)


async def test_rate_request_after_the_conversation_is_resolved(
        quick_undo_hub: InProcessHub) -> None:
    hub = quick_undo_hub
    db = Store.open(hub.settings.database)
    c = await Raw.open(hub.socket)
    await c.ask({"type": "hello", "visitor": "happy"})
    await c.ask({"type": "message", "id": "1", "text": "it works now, thanks"})
    bystander = await Raw.open(hub.socket)
    await bystander.ask({"type": "hello", "visitor": "bystander"})
    await asyncio.sleep(0.2)  # the channel learns the conversation from the change feed
    conv = await asyncio.to_thread(resolve_conversation, hub.settings.database, "happy")
    assert await c.recv() == {"type": "rate_request", "conversation": str(conv)}
    assert await c.ask({"type": "rating", "score": 5}) == {"type": "ack"}
    await bystander.nothing_for(0.3)
    assert db.conn.execute("SELECT rating FROM conversation WHERE id = ?",
                           (conv,)).fetchone()[0] == 5
    await c.close()
    await bystander.close()
    db.close()


async def test_no_rate_request_when_csat_is_off(short_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("omnitui.core.undo.UNDO_WINDOW", QUICK_UNDO_WINDOW)
    hub = await InProcessHub(make_settings(short_dir, csat=False)).start()
    try:
        c = await Raw.open(hub.socket)
        await c.ask({"type": "hello", "visitor": "quiet"})
        await c.ask({"type": "message", "id": "1", "text": "bye"})
        await asyncio.sleep(0.2)
        await asyncio.to_thread(resolve_conversation, hub.settings.database, "quiet")
        await c.nothing_for(QUICK_UNDO_WINDOW + 0.5)
        await c.close()
    finally:
        await hub.close()


async def test_visitor_ids_with_colons_never_collide(hub: InProcessHub, db: Store) -> None:
    one = await Raw.open(hub.socket)
    two = await Raw.open(hub.socket)
    await one.ask({"type": "hello", "visitor": "a:b"})
    await two.ask({"type": "hello", "visitor": "a"})
    assert (await one.ask({"type": "message", "id": "c", "text": "from a:b"}))["type"] == "ack"
    assert (await two.ask({"type": "message", "id": "b:c", "text": "from a"}))["type"] == "ack"
    texts = {r[0] for r in db.conn.execute("SELECT text FROM message WHERE kind = 'inbound'")}
    assert texts == {"from a:b", "from a"}
    assert inbound_count(db, external_id="a:b:c") == 1  # the plain visitor keeps the plain form
    await one.close()
    await two.close()


async def test_stopping_the_hub_flushes_acks_and_removes_the_socket(short_dir: Path) -> None:
    hub = await InProcessHub(make_settings(short_dir, rate_limit=1000)).start()
    c = await Raw.open(hub.socket)
    await c.ask({"type": "hello", "visitor": "leaving"})
    await c.send(b"".join(b'{"type":"message","id":"%d","text":"x"}\n' % i for i in range(50)))
    await asyncio.sleep(0.05)
    await hub.close()
    answers = []
    with contextlib.suppress(AssertionError, ConnectionError):
        while True:
            answers.append(await c.recv(2))
    assert {a["type"] for a in answers} <= {"ack"}
    store = Store(hub.settings.database)
    stored = {r[0].split(":", 1)[1] for r in store.conn.execute(
        "SELECT external_id FROM message WHERE kind = 'inbound'")}
    store.close()
    assert {a["id"] for a in answers} <= stored  # nothing acked that is not committed
    assert not hub.socket.exists()
    await c.close()
