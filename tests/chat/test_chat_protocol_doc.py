"""docs/chat-protocol.md is the contract: its types, error codes and limits are the code's, and a
real hub produces every error and accepts every request the page names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from omnitui.channels.chat import protocol as p
from omnitui.channels.chat import session as s
from tests.chat.chathelpers import Raw
from tests.chat.conftest import InProcessHub, make_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "chat-protocol.md"


def section(title: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def first_column(title: str) -> list[str]:
    return re.findall(r"^\| `([a-z_]+)` \|", section(title), flags=re.M)


def test_the_documented_request_types_are_the_parsers() -> None:
    assert sorted(first_column("Client → hub")) == sorted(p._PARSERS)


def test_the_documented_hub_types_are_what_the_hub_encodes() -> None:
    encoded = [p.welcome("v", True, []), p.ack("m"), p.reply(1, "t", "Ann", "2026-01-01T00:00:00Z"),
               p.offline("away"), p.rate_request(3), p.typing(True), p.pong(),
               p.error(p.BAD_JSON, "x")]
    assert sorted(first_column("Hub → client")) == sorted(
        json.loads(line)["type"] for line in encoded)


def test_the_documented_error_codes_are_the_codes() -> None:
    assert sorted(first_column("Errors")) == sorted(p.ERROR_CODES)


def test_the_documented_limits_are_the_code_limits() -> None:
    rows = dict(re.findall(r"^\| (.+?) \| (.+?) \|$", section("Limits"), flags=re.M))
    number = lambda text: int(re.sub(r"[^0-9]", "", text.split()[0]))  # noqa: E731
    assert number(rows["line"]) == p.MAX_LINE
    assert number(rows["`visitor`"]) == p.MAX_VISITOR
    assert number(rows["message `id`"]) == p.MAX_ID
    assert number(rows["`text`"]) == p.MAX_TEXT
    assert number(rows["`name`"]) == p.MAX_NAME
    assert number(rows["`email`"]) == p.MAX_EMAIL
    assert number(rows["`attachments`"]) == p.MAX_ATTACHMENTS
    assert number(rows["queued towards one client"]) * 1024 * 1024 == s.MAX_BUFFER
    from omnitui.channels.chat.server import MAX_SESSIONS
    assert number(rows["connections"]) == MAX_SESSIONS


# A request that makes the real hub answer each documented error code (after a hello where the
# code needs one). `auth` is over TCP, below.
TRIGGERS = {
    "bad_json": b"{not json\n",
    "too_long": b'{"type":"message","id":"x","text":"' + b"a" * p.MAX_LINE + b'"}\n',
    "bad_field": b'{"type":"message","id":"x","text":""}\n',
    "unknown_type": b'{"type":"shout"}\n',
}


async def test_a_real_hub_answers_every_documented_error_code(
        short_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("OMNITUI_CHAT_DOC_TOKEN", "doc-token")
    hub = await InProcessHub(make_settings(short_dir, rate_limit=1,
                                           tcp=f"127.0.0.1:{port}",
                                           token_env="OMNITUI_CHAT_DOC_TOKEN")).start()
    seen: set[str] = set()
    try:
        raw = await Raw.open(hub.socket)
        seen.add((await raw.ask({"type": "message", "id": "early", "text": "hi"}))["code"])
        assert (await raw.ask({"type": "hello", "visitor": "doc"}))["type"] == "welcome"
        for code, line in TRIGGERS.items():
            answer = await raw.ask(line)
            assert answer["code"] == code, (code, answer)
            seen.add(code)
        assert (await raw.ask({"type": "message", "id": "one", "text": "hi"}))["type"] == "ack"
        seen.add((await raw.ask({"type": "message", "id": "two", "text": "hi"}))["code"])
        await raw.close()

        import asyncio
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        tcp = Raw(reader, writer)
        seen.add((await tcp.ask({"type": "hello", "visitor": "doc", "token": "wrong"}))["code"])
        assert await reader.read() == b""  # closed after `auth`
        await tcp.close()
    finally:
        await hub.close()
    assert seen == set(first_column("Errors"))


async def test_a_real_hub_accepts_every_documented_request(hub: InProcessHub) -> None:
    raw = await Raw.open(hub.socket)
    answers = {
        "ping": await raw.ask({"type": "ping"}),  # also before hello
        "hello": await raw.ask({"type": "hello", "visitor": "doc-2", "name": "Doc",
                                "email": "doc@example.org", "consent": True}),
        "message": await raw.ask({"type": "message", "id": 7, "text": "hello"}),
        "rating": await raw.ask({"type": "rating", "score": 4, "comment": "ok"}),
    }
    assert answers["ping"] == {"type": "pong"}
    assert answers["hello"]["type"] == "welcome" and answers["hello"]["visitor"] == "doc-2"
    assert answers["message"] == {"type": "ack", "id": 7}  # the id exactly as sent
    assert answers["rating"] == {"type": "ack"}
    for quiet in ({"type": "typing"}, {"type": "delivered", "id": "1"}):
        await raw.send(quiet)
        await raw.nothing_for(0.3)
        answers[quiet["type"]] = {}
    await raw.close()
    assert sorted(answers) == sorted(first_column("Client → hub"))
