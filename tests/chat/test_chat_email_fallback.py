"""A chat reply to a visitor who left goes by email (issue 7), end to end: a real hub running the
chat channel and the real email channel, a real chat socket, aiosmtpd on loopback taking the
mail, and the customer's answer parsed by the email channel's own parser and ingested into the
same store. The channel's presence clock is injected, so "ten minutes later" takes no time."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from omnitui.channels.base import Channel
from omnitui.channels.email.inbound import to_inbound
from omnitui.config import Settings, parse_settings
from omnitui.core.actions import resolve
from omnitui.core.ingest import ingest_batch
from omnitui.hub import build_channels, serve
from omnitui.store.database import Database
from omnitui.store.db import Store
from tests.chat.chathelpers import Raw, agent, conversation_of, queue_reply, wait_until
from tests.chat.conftest import wait_for_socket
from tests.email.mailservers import SmtpServer, free_port

ADDRESS = "support@shop.test"
LEFT = "visitor left; sent by email instead"


class FakeClock:
    def __init__(self) -> None:
        import time

        self.offset = 0.0
        self._time = time.time

    def __call__(self) -> float:
        return self._time() + self.offset


@dataclass
class Shop:
    settings: Settings
    channels: dict[str, Channel]
    smtp: SmtpServer
    clock: FakeClock
    stop: asyncio.Event
    task: asyncio.Task[None] | None = None

    @property
    def socket(self) -> Path:
        return self.settings.channel_path("chat.sock")

    async def start(self) -> None:
        self.channels = build_channels(self.settings)
        self.channels["chat"].presence.clock = self.clock  # type: ignore[attr-defined]
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(serve(self.settings, install_signals=False,
                                              channels=self.channels, stop=self.stop))
        await wait_for_socket(self.socket, self.task)

    async def close(self) -> None:
        self.stop.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 15)
            self.task = None

    def connected(self, visitor: str) -> bool:
        return visitor in self.channels["chat"]._by_visitor  # type: ignore[attr-defined]

    def mails(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[misc]
                for _, _, raw in self.smtp.handler.received]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
async def shop(short_dir: Path, smtp: SmtpServer,
               monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Shop]:
    monkeypatch.setenv("OMNITUI_TEST_MAIL_PW", "pw")
    settings = parse_settings({
        "omnitui": {"data_dir": str(short_dir), "timezone": "UTC"},
        "channels": {
            "chat": {"kind": "chat", "email_fallback_after": "10m"},
            # IMAP points at a closed port: this test is about sending; the answer is fed in.
            "mail": {"kind": "email", "address": ADDRESS, "imap_host": "127.0.0.1",
                     "imap_port": free_port(), "imap_security": "none",
                     "smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_security": "none",
                     "username": "support", "password_env": "OMNITUI_TEST_MAIL_PW",
                     "timeout": 5.0},
        },
    }, None)
    running = Shop(settings, {}, smtp, FakeClock(), asyncio.Event())
    await running.start()
    yield running
    await running.close()


async def chat_and_leave(shop: Shop, visitor: str, text: str) -> None:
    c = await Raw.open(shop.socket)
    await c.ask({"type": "hello", "visitor": visitor})
    assert (await c.ask({"type": "message", "id": "1", "text": text}))["type"] == "ack"
    await c.close()
    await wait_until(lambda: not shop.connected(visitor))


def row(database: Database, sql: str, *args: object) -> tuple[object, ...]:
    store = Store(database)
    try:
        found = store.conn.execute(sql, args).fetchone()
        assert found is not None, sql
        return tuple(found)
    finally:
        store.close()


def outbound_states(database: Database) -> list[tuple[object, ...]]:
    store = Store(database)
    try:
        return [tuple(r) for r in store.conn.execute(
            "SELECT m.channel, m.delivery_state, m.failure_reason, m.conversation_id, m.text "
            "FROM message m WHERE m.kind = 'outbound' ORDER BY m.id")]
    finally:
        store.close()


async def test_reply_after_the_visitor_left_goes_by_email_and_the_answer_threads_back(
        shop: Shop) -> None:
    database = shop.settings.database
    await chat_and_leave(shop, "v1", "My parcel is late. Write to olga@example.org please.")
    shop.clock.offset = 11 * 60  # next morning, as far as the chat channel can tell
    reply_id = await asyncio.to_thread(queue_reply, database, "v1", "It left our shop today.")
    await wait_until(lambda: len(shop.smtp.handler.received) == 1
                     and outbound_states(database)[-1][1] == "sent", timeout=15)

    conv = await asyncio.to_thread(lambda: conversation_of(Store(database), "v1"))
    (chat_out, mail_out) = outbound_states(database)
    assert chat_out == ("chat", "failed", LEFT, conv, "It left our shop today.")
    assert mail_out == ("mail", "sent", None, conv, "It left our shop today.")
    token, wire_id = row(database, "SELECT reply_token, wire_id FROM message WHERE id > ? "
                         "AND kind = 'outbound'", reply_id)
    assert token and wire_id
    (mail,) = shop.mails()
    _, rcpt, _ = shop.smtp.handler.received[0]
    assert rcpt == ["olga@example.org"]
    assert mail["Message-ID"] == wire_id
    assert mail["Reply-To"] == f"support+{token}@shop.test"
    assert f"[ref:{token}]" in mail["Subject"]
    assert "It left our shop today." in mail.get_body().get_content()  # type: ignore[union-attr]
    sql = Store(database).sql
    event = row(database, f"SELECT {sql.json_int('data', 'rerouted_to')} FROM event WHERE "
                f"kind = 'delivery' AND message_id = ? AND {sql.json_text('data', 'state')} = "
                "'failed'", reply_id)
    assert event[0] == reply_id + 1

    # The conversation is resolved; the customer answers the email (no In-Reply-To: the
    # reply token alone must bring it back to this conversation, not open a new one).
    def resolve_and_answer() -> int:
        store = Store(database)
        try:
            resolve(store, conv, agent(store))
            raw = (f"From: Olga <olga@example.org>\r\nTo: support+{token}@shop.test\r\n"
                   f"Subject: {mail['Subject']}\r\nMessage-ID: <answer1@example.org>\r\n"
                   "Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\n\r\nThank you!\r\n").encode()
            (result,) = ingest_batch(store, [to_inbound(raw, "mail", ADDRESS)])
            return int(row(database, "SELECT conversation_id FROM message WHERE id = ?",
                           result.message_id)[0])
        finally:
            store.close()

    assert await asyncio.to_thread(resolve_and_answer) == conv
    status, customers = row(database, "SELECT status, (SELECT count(*) FROM customer) "
                            "FROM conversation WHERE id = ?", conv)
    assert status == "open" and customers == 1


async def test_a_visitor_who_left_recently_or_has_no_email_gets_the_chat_reply(
        shop: Shop) -> None:
    database = shop.settings.database
    await chat_and_leave(shop, "recent", "hi, I am recent@example.org")
    await chat_and_leave(shop, "nomail", "hi, no address from me")
    shop.clock.offset = 9 * 60  # inside the ten minutes: the visitor may come back
    await asyncio.to_thread(queue_reply, database, "recent", "Hello recent")
    await wait_until(lambda: [s[1] for s in outbound_states(database)] == ["sent"])
    shop.clock.offset = 60 * 60  # long gone, but no email address is known
    await asyncio.to_thread(queue_reply, database, "nomail", "Hello nomail")
    await wait_until(lambda: [s[1] for s in outbound_states(database)] == ["sent", "sent"])
    assert [s[0] for s in outbound_states(database)] == ["chat", "chat"]
    # Pushed after the next hello, as before.
    c = await Raw.open(shop.socket)
    await c.ask({"type": "hello", "visitor": "nomail"})
    assert (await c.recv())["text"] == "Hello nomail"
    await c.close()
    assert shop.smtp.handler.received == []


async def test_after_a_restart_the_last_message_time_is_the_floor(shop: Shop) -> None:
    database = shop.settings.database
    await chat_and_leave(shop, "v2", "reach me at v2@example.org")
    await shop.close()
    await shop.start()  # a new channel object: it has seen nobody yet
    shop.clock.offset = 5 * 60
    await asyncio.to_thread(queue_reply, database, "v2", "first")
    await wait_until(lambda: [s[1] for s in outbound_states(database)] == ["sent"])
    shop.clock.offset = 11 * 60
    await asyncio.to_thread(queue_reply, database, "v2", "second")
    await wait_until(lambda: len(shop.smtp.handler.received) == 1, timeout=15)
    assert [(s[0], s[1]) for s in outbound_states(database)][:2] == [("chat", "sent"),
                                                                    ("chat", "failed")]
