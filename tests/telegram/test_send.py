"""Sending replies through the fake Bot API: splitting, files, limits and every fault kind."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from omnitui.channels.base import (
    AmbiguousError,
    Outbound,
    OutboundAttachment,
    PermanentError,
    TemporaryError,
)
from omnitui.channels.telegram import TelegramChannel
from omnitui.channels.telegram.ratelimit import RateLimiter
from omnitui.config import TelegramSettings
from tests.fakes.telegram_api import FakeTelegram

Make = Callable[..., TelegramSettings]


def reply(text: str, address: str = "42", message_id: int = 1, **kw: object) -> Outbound:
    return Outbound(message_id=message_id, channel="bot", kind="telegram", address=address,
                    text=text, agent_name="Eve", created_at=datetime.now(UTC),
                    conversation_id=1, **kw)  # type: ignore[arg-type]


@pytest.fixture
async def channel(tg: FakeTelegram, settings_for: Make):
    ch = TelegramChannel("bot", settings_for(tg), limiter=RateLimiter(per_chat=50, overall=500))
    yield ch
    await ch.close()


async def test_plain_text_without_parse_mode(tg: FakeTelegram, channel: TelegramChannel) -> None:
    result = await channel.send(reply("Price: *5* <b>EUR</b> _now_"))
    (sent,) = tg.sent
    assert sent.params["text"] == "Price: *5* <b>EUR</b> _now_"
    assert "parse_mode" not in sent.params
    assert result.wire_id and result.wire_id.startswith("42:")


async def test_long_text_is_split_into_ordered_parts(tg: FakeTelegram,
                                                     channel: TelegramChannel) -> None:
    words = [f"w{n}" for n in range(3000)]
    await channel.send(reply(" ".join(words)))
    assert len(tg.sent) >= 3
    assert [w for s in tg.sent for w in s.params["text"].split()] == words


async def test_attachments_go_as_photo_and_document(tg: FakeTelegram, channel: TelegramChannel,
                                                    tmp_path: Path) -> None:
    img = tmp_path / "shot.png"
    img.write_bytes(b"\x89PNG fake")
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(b"%PDF")
    out = reply("Here you are", attachments=(
        OutboundAttachment(img, "shot.png", "image/png", img.stat().st_size),
        OutboundAttachment(pdf, "invoice.pdf", "application/pdf", pdf.stat().st_size)))
    await channel.send(out)
    assert [s.method for s in tg.sent] == ["sendMessage", "sendPhoto", "sendDocument"]
    assert tg.sent[1].file == b"\x89PNG fake" and tg.sent[2].filename == "invoice.pdf"


async def test_blocked_user_is_permanent(tg: FakeTelegram, channel: TelegramChannel) -> None:
    tg.blocked.add(42)
    with pytest.raises(PermanentError, match="blocked by the user"):
        await channel.send(reply("hello?"))


async def test_retry_after_is_temporary_with_delay(tg: FakeTelegram,
                                                   channel: TelegramChannel) -> None:
    tg.fail("sendMessage", "429", retry_after=7)
    with pytest.raises(TemporaryError) as info:
        await channel.send(reply("hi"))
    assert info.value.retry_after == 7


async def test_bad_gateway_and_refused_connection_are_temporary(
        tg: FakeTelegram, channel: TelegramChannel, settings_for: Make) -> None:
    tg.fail("sendMessage", "502")
    with pytest.raises(TemporaryError) as info:
        await channel.send(reply("hi"))
    assert not isinstance(info.value, AmbiguousError)
    dead = TelegramChannel("dead", settings_for(tg, base_url="http://127.0.0.1:9/bot{token}"))
    with pytest.raises(TemporaryError, match="unreachable"):
        await dead.send(reply("hi"))
    await dead.close()


@pytest.mark.parametrize("kind", ["drop_after", "drop"])
async def test_lost_answer_after_sending_is_ambiguous(kind: str, tg: FakeTelegram,
                                                      channel: TelegramChannel) -> None:
    await channel.send(reply("warm up", message_id=9))  # getMe done, connection open
    tg.fail("sendMessage", kind)
    with pytest.raises(AmbiguousError):
        await channel.send(reply("did it arrive?"))
    assert TelegramChannel.resend_policy == "resend_once"


async def test_timeout_after_sending_is_ambiguous(tg: FakeTelegram, channel: TelegramChannel,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from omnitui.channels.telegram import send as send_module

    monkeypatch.setattr(send_module, "SEND_TIMEOUT", 0.3)
    tg.fail("sendMessage", "slow", delay=1.5)
    with pytest.raises(AmbiguousError, match="after the message was sent"):
        await channel.send(reply("slow one"))
    assert len(tg.sent) == 1  # the fake did deliver it: that is why it is ambiguous


async def test_a_retry_resumes_after_the_parts_already_sent(
        tg: FakeTelegram, channel: TelegramChannel) -> None:
    text = "A" * 4000 + "\n\n" + "B" * 4000 + "\n\n" + "C" * 100
    tg.fail("sendMessage", "502")  # first part fails, nothing sent
    with pytest.raises(TemporaryError):
        await channel.send(reply(text, message_id=5))
    tg.blocked.clear()
    await channel.send(reply("x" * 10, message_id=6))
    # Now fail midway: part 1 arrives, part 2 gets a 502, the retry sends parts 2 and 3 only.
    tg.sent.clear()
    original = channel._sender._one  # type: ignore[union-attr]
    calls = 0

    async def flaky(chat: str, step: object) -> str:
        nonlocal calls
        calls += 1
        if calls == 2:
            tg.fail("sendMessage", "502")
        return await original(chat, step)  # type: ignore[arg-type]

    channel._sender._one = flaky  # type: ignore[union-attr,method-assign]
    with pytest.raises(TemporaryError):
        await channel.send(reply(text, message_id=5))
    await channel.send(reply(text, message_id=5))
    assert [s.params["text"][0] for s in tg.sent] == ["A", "B", "C"]


async def test_rate_limit_one_per_second_per_chat(tg: FakeTelegram, settings_for: Make) -> None:
    ch = TelegramChannel("bot", settings_for(tg), limiter=RateLimiter(per_chat=5, overall=100))
    started = time.monotonic()
    for n in range(3):
        await ch.send(reply(f"m{n}", address="77", message_id=n + 1))
    await ch.send(reply("other chat", address="78", message_id=10))
    await ch.close()
    times = [s.at for s in tg.sent_to(77)]
    # 5 a second: sends start 0.2 s apart; the stand-in server stamps them as it reads them,
    # which a busy machine delays by a few tens of ms (an unlimited sender: ~1 ms apart).
    assert all(b - a >= 0.15 for a, b in itertools.pairwise(times))
    assert time.monotonic() - started < 2


def test_rate_limiter_defaults_space_chats_and_overall() -> None:
    now = [100.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert limiter.reserve("a") == 0
    assert limiter.reserve("a") == pytest.approx(1.0)  # same chat: 1 message/s
    assert limiter.reserve("b") == pytest.approx(1 / 30)  # overall: 30/s, not behind "a"
    waits = [limiter.reserve(str(n)) for n in range(60)]
    assert waits[-1] == pytest.approx(62 / 30)  # 60 more chats take ~2 s
    limiter.penalise("c", 5)
    assert limiter.reserve("c") == pytest.approx(5.0)


async def test_empty_reply_is_permanent(channel: TelegramChannel) -> None:
    with pytest.raises(PermanentError):
        await channel.send(reply("   \n "))
