"""Bad input and secrets: the channel keeps running, and the bot token is never written anywhere."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from omnitui.channels.base import Outbound, TemporaryError
from omnitui.channels.telegram import TelegramChannel
from omnitui.config import TelegramSettings
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.telegram.conftest import RecordingContext, Runner


async def test_bad_updates_are_skipped_and_good_ones_still_arrive(
        tg: FakeTelegram, running: Runner, ctx: RecordingContext) -> None:
    tg.push({"message": "not a dict"})
    tg.push({"message": {"chat": None, "message_id": "x"}})
    tg.push({"edited_message": {"message_id": 1, "chat": {"id": 1}}})  # edit of unknown message
    tg.push({"brand_new_update_type": {"x": 1}})
    tg.push({"update_id": 5})  # an id below the others: must not move the offset backwards
    tg.message(11, "x" * 200_000)
    tg.message(11, "\x1b[2J\x1b]0;pwned\x07 hi\u202e", first_name="\x1b[31mEvil\x00",
               last_name="\u202eNamE")
    huge = tg.add_file(b"", "documents/big.bin", size=21 * 1024 * 1024)
    tg.message(11, document={**huge, "file_name": "big.bin"})
    tg.message(11, "still alive")
    await running()
    await ctx.until(lambda: any(m.text == "still alive" for m in ctx.messages.values()))
    await ctx.until(lambda: tg.pending == 0)
    texts = [m.text for m in ctx.messages.values()]
    assert "x" * 200_000 in texts
    assert any("brand_new_update_type ignored" in line for line in ctx.lines)
    assert any("without chat id" in line for line in ctx.lines)
    assert any("over the 20 MB" in line for line in ctx.lines)
    assert ctx.states[-1][0] == "up"
    cursors = [int(c) for _, c in ctx.batches if c is not None]
    assert cursors == sorted(cursors)


async def test_token_never_in_logs_states_errors_or_stored_data(
        tg: FakeTelegram, running: Runner, ctx: RecordingContext,
        settings_for: Callable[..., TelegramSettings],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    doc = tg.add_file(b"data", "documents/a.txt")
    tg.message(12, "with file", document={**doc, "file_name": "a.txt"})
    tg.fail("getUpdates", "502")
    tg.fail("getUpdates", "409")
    tg.fail("getFile", "drop")
    tg.fail("download", "502")
    await running()
    await ctx.wait_for(1)
    channel = TelegramChannel("bot", settings_for(tg))
    errors: list[str] = []
    for kind in ("502", "403", "drop_after", "429"):
        tg.fail("sendMessage", kind)
        try:
            await channel.send(Outbound(message_id=1, channel="bot", kind="telegram",
                                        address="12", text="hi", agent_name="Eve",
                                        created_at=datetime.now(UTC), conversation_id=1))
        except Exception as exc:
            errors.append(repr(exc) + str(exc.__cause__) + str(exc.__context__))
    dead = TelegramChannel("dead", settings_for(tg, base_url="http://127.0.0.1:9/bot{token}"))
    with pytest.raises(TemporaryError) as info:
        await dead.send(Outbound(message_id=2, channel="bot", kind="telegram", address="12",
                                 text="hi", agent_name="Eve", created_at=datetime.now(UTC),
                                 conversation_id=1))
    errors.append(repr(info.value))
    await channel.close()
    await dead.close()
    stored = repr([(m.text, m.meta, m.attachments) for m in ctx.messages.values()])
    everything = "\n".join([caplog.text, stored, repr(ctx.states), repr(ctx.lines), *errors])
    assert "<token>" in caplog.text or "bot" in caplog.text  # the loggers did speak
    assert TOKEN not in everything
    assert TOKEN.split(":")[1] not in everything
    assert len(errors) == 5


async def test_updates_without_ids_do_not_hot_loop(tg: FakeTelegram, running: Runner,
                                                   ctx: RecordingContext) -> None:
    tg.updates.append({"update_id": "nope", "message": {"text": "x"}})  # never confirmable
    await running()
    await ctx.until(lambda: any("without update_id" in line for line in ctx.lines))
    polls = tg.calls.count("getUpdates")
    await asyncio.sleep(0.5)
    assert tg.calls.count("getUpdates") - polls <= 12  # backoff 0.05 s, not thousands
    assert ctx.states[-1][0] == "up"
