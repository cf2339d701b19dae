"""Pure helpers, table-driven: splitting, deep links, /start tokens and update parsing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnitui.channels.telegram import deep_link, split_text, start_token, utf16_len
from omnitui.channels.telegram.parse import Parsed, Skipped, parse_update

EMOJI = "😀"  # outside the BMP: two UTF-16 units


@pytest.mark.parametrize(("text", "limit", "expected"), [
    ("", 10, []),
    ("   \n\n ", 10, []),
    ("short", 10, ["short"]),
    ("exactly10!", 10, ["exactly10!"]),
    ("hello world again", 11, ["hello world", "again"]),
    ("para one.\n\npara two is here", 20, ["para one.", "para two is here"]),
    ("line one\nline two", 12, ["line one", "line two"]),
    ("abcdefghij", 4, ["abcd", "efgh", "ij"]),
    (EMOJI * 3, 4, [EMOJI * 2, EMOJI]),
    ("a" + EMOJI, 2, ["a", EMOJI]),  # never half a surrogate pair
    ("one two three four", 9, ["one two", "three", "four"]),
])
def test_split_table(text: str, limit: int, expected: list[str]) -> None:
    assert split_text(text, limit) == expected


def test_split_counts_utf16_units_at_the_telegram_limit() -> None:
    text = EMOJI * 2048 + "x"  # 4097 units but only 2049 code points
    parts = split_text(text)
    assert len(parts) == 2 and utf16_len(parts[0]) == 4096


words = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
                min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(words, max_size=60), st.sampled_from([" ", "\n", "\n\n", "  "]),
       st.integers(min_value=24, max_value=80))  # every word fits (12 chars ≤ 24 units)
def test_split_keeps_whole_words_in_order(ws: list[str], sep: str, limit: int) -> None:
    text = sep.join(ws)
    parts = split_text(text, limit)
    assert all(0 < utf16_len(p) <= limit for p in parts)
    assert [w for p in parts for w in p.split()] == text.split()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.integers(min_value=2, max_value=50))
def test_split_any_text_loses_nothing_but_cut_whitespace(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < utf16_len(p) <= limit and p == p.strip() for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


@pytest.mark.parametrize(("bot", "token", "url"), [
    ("shop_bot", "abc", "https://t.me/shop_bot?start=abc"),
    ("@shop_bot", "A-b_9", "https://t.me/shop_bot?start=A-b_9"),
])
def test_deep_link(bot: str, token: str, url: str) -> None:
    assert deep_link(bot, token) == url


@pytest.mark.parametrize(("bot", "token"), [
    ("shop_bot", ""), ("shop_bot", "x" * 65), ("shop_bot", "a b"), ("shop_bot", "a&b=c"),
    ("sh", "abc"), ("bad/name", "abc"),
])
def test_deep_link_rejects(bot: str, token: str) -> None:
    with pytest.raises(ValueError):
        deep_link(bot, token)


@pytest.mark.parametrize(("text", "token"), [
    ("/start abc", "abc"), ("/start@shop_bot tok-1", "tok-1"), ("/start", None),
    ("/start a b", None), ("/start " + "x" * 65, None), ("hello /start abc", None),
    ("/start <script>", None), (None, None),
])
def test_start_token(text: str | None, token: str | None) -> None:
    assert start_token(text) == token


def msg(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"message_id": 5, "date": 1700000000,
                               "chat": {"id": 42, "type": "private"},
                               "from": {"id": 42, "is_bot": False, "first_name": "Ann"}}
    base.update(fields)
    return {"update_id": 10, "message": base}


@pytest.mark.parametrize(("raw", "reason"), [
    ({}, "numeric update_id"),
    ({"update_id": "10", "message": {}}, "numeric update_id"),
    ({"update_id": True}, "numeric update_id"),
    ({"update_id": 10, "message": {"text": "x"}}, "without chat id"),
    ({"update_id": 10, "message": {"chat": {"id": "42"}, "message_id": 1}}, "without chat id"),
    ({"update_id": 10, "poll": {"id": "1"}}, "type poll ignored"),
    ({"update_id": 10}, "type empty ignored"),
    (msg(**{"from": {"id": 9, "is_bot": True}}), "from a bot"),
    (msg(chat={"id": -5, "type": "channel"}), "channel chat message ignored"),
])
def test_parse_skips_with_a_reason(raw: dict[str, object], reason: str) -> None:
    result = parse_update(raw, "bot")
    assert isinstance(result, Skipped) and reason in result.reason


@pytest.mark.parametrize(("raw", "text"), [
    (msg(text="hi"), "hi"),
    (msg(text=123, caption="cap"), "cap"),
    (msg(location={"latitude": 1, "longitude": 2}), "[location]"),
    (msg(), "[unsupported message]"),
    (msg(sticker={"file_id": "S", "is_animated": True}), "[sticker]"),
    (msg(text="x" * 100_000), "x" * 100_000),
])
def test_parse_text_fallbacks(raw: dict[str, object], text: str) -> None:
    result = parse_update(raw, "bot")
    assert isinstance(result, Parsed) and result.inbound.text == text


def test_parse_tolerates_wrong_types_everywhere() -> None:
    raw = msg(**{"from": {"id": 42, "first_name": ["x"], "last_name": None}, "date": "today",
                 "photo": "not a list", "document": {"file_id": 5}, "reply_to_message": "x",
                 "contact": {"phone_number": 1}, "text": "ok"})
    result = parse_update(raw, "bot")
    assert isinstance(result, Parsed)
    item = result.inbound
    assert item.text == "ok" and item.sent_at is None and item.display_name is None
    assert result.files == [] and item.link_phone is None and item.quoted_text is None


def test_parse_private_without_sender_uses_chat() -> None:
    raw = msg(text="hi")
    del raw["message"]["from"]  # type: ignore[attr-defined]
    result = parse_update(raw, "bot")
    assert isinstance(result, Parsed) and result.inbound.address == "42"


def test_parse_keeps_control_characters_for_core_to_clean() -> None:
    """Sanitising is core's job at ingest (tested end to end); the parser must not choke."""
    raw = msg(text="a\x1b[31mred\x00\u202e", **{"from": {"id": 42, "first_name": "\x1b]0;x\x07E"}})
    result = parse_update(raw, "bot")
    assert isinstance(result, Parsed) and result.inbound.display_name == "\x1b]0;x\x07E"
