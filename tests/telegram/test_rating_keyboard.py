"""Closing the CSAT keyboard after a tap, through the channel and the fake Bot API: the callback
is answered, the question becomes "Thank you for rating: n/5" without buttons, and an edit that
fails (message gone, "not modified", network) is one log line that loses nothing."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from omnitui.channels.base import META_CSAT_KEYBOARD, Outbound
from omnitui.channels.telegram import TelegramChannel
from omnitui.channels.telegram.parse import RatingTap, parse_update
from omnitui.channels.telegram.poller import NOT_RATED, RATED
from omnitui.channels.telegram.send import rated_text
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.conftest import RecordingContext, Runner

CONV = 17
CUSTOMER = 42


class RatingContext(RecordingContext):
    """Core's rule in miniature (`core.csat.record_telegram_rating`): only the customer's own
    taps count, and a conversation holds one rating that a later tap replaces."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.ratings: dict[int, int] = {}
        self.taps: list[tuple[str, int, int]] = []

    async def csat_rating(self, address: str, conversation_id: int, score: int) -> bool:
        self.taps.append((address, conversation_id, score))
        if address != str(CUSTOMER) or conversation_id != CONV:
            return False
        self.ratings[conversation_id] = score
        return True


@pytest.fixture
def rctx(tmp_path: Path) -> RatingContext:
    return RatingContext(tmp_path)


async def ask(channel: TelegramChannel) -> int:
    """Send the rating question with its keyboard; its Telegram message id."""
    result = await channel.send(Outbound(
        message_id=1, channel="bot", kind="telegram", address=str(CUSTOMER),
        text="How did we do?", agent_name="system", created_at=datetime.now(UTC),
        conversation_id=CONV, automatic=True, meta={META_CSAT_KEYBOARD: CONV}))
    assert result.wire_id is not None
    return int(result.wire_id.split(":")[1])


def tap(tg: FakeTelegram, score: int, query_id: str, message_id: int | None, *,
        user: int = CUSTOMER) -> None:
    """A tap as Telegram delivers it: with the message the keyboard hangs under."""
    query: dict[str, Any] = {"id": query_id, "chat_instance": "ci",
                             "from": {"id": user, "is_bot": False, "first_name": "Ann"},
                             "data": f"csat:{CONV}:{score}"}
    if message_id is not None:
        query["message"] = {"message_id": message_id, "date": int(time.time()),
                            "chat": {"id": user, "type": "private"}, "text": "How did we do?"}
    tg.push({"callback_query": query})


def question(tg: FakeTelegram, message_id: int) -> dict[str, Any]:
    return tg.bot_messages[(CUSTOMER, message_id)]


def failures(ctx: RecordingContext) -> list[str]:
    return [line for line in ctx.lines if "closing the rating keyboard" in line]


def test_a_tap_names_the_question_it_came_from() -> None:
    raw = {"update_id": 7, "callback_query": {
        "id": "q", "from": {"id": 42}, "data": "csat:17:4",
        "message": {"message_id": 5, "chat": {"id": 42, "type": "private"}, "date": 1}}}
    assert parse_update(raw, "bot") == RatingTap(7, "q", "42", 17, 4, chat_id=42, message_id=5)
    raw["callback_query"]["message"] = {"chat": "nonsense"}
    assert parse_update(raw, "bot") == RatingTap(7, "q", "42", 17, 4)


async def test_a_tap_answers_and_removes_the_keyboard(
        tg: FakeTelegram, running: Runner, rctx: RatingContext) -> None:
    channel = await running(context=rctx)
    asked = await ask(channel)
    assert question(tg, asked)["reply_markup"]["inline_keyboard"]
    tap(tg, 4, "q1", asked)
    await rctx.until(lambda: len(tg.edits) == 1)
    assert tg.callback_answers == ["q1"] and tg.callback_texts == [RATED]
    assert rctx.ratings == {CONV: 4}
    edited = question(tg, asked)
    assert "reply_markup" not in edited
    assert edited["text"] == rated_text(4) == "Thank you for rating: 4/5"
    (edit,) = tg.edits
    assert edit.method == "editMessageText"
    assert (str(edit.params["chat_id"]), str(edit.params["message_id"])) \
        == (str(CUSTOMER), str(asked))
    assert failures(rctx) == []


async def test_a_stale_keyboard_tapped_again_keeps_one_rating(
        tg: FakeTelegram, running: Runner, rctx: RatingContext) -> None:
    """A second device may still show the buttons. The same score again changes nothing (the
    edit is "not modified", logged); another score replaces the rating, as core does."""
    channel = await running(context=rctx)
    asked = await ask(channel)
    tap(tg, 4, "q1", asked)
    await rctx.until(lambda: len(tg.edits) == 1)
    tap(tg, 4, "q2", asked)
    await rctx.until(lambda: len(failures(rctx)) == 1)
    assert "message is not modified" in failures(rctx)[0].lower()
    assert rctx.ratings == {CONV: 4} and tg.callback_texts == [RATED, RATED]
    tap(tg, 5, "q3", asked)
    await rctx.until(lambda: len(tg.edits) == 2)
    assert rctx.ratings == {CONV: 5}
    assert question(tg, asked)["text"] == rated_text(5)


@pytest.mark.parametrize("fault", ["gone", "502", "drop", "403"])
async def test_an_edit_failure_is_one_line_and_harmless(
        fault: str, tg: FakeTelegram, running: Runner, rctx: RatingContext) -> None:
    channel = await running(context=rctx)
    asked = await ask(channel)
    if fault == "gone":  # too old, or deleted by the customer
        asked += 1000
    else:
        tg.fail("editMessageText", fault)
    tap(tg, 3, "q1", asked)
    await rctx.until(lambda: len(failures(rctx)) == 1)
    (line,) = failures(rctx)
    assert "\n" not in line and "rating 3 stays recorded" in line
    if fault == "gone":
        assert "message to edit not found" in line.lower()
    assert rctx.ratings == {CONV: 3} and tg.callback_texts == [RATED]
    # The poller goes on: the next update is stored and the channel stays up.
    tg.message(CUSTOMER, "one more thing")
    await rctx.wait_for(1)
    assert [m.text for m in rctx.messages.values()] == ["one more thing"]
    assert rctx.states[-1][0] == "up"
    await rctx.until(lambda: tg.pending == 0)  # confirmed by the next getUpdates


async def test_refused_or_detached_taps_leave_the_message_alone(
        tg: FakeTelegram, running: Runner, rctx: RatingContext) -> None:
    channel = await running(context=rctx)
    asked = await ask(channel)
    before = dict(question(tg, asked))
    tap(tg, 1, "forged", asked, user=77)  # not the customer (a forged callback)
    tap(tg, 5, "detached", None)  # no message in the query: nothing to edit
    await rctx.until(lambda: len(tg.callback_answers) == 2)
    assert tg.callback_texts == [NOT_RATED, RATED]
    assert rctx.ratings == {CONV: 5}
    assert question(tg, asked) == before and tg.edits == []
    assert "editMessageText" not in tg.calls and failures(rctx) == []
