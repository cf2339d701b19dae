"""Telegram CSAT (issue 7) through the real hub and store and the fake Bot API: resolving a
conversation sends one rating question with a 1–5 inline keyboard; a tap on it is a rating
(recorded without reopening, the callback query answered, the keyboard replaced by the score); a
tap from anybody else, or for a conversation nobody asked about, is refused."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from omnitui.channels.telegram.parse import RatingTap, Skipped, parse_update
from omnitui.channels.telegram.poller import NOT_RATED, RATED
from omnitui.channels.telegram.send import rated_text
from omnitui.core.actions import resolve
from omnitui.core.agents import add_agent
from omnitui.core.csat import TELEGRAM_REQUEST_TEXT
from omnitui.store.db import Store
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.hub_waits import rows, until
from tests.telegram.conftest import TOKEN_ENV
from tests.telegram.test_telegram_hub import hub, hub_settings


def tap(tg: FakeTelegram, user: int, data: str, query_id: str,
        message_id: int | None = None) -> None:
    """A callback query, with the message its keyboard hangs under when `message_id` is given."""
    query: dict[str, Any] = {"id": query_id, "chat_instance": "ci",
                             "from": {"id": user, "is_bot": False, "first_name": "Ann"},
                             "data": data}
    if message_id is not None:
        query["message"] = {"message_id": message_id, "date": int(time.time()),
                            "chat": {"id": user, "type": "private"}}
    tg.push({"callback_query": query})


def keyboards(tg: FakeTelegram, chat: int) -> list[list[dict[str, Any]]]:
    """The inline keyboards of the messages the bot sent to `chat` (rows flattened)."""
    found = []
    for sent in tg.sent_to(chat):
        markup = sent.params.get("reply_markup")
        if markup:
            markup = json.loads(markup) if isinstance(markup, str) else markup
            found.append([b for row in markup["inline_keyboard"] for b in row])
    return found


@pytest.mark.parametrize(("data", "expected"), [
    ("csat:17:4", RatingTap(7, "q", "42", 17, 4)),
    ("csat:17:6", None),
    ("csat:0:3", None),
    ("csat:17:4:extra", None),
    ("something else", None),
])
def test_rating_taps_are_parsed_strictly(data: str, expected: RatingTap | None) -> None:
    raw = {"update_id": 7, "callback_query": {"id": "q", "from": {"id": 42}, "data": data}}
    parsed = parse_update(raw, "bot")
    if expected is None:
        assert isinstance(parsed, Skipped) and parsed.callback_query_id == "q"
    else:
        assert parsed == expected


async def test_resolve_asks_once_with_a_keyboard_and_a_tap_rates(
        tg: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setattr("omnitui.core.undo.UNDO_WINDOW", 0.4)  # asked once undo is over
    settings = hub_settings(tmp_path / "data", tg.base_url, tg.base_file_url)
    tg.message(42, "My order never came")
    tg.message(77, "Another customer")
    async with hub(settings):
        await until(lambda: len(rows(settings, "SELECT 1 FROM message")) == 2, what="messages")
        ((conv,),) = rows(settings, "SELECT m.conversation_id FROM message m JOIN identity i "
                                    "ON i.id = m.identity_id WHERE i.address = '42'")

        def resolve_it() -> None:
            store = Store.open(settings.database)
            try:
                resolve(store, conv, add_agent(store, "eve", "Eve"))
            finally:
                store.close()

        await asyncio.to_thread(resolve_it)
        await until(lambda: keyboards(tg, 42), what="the rating question")
        ((buttons),) = keyboards(tg, 42)
        assert [b["text"] for b in buttons] == ["1", "2", "3", "4", "5"]
        assert [b["callback_data"] for b in buttons] == [f"csat:{conv}:{n}" for n in range(1, 6)]
        assert tg.sent_to(42)[-1].params["text"] == TELEGRAM_REQUEST_TEXT
        assert rows(settings, "SELECT count(*) FROM event WHERE kind = 'csat_request' "
                              "AND conversation_id = ?", (conv,)) == [(1,)]

        (asked,) = [mid for (chat, mid), m in tg.bot_messages.items()
                    if chat == 42 and "reply_markup" in m]

        tap(tg, 77, f"csat:{conv}:1", "forged")  # not this conversation's customer
        tap(tg, 42, f"csat:{conv}:4", "real", asked)
        tap(tg, 42, f"csat:{conv + 1}:5", "unasked")  # the other customer's conversation
        await until(lambda: len(tg.callback_answers) == 3, what="answered callback queries")
        assert tg.callback_answers == ["forged", "real", "unasked"]
        assert tg.callback_texts == [NOT_RATED, RATED, NOT_RATED]
        assert rows(settings, "SELECT rating, status, reopen_count FROM conversation "
                              "WHERE id = ?", (conv,)) == [(4, "resolved", 0)]
        assert rows(settings, "SELECT rating FROM conversation WHERE id != ?", (conv,)) \
            == [(None,)]
        assert rows(settings, "SELECT count(*) FROM event WHERE kind = 'rating'") == [(1,)]
        # The question now shows the answer and has no buttons left to tap.
        await until(lambda: tg.edits, what="the keyboard closed")
        assert "reply_markup" not in tg.bot_messages[(42, asked)]
        assert tg.bot_messages[(42, asked)]["text"] == rated_text(4)
        # A client still showing the buttons: changing one's mind replaces the score (core's
        # rule, one rating per conversation); nothing is asked again.
        tap(tg, 42, f"csat:{conv}:5", "again", asked)
        await until(lambda: len(tg.callback_answers) == 4, what="the second tap")
        await until(lambda: len(tg.edits) == 2, what="the second edit")
        assert rows(settings, "SELECT rating FROM conversation WHERE id = ?", (conv,)) == [(5,)]
        assert tg.bot_messages[(42, asked)]["text"] == rated_text(5)
        assert len(keyboards(tg, 42)) == 1
        assert rows(settings, "SELECT count(*) FROM message WHERE kind = 'inbound'") == [(2,)]


async def test_no_question_when_csat_is_off(tg: FakeTelegram, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from omnitui.config import parse_settings

    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setattr("omnitui.core.undo.UNDO_WINDOW", 0.2)
    settings = parse_settings({
        "omnitui": {"data_dir": str(tmp_path / "data")},
        "channels": {"bot": {"kind": "telegram", "token_env": TOKEN_ENV, "base_url": tg.base_url,
                             "base_file_url": tg.base_file_url, "poll_timeout": 2,
                             "csat": False}},
    }, None)
    tg.message(42, "hello")
    async with hub(settings):
        await until(lambda: rows(settings, "SELECT 1 FROM message"), what="the message")
        ((conv,),) = rows(settings, "SELECT conversation_id FROM message")
        store = Store.open(settings.database)
        try:
            await asyncio.to_thread(resolve, store, conv, add_agent(store, "eve", "Eve"))
        finally:
            store.close()
        await until(lambda: rows(settings, "SELECT 1 FROM event WHERE kind = "
                                           "'resolve_settled'"), what="the final resolve")
        await asyncio.sleep(0.3)
        assert tg.sent_to(42) == []
        tap(tg, 42, f"csat:{conv}:5", "unasked")
        await until(lambda: tg.callback_texts == [NOT_RATED], what="the refusal")


async def test_a_resolve_made_while_the_hub_was_down_is_asked_once_after_restart(
        tg: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setattr("omnitui.core.undo.UNDO_WINDOW", 0.3)
    settings = hub_settings(tmp_path / "data", tg.base_url, tg.base_file_url)
    tg.message(42, "Where is my parcel?")
    async with hub(settings):
        await until(lambda: rows(settings, "SELECT 1 FROM message"), what="the message")
    ((conv,),) = rows(settings, "SELECT conversation_id FROM message")
    store = Store.open(settings.database)
    try:  # a console resolves while no hub runs; its undo window passes meanwhile
        resolve(store, conv, add_agent(store, "eve", "Eve"))
    finally:
        store.close()
    await asyncio.sleep(0.5)
    assert keyboards(tg, 42) == []
    async with hub(settings):
        await until(lambda: keyboards(tg, 42), what="the rating question after restart")
    async with hub(settings):  # and never again
        await asyncio.sleep(1.0)
    assert len(keyboards(tg, 42)) == 1
    assert rows(settings, "SELECT count(*) FROM event WHERE kind = 'csat_request'") == [(1,)]
