"""IMAP ingest against a real Dovecot: cursor, batches, IDLE push, UIDVALIDITY, quarantine."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from mailcorpus import CORPUS, simple
from mailctx import RecordingContext, make_settings
from mailservers import Dovecot

from omnitui.channels.base import FLAG_QUARANTINED
from omnitui.channels.email import EmailChannel
from omnitui.channels.email.imap import ImapSession, parse_fetch


def numbered(n: int, start: int = 0) -> list[bytes]:
    return [
        simple(subject=f"msg {i}", body=f"body {i}", msgid=f"<n{i}@customer.test>")
        for i in range(start, start + n)
    ]


@contextlib.asynccontextmanager
async def running(channel: EmailChannel, ctx: RecordingContext):
    task = asyncio.create_task(channel.run(ctx))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_state(ctx: RecordingContext, state: str, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not any(s == state for s, _ in ctx.states):
        if loop.time() > deadline:
            raise AssertionError(f"state {state!r} never reached: {ctx.states}")
        await asyncio.sleep(0.05)


async def wait_idle(channel: EmailChannel, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        ingest = channel.ingest
        session = ingest.session if ingest else None
        if session and session.client and session.client.has_pending_idle():
            return
        if loop.time() > deadline:
            raise AssertionError("the channel never entered IDLE")
        await asyncio.sleep(0.05)


def committed_total(ctx: RecordingContext) -> int:
    return sum(len(b) for b in ctx.batches)


async def test_sync_commits_batches_with_cursor(dovecot: Dovecot, user: str, ctx, monkeypatch):
    dovecot.append(user, numbered(120))
    channel = EmailChannel("mail", make_settings(dovecot, user, monkeypatch, batch_size=50))
    progress: list[tuple[int, int]] = []
    assert await channel.sync(ctx, lambda n, m: progress.append((n, m))) == 120
    assert [len(b) for b in ctx.batches] == [50, 50, 20]
    cursor = json.loads(ctx.cursor() or "")
    assert cursor["last_uid"] == 120 and cursor["uidvalidity"] > 0
    assert progress[-1] == (120, 120)
    assert ("backfilling", "50 of 120") in ctx.states
    first = ctx.messages[ctx.batches[0][0].external_id]
    assert (first.subject, first.text, first.wire_id) == ("msg 0", "body 0", "<n0@customer.test>")
    assert first.meta["imap_uid"] == 1
    # A second sync finds nothing new (the server echoes the last UID for N+1:*; dropped).
    assert await channel.sync(ctx) == 0
    assert committed_total(ctx) == 120


async def test_seen_flags_and_deletion_are_never_touched(dovecot: Dovecot, user, ctx, monkeypatch):
    dovecot.append(user, numbered(3))
    channel = EmailChannel("mail", make_settings(dovecot, user, monkeypatch))
    await channel.sync(ctx)
    conn = dovecot.imap(user)
    conn.select("INBOX", readonly=True)
    _typ, data = conn.uid("SEARCH", "UNSEEN")
    conn.logout()
    assert data[0].split() == [b"1", b"2", b"3"]


async def test_empty_mailbox_records_uidvalidity(dovecot: Dovecot, user, ctx, monkeypatch):
    channel = EmailChannel("mail", make_settings(dovecot, user, monkeypatch))
    assert await channel.sync(ctx) == 0
    assert json.loads(ctx.cursor() or "")["last_uid"] == 0


async def test_uidvalidity_change_rescans_without_duplicates(dovecot, user, ctx, monkeypatch):
    conn = dovecot.imap(user)
    conn.create("Support")
    conn.logout()
    mails = numbered(5)
    dovecot.append(user, mails, mailbox="Support")
    settings = make_settings(dovecot, user, monkeypatch, mailbox="Support")
    channel = EmailChannel("mail", settings)
    assert await channel.sync(ctx) == 5
    old = json.loads(ctx.cursor() or "")
    # The mailbox is recreated (a migration, a restored backup): same mail, new UIDVALIDITY.
    conn = dovecot.imap(user)
    conn.delete("Support")
    conn.create("Support")
    conn.logout()
    dovecot.append(user, [*mails[:3], *numbered(2, start=100)], mailbox="Support")
    await channel.sync(ctx)
    new = json.loads(ctx.cursor() or "")
    assert new["uidvalidity"] != old["uidvalidity"] and new["last_uid"] == 5
    assert len(ctx.messages) == 7  # 5 old + 2 new; the 3 re-found are the same external ids
    assert any("UIDVALIDITY changed" in line for line in ctx.lines)


async def test_idle_push_delivers_new_mail_quickly(dovecot: Dovecot, user, ctx, monkeypatch):
    settings = make_settings(dovecot, user, monkeypatch, poll_interval=300.0)
    channel = EmailChannel("mail", settings)
    async with running(channel, ctx):
        await wait_idle(channel)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await asyncio.to_thread(dovecot.append, user, numbered(1))
        await ctx.wait_for(1, timeout=5)
        assert loop.time() - t0 < 3.0


async def test_idle_is_reissued(dovecot: Dovecot, user, ctx, monkeypatch):
    settings = make_settings(dovecot, user, monkeypatch, poll_interval=300.0)
    channel = EmailChannel("mail", settings, idle_reissue=0.5)
    async with running(channel, ctx):
        await asyncio.sleep(2.0)
        await asyncio.to_thread(dovecot.append, user, numbered(1))
        await ctx.wait_for(1, timeout=5)
    assert not any(s == "retrying" for s, _ in ctx.states), ctx.states


async def test_polling_fallback_without_idle(dovecot: Dovecot, user, ctx, monkeypatch):
    settings = make_settings(dovecot, user, monkeypatch, idle=False, poll_interval=0.3)
    channel = EmailChannel("mail", settings)
    async with running(channel, ctx):
        await wait_state(ctx, "up")
        await asyncio.to_thread(dovecot.append, user, numbered(2))
        await ctx.wait_for(2, timeout=5)


async def test_kick_during_idle_reconnects(dovecot: Dovecot, user, ctx, monkeypatch):
    settings = make_settings(dovecot, user, monkeypatch, poll_interval=300.0)
    channel = EmailChannel("mail", settings, backoff=(0.2, 1.0))
    async with running(channel, ctx):
        await wait_idle(channel)
        await asyncio.to_thread(dovecot.kick, user)
        await wait_state(ctx, "retrying")
        await asyncio.to_thread(dovecot.append, user, numbered(1))
        await ctx.wait_for(1, timeout=10)
    assert committed_total(ctx) == 1


async def test_kick_during_fetch_loses_and_doubles_nothing(dovecot, user, ctx, monkeypatch):
    big = [simple(subject=f"m{i}", body=("x" * 20_000) + str(i), msgid=f"<b{i}@c.test>")
           for i in range(600)]
    await asyncio.to_thread(dovecot.append, user, big)
    settings = make_settings(dovecot, user, monkeypatch, batch_size=20, poll_interval=300.0)
    channel = EmailChannel("mail", settings, backoff=(0.2, 1.0))
    async with running(channel, ctx):
        await ctx.wait_for(40, timeout=20)
        await asyncio.to_thread(dovecot.kick, user)
        await ctx.wait_for(600, timeout=60)
    assert any(s == "retrying" for s, _ in ctx.states), "the kick did not hit the fetch"
    assert committed_total(ctx) == 600  # every batch committed exactly once
    assert json.loads(ctx.cursor() or "")["last_uid"] == 600


async def test_server_stopped_and_started_again(own_dovecot: Dovecot, ctx, monkeypatch):
    settings = make_settings(own_dovecot, "user1", monkeypatch, poll_interval=300.0)
    channel = EmailChannel("mail", settings, backoff=(0.2, 1.0))
    async with running(channel, ctx):
        await wait_idle(channel)
        await asyncio.to_thread(own_dovecot.stop)
        await wait_state(ctx, "retrying")
        await asyncio.sleep(1.0)  # a few refused reconnects
        await asyncio.to_thread(own_dovecot.start)
        await asyncio.to_thread(own_dovecot.append, "user1", numbered(3))
        await ctx.wait_for(3, timeout=15)
    assert committed_total(ctx) == 3


async def test_wrong_password_is_a_config_error(dovecot: Dovecot, user, ctx, monkeypatch):
    settings = make_settings(dovecot, user, monkeypatch)
    monkeypatch.setenv(settings.password_env or "", "wrong")
    from omnitui.channels.base import ConfigError

    with pytest.raises(ConfigError, match="refused"):
        await asyncio.wait_for(EmailChannel("mail", settings).run(ctx), 10)


async def test_malformed_corpus_through_dovecot(dovecot: Dovecot, user, ctx, monkeypatch):
    raws = [raw for raw in CORPUS.values() if raw] + numbered(1, start=500)
    await asyncio.to_thread(dovecot.append, user, raws)
    channel = EmailChannel("mail", make_settings(dovecot, user, monkeypatch, batch_size=7))
    assert await channel.sync(ctx) == len(raws)
    quarantined = [m for m in ctx.messages.values() if FLAG_QUARANTINED in m.flags]
    assert quarantined and all(m.error and m.raw for m in quarantined)
    assert ctx.batches[-1][-1].subject == "msg 500"  # nothing stopped the channel


async def test_connection_refused_is_retried(ctx, monkeypatch):
    from mailservers import free_port

    settings = make_settings(None, "nobody", monkeypatch, imap_port=free_port())
    channel = EmailChannel("mail", settings, backoff=(0.1, 0.2))
    async with running(channel, ctx):
        await wait_state(ctx, "retrying")
        await asyncio.sleep(0.5)
    assert sum(1 for s, _ in ctx.states if s == "retrying") >= 2


async def test_big_batch_of_tiny_mails(dovecot: Dovecot, user, ctx, monkeypatch):
    """Thousands of FETCH responses in one read: stock aioimaplib recursed per line and died."""
    tiny = [f"From: t@c.test\r\nSubject: {i}\r\n\r\nx\r\n".encode() for i in range(3000)]
    await asyncio.to_thread(dovecot.drop_into_maildir, user, tiny)
    channel = EmailChannel("mail", make_settings(dovecot, user, monkeypatch, batch_size=3000))
    assert await asyncio.wait_for(channel.sync(ctx), 30) == 3000
    assert len(ctx.messages) == 3000


@pytest.mark.parametrize(
    ("sizes", "count", "max_bytes", "expected"),
    [
        ({1: 10, 2: 10, 3: 10}, 2, 1000, [[1, 2], [3]]),
        ({1: 10, 2: 600, 3: 10, 4: 10}, 10, 500, [[1], [2], [3, 4]]),
        ({5: 900}, 10, 100, [[5]]),
        ({}, 10, 100, []),
    ],
)
def test_batches_cut_by_count_and_bytes(sizes, count, max_bytes, expected):
    from omnitui.channels.email.ingest import _chunks

    assert _chunks(sizes, count, max_bytes) == expected


def test_parse_fetch_uid_after_literal():
    lines = [b"1 FETCH (BODY[] {5}", bytearray(b"hello"), b" UID 7)",
             b"2 FETCH (UID 8 BODY[] {3}", bytearray(b"abc"), b")", b"Fetch completed"]
    assert parse_fetch(lines, {7, 8}) == {7: b"hello", 8: b"abc"}


async def test_session_call_times_out_on_silent_server(monkeypatch):
    """A server that accepts TCP and says nothing must not hang the channel."""
    from mailservers import HOST, free_port

    port = free_port()
    server = await asyncio.start_server(lambda r, w: None, HOST, port)
    try:
        session = ImapSession(HOST, port, "none", timeout=0.5)
        from omnitui.channels.email.imap import ImapLost

        with pytest.raises(ImapLost):
            await session.open("u", "p", "INBOX")
        await session.close()
    finally:
        server.close()
