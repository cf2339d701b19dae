"""Table tests of the chat protocol: every rule of the contract, parsed and encoded, no socket."""

from __future__ import annotations

import json

import pytest

from omnitui.channels.chat import protocol as p
from omnitui.channels.chat.session import TOO_LONG_LINE

pytestmark = pytest.mark.engine_free  # opens no store

GOOD = [
    (b'{"type":"hello","visitor":"v1"}', p.Hello("v1")),
    (b'{"type":"hello","visitor":"v1","name":" Ann ","email":" a@b.c "}',
     p.Hello("v1", "Ann", "a@b.c")),
    (b'{"type":"hello","visitor":"v1","email":""}', p.Hello("v1")),
    (b'{"type":"hello","visitor":"v1","token":"s3cret"}', p.Hello("v1", token="s3cret")),
    ('{"type":"hello","visitor":"zażółć"}'.encode(), p.Hello("zażółć")),
    (b'{"type":"hello","visitor":"' + b"x" * 128 + b'"}', p.Hello("x" * 128)),
    (b'{"type":"message","id":"m1","text":"hi"}', p.Message("m1", "hi", "m1")),
    (b'{"type":"message","id":7,"text":"hi"}', p.Message("7", "hi", 7)),
    (b'{"type":"message","id":"m1","text":"' + b"y" * 8000 + b'"}',
     p.Message("m1", "y" * 8000, "m1")),
    (b'{"type":"message","id":"m1","text":"hi","extra":[1,2]}', p.Message("m1", "hi", "m1")),
    (b'{"type":"delivered","id":"42"}', p.Delivered(42)),
    (b'{"type":"delivered","id":42}', p.Delivered(42)),
    (b'{"type":"rating","score":5}', p.Rating(5)),
    (b'{"type":"rating","score":1,"comment":"slow"}', p.Rating(1, "slow")),
    (b'{"type":"typing"}', p.Typing()),
    (b'{"type":"ping"}', p.Ping()),
    (b' {"type":"ping"}\r', p.Ping()),  # JSON whitespace, and CRLF line ends, are fine
]


@pytest.mark.parametrize(("line", "expected"), GOOD, ids=[str(i) for i in range(len(GOOD))])
def test_good_lines(line: bytes, expected: p.Request) -> None:
    assert p.parse_line(line) == expected


BAD = [
    (b"{", p.BAD_JSON),
    (b"not json", p.BAD_JSON),
    (b"\xff\xfe\x00garbage\x80", p.BAD_JSON),
    (b"[1,2,3]", p.BAD_JSON),
    (b'"hello"', p.BAD_JSON),
    (b"null", p.BAD_JSON),
    (b"[" * 60_000, p.BAD_JSON),  # deep nesting must not crash the parser
    (b"{}", p.BAD_FIELD),
    (b'{"type":5}', p.BAD_FIELD),
    (b'{"type":null}', p.BAD_FIELD),
    (b'{"type":"shout"}', p.UNKNOWN_TYPE),
    (b'{"type":"HELLO","visitor":"v"}', p.UNKNOWN_TYPE),
    (b'{"type":"hello"}', p.BAD_FIELD),
    (b'{"type":"hello","visitor":""}', p.BAD_FIELD),
    (b'{"type":"hello","visitor":"   "}', p.BAD_FIELD),
    (b'{"type":"hello","visitor":123}', p.BAD_FIELD),
    (b'{"type":"hello","visitor":"' + b"x" * 129 + b'"}', p.BAD_FIELD),
    (b'{"type":"hello","visitor":"a\\u0000b"}', p.BAD_FIELD),
    (b'{"type":"hello","visitor":"v","name":["x"]}', p.BAD_FIELD),
    (b'{"type":"hello","visitor":"v","email":"no-at-sign"}', p.BAD_FIELD),
    (b'{"type":"hello","visitor":"v","email":5}', p.BAD_FIELD),
    (b'{"type":"hello","visitor":"v","token":5}', p.BAD_FIELD),
    (b'{"type":"message","text":"hi"}', p.BAD_FIELD),
    (b'{"type":"message","id":"","text":"hi"}', p.BAD_FIELD),
    (b'{"type":"message","id":true,"text":"hi"}', p.BAD_FIELD),
    (b'{"type":"message","id":1.5,"text":"hi"}', p.BAD_FIELD),
    (b'{"type":"message","id":{"a":1},"text":"hi"}', p.BAD_FIELD),
    (b'{"type":"message","id":"' + b"i" * 129 + b'","text":"hi"}', p.BAD_FIELD),
    (b'{"type":"message","id":"m"}', p.BAD_FIELD),
    (b'{"type":"message","id":"m","text":""}', p.BAD_FIELD),
    (b'{"type":"message","id":"m","text":" \\n "}', p.BAD_FIELD),
    (b'{"type":"message","id":"m","text":42}', p.BAD_FIELD),
    (b'{"type":"message","id":"m","text":"' + b"y" * 8001 + b'"}', p.BAD_FIELD),
    (b'{"type":"delivered"}', p.BAD_FIELD),
    (b'{"type":"delivered","id":"abc"}', p.BAD_FIELD),
    (b'{"type":"delivered","id":"-1"}', p.BAD_FIELD),
    (b'{"type":"delivered","id":0}', p.BAD_FIELD),
    (b'{"type":"delivered","id":true}', p.BAD_FIELD),
    (b'{"type":"delivered","id":"99999999999999999999"}', p.BAD_FIELD),
    (b'{"type":"rating"}', p.BAD_FIELD),
    (b'{"type":"rating","score":0}', p.BAD_FIELD),
    (b'{"type":"rating","score":6}', p.BAD_FIELD),
    (b'{"type":"rating","score":"5"}', p.BAD_FIELD),
    (b'{"type":"rating","score":4.5}', p.BAD_FIELD),
    (b'{"type":"rating","score":true}', p.BAD_FIELD),
    (b'{"type":"rating","score":3,"comment":7}', p.BAD_FIELD),
    (b'{"type":"ping","pad":"' + b"z" * p.MAX_LINE + b'"}', p.TOO_LONG),
]


@pytest.mark.parametrize(("line", "code"), BAD, ids=[f"{i}-{c}" for i, (_, c) in enumerate(BAD)])
def test_bad_lines(line: bytes, code: str) -> None:
    with pytest.raises(p.ProtocolError) as caught:
        p.parse_line(line)
    assert caught.value.code == code
    assert caught.value.message.endswith(".")


def test_error_codes_are_the_contract() -> None:
    assert set(p.ERROR_CODES) == {"bad_json", "too_long", "bad_field", "unknown_type",
                                  "not_hello", "rate_limited", "auth"}


ENCODED = [
    (p.ack("m1"), {"type": "ack", "id": "m1"}),
    (p.ack(7), {"type": "ack", "id": 7}),
    (p.ack(), {"type": "ack"}),
    (p.pong(), {"type": "pong"}),
    (p.error("bad_json", "x."), {"type": "error", "code": "bad_json", "message": "x."}),
    (p.offline("away"), {"type": "offline", "text": "away"}),
    (p.rate_request(12), {"type": "rate_request", "conversation": "12"}),
    (p.reply(5, "hi", "Ann", "2024-01-01T10:00:00Z"),
     {"type": "message", "id": "5", "text": "hi", "agent": "Ann", "at": "2024-01-01T10:00:00Z"}),
    (p.welcome("v", False, [{"id": 1, "from": "customer", "text": "a", "at": "t"}]),
     {"type": "welcome", "visitor": "v", "online": False,
      "history": [{"id": "1", "from": "customer", "text": "a", "at": "t"}]}),
]


@pytest.mark.parametrize(("line", "obj"), ENCODED)
def test_encoding(line: bytes, obj: dict[str, object]) -> None:
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == obj


def test_newlines_in_text_stay_inside_one_line() -> None:
    line = p.reply(1, "two\nlines\r\u2028", "A", "t")
    assert line.count(b"\n") == 1
    assert json.loads(line)["text"] == "two\nlines\r\u2028"


def test_welcome_always_fits_one_line() -> None:
    history = [{"id": i, "from": "agent", "text": "ż" * 8000, "at": "t"} for i in range(50)]
    line = p.welcome("v", True, history)
    assert p.fits(line)
    kept = json.loads(line)["history"]
    assert kept and kept[-1]["id"] == "49"  # the newest survive
    huge = [{"id": 1, "from": "agent", "text": "x" * 100_000, "at": "t"}]
    assert p.fits(p.welcome("v", True, huge))


def test_too_long_marker_is_not_bytes() -> None:
    assert not isinstance(TOO_LONG_LINE, bytes)
