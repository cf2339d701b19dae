"""The long-poll loop under faults: nothing lost, nothing doubled, the channel keeps running."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from omnitui.channels.base import ConfigError
from omnitui.channels.telegram import TelegramChannel
from omnitui.config import TelegramSettings
from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.conftest import RecordingContext, Runner


@pytest.mark.parametrize("kind", ["429", "502", "drop", "slow"])
async def test_getupdates_faults_are_retried(kind: str, tg: FakeTelegram, running: Runner,
                                             ctx: RecordingContext) -> None:
    tg.fail("getUpdates", kind, count=2, retry_after=1, delay=0.3)
    for n in range(5):
        tg.message(100 + n, f"message {n}")
    await running()
    await ctx.wait_for(5, timeout=15)
    await ctx.until(lambda: tg.pending == 0)
    assert sorted(m.text for m in ctx.messages.values()) == [f"message {n}" for n in range(5)]
    if kind != "slow":
        assert any(state == "retrying" for state, _ in ctx.states)
        assert ctx.states[-1][0] == "up"


async def test_a_failed_commit_refetches_and_stores_once(
        tg: FakeTelegram, running: Runner, ctx: RecordingContext) -> None:
    for n in range(3):
        tg.message(200, f"n{n}")
    ctx.fail_next_ingest = 1
    channel = await running()
    # The first commit fails: run() raises (the hub would restart it) and nothing was confirmed.
    await asyncio.sleep(0.5)
    assert tg.pending == 3 and tg.confirmed == 0
    assert not ctx.messages
    channel2 = TelegramChannel("bot", channel.settings)
    task = asyncio.create_task(channel2.run(ctx))
    try:
        await ctx.wait_for(3)
        await ctx.until(lambda: tg.pending == 0)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await channel2.close()
    assert len(ctx.messages) == 3


async def test_restart_resumes_from_the_committed_offset(
        tg: FakeTelegram, ctx: RecordingContext,
        settings_for: Callable[..., TelegramSettings]) -> None:
    tg.message(300, "first")
    first = TelegramChannel("bot", settings_for(tg))
    task = asyncio.create_task(first.run(ctx))
    await ctx.wait_for(1)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await first.close()
    tg.message(300, "second")
    again = TelegramChannel("bot", settings_for(tg))
    task = asyncio.create_task(again.run(ctx))
    try:
        await ctx.wait_for(2)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await again.close()
    fetched = [m.text for batch, _ in ctx.batches for m in batch]
    assert fetched == ["first", "second"]  # nothing fetched twice


async def test_409_conflict_is_reported_and_polling_resumes(
        tg: FakeTelegram, running: Runner, ctx: RecordingContext) -> None:
    tg.fail("getUpdates", "409", count=2)
    tg.message(400, "after the conflict")
    await running()
    await ctx.wait_for(1)
    conflict = [detail for state, detail in ctx.states if state == "conflict"]
    assert conflict and "409 Conflict" in conflict[0] and "Another program" in conflict[0]
    assert ctx.states[-1][0] == "up"


async def test_second_poller_elsewhere_gets_409(
        tg: FakeTelegram, running: Runner, ctx: RecordingContext) -> None:
    """Two processes on one token: Telegram ends the older poll with 409, we report it."""
    other_ctx = RecordingContext(ctx.data_dir)
    from omnitui.channels.telegram import channel as channel_module

    await running()
    await ctx.until(lambda: ctx.states and ctx.states[-1][0] == "up")
    channel_module._POLLING.clear()  # pretend the second one lives in another process
    await running("bot", other_ctx)
    await ctx.until(lambda: any(s == "conflict" for s, _ in ctx.states + other_ctx.states))


async def test_one_poller_per_token_in_a_process(
        tg: FakeTelegram, running: Runner, ctx: RecordingContext,
        settings_for: Callable[..., TelegramSettings]) -> None:
    await running("first")
    await ctx.until(lambda: bool(ctx.states) and ctx.states[-1][0] == "up")
    second = TelegramChannel("second", settings_for(tg))
    with pytest.raises(ConfigError, match="already polled by channel first"):
        await second.run(RecordingContext(ctx.data_dir))


async def test_rejected_token_is_a_config_error(
        tg: FakeTelegram, ctx: RecordingContext, monkeypatch: pytest.MonkeyPatch,
        settings_for: Callable[..., TelegramSettings]) -> None:
    settings = settings_for(tg)
    monkeypatch.setenv("OMNITUI_TEST_TELEGRAM_TOKEN", "999:wrong-token-value")
    channel = TelegramChannel("bot", settings)
    with pytest.raises(ConfigError, match="rejected the bot token"):
        await asyncio.wait_for(channel.run(ctx), 10)
    await channel.close()
    assert "wrong-token-value" not in repr(ctx.states) + repr(ctx.lines)


async def test_missing_token_env_is_a_config_error(
        tg: FakeTelegram, ctx: RecordingContext, monkeypatch: pytest.MonkeyPatch,
        settings_for: Callable[..., TelegramSettings]) -> None:
    settings = settings_for(tg)
    monkeypatch.delenv("OMNITUI_TEST_TELEGRAM_TOKEN")
    with pytest.raises(ConfigError, match="token_env"):
        await TelegramChannel("bot", settings).run(ctx)
