"""Sending through real SMTP servers on loopback: headers, error kinds, ambiguous resend, Sent."""

from __future__ import annotations

import email
import email.message
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mailctx import make_settings
from mailservers import Dovecot, DropAfterData, SmtpServer, free_port

from omnitui.channels.base import (
    AmbiguousError,
    Outbound,
    OutboundAttachment,
    PermanentError,
    TemporaryError,
)
from omnitui.channels.email import EmailChannel
from omnitui.channels.email.inbound import to_inbound
from omnitui.channels.email.smtp import build_message


def outbound(**kw: object) -> Outbound:
    values: dict[str, object] = {
        "message_id": 1,
        "channel": "mail",
        "kind": "email",
        "address": "alice@customer.test",
        "text": "Your parcel left today.\nRegards",
        "agent_name": "Bob",
        "created_at": datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        "conversation_id": 9,
        "subject": "Re: Where is my order?",
        "wire_id": "<r1.abc@shop.test>",
        "in_reply_to": "<m1@customer.test>",
        "references": ("<m0@customer.test>",),
        "reply_token": "tok123456",
    }
    values.update(kw)
    return Outbound(**values)  # type: ignore[arg-type]


def channel_for(monkeypatch, port: int, **kw: object) -> EmailChannel:
    return EmailChannel("mail", make_settings(None, "support", monkeypatch, smtp_port=port, **kw))


def received_reply(server: SmtpServer, wire_id: str | None) -> email.message.EmailMessage:
    """The one message `outbound()` put on the server, its envelope and threading checked."""
    [(sender, rcpts, data)] = server.handler.received
    assert (sender, rcpts) == ("support@shop.test", ["alice@customer.test"])
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert wire_id == msg["Message-ID"] == "<r1.abc@shop.test>"
    assert msg["From"] == "support@shop.test"
    assert msg["In-Reply-To"] == "<m1@customer.test>"
    assert msg["References"] == "<m0@customer.test> <m1@customer.test>"
    assert msg["Reply-To"] == "support+tok123456@shop.test"
    assert "[ref:tok123456]" in msg["Subject"]
    return msg  # type: ignore[return-value]


async def test_reply_headers_and_body(monkeypatch):
    with SmtpServer() as server:
        result = await channel_for(monkeypatch, server.port).send(outbound())
    msg = received_reply(server, result.wire_id)
    assert msg["Auto-Submitted"] is None
    assert msg.get_content().replace("\r\n", "\n").strip() == "Your parcel left today.\nRegards"


async def test_customer_reply_round_trips_token_and_thread(monkeypatch):
    """What we send, answered by a normal client, routes back by headers and by token."""
    data, msgid = build_message(outbound(), make_settings(None, "s", monkeypatch))
    sent = email.message_from_bytes(data, policy=email.policy.default)
    answer = (
        f"From: alice@customer.test\r\nTo: {sent['Reply-To']}\r\nSubject: Re: {sent['Subject']}\r\n"
        f"Message-ID: <a2@customer.test>\r\nIn-Reply-To: {msgid}\r\n"
        f"References: {sent['References']} {msgid}\r\n\r\nThanks!\r\n"
    ).encode()
    inbound = to_inbound(answer, "mail", "support@shop.test")
    assert inbound.thread_refs[0] == msgid
    assert inbound.reply_token == "tok123456"


async def test_automatic_mail_carries_auto_submitted(monkeypatch):
    with SmtpServer() as server:
        await channel_for(monkeypatch, server.port).send(outbound(automatic=True))
    msg = email.message_from_bytes(server.handler.received[0][2], policy=email.policy.default)
    assert msg["Auto-Submitted"] == "auto-replied"


async def test_attachment_is_sent(monkeypatch, tmp_path: Path):
    path = tmp_path / "label.pdf"
    path.write_bytes(b"%PDF-1.4 fake")
    att = OutboundAttachment(path, "label.pdf", "application/pdf", path.stat().st_size)
    with SmtpServer() as server:
        await channel_for(monkeypatch, server.port).send(outbound(attachments=(att,)))
    msg = email.message_from_bytes(server.handler.received[0][2], policy=email.policy.default)
    [part] = list(msg.iter_attachments())
    assert part.get_filename() == "label.pdf" and part.get_content() == b"%PDF-1.4 fake"


async def test_same_outbound_gives_same_bytes(monkeypatch, tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_text("x")
    att = OutboundAttachment(path, "a.txt", "text/plain", 1)
    settings = make_settings(None, "s", monkeypatch)
    assert build_message(outbound(attachments=(att,)), settings) == build_message(
        outbound(attachments=(att,)), settings
    )


@pytest.mark.parametrize(
    ("reply", "rcpt_reply", "error", "text"),
    [
        ("451 4.3.0 try again later", None, TemporaryError, "451"),
        ("550 5.7.1 message rejected as spam", None, PermanentError, "rejected as spam"),
        ("250 OK", "550 5.1.1 no such user", PermanentError, "no such user"),
        ("250 OK", "452 4.2.2 mailbox full", TemporaryError, "mailbox full"),
    ],
)
async def test_server_codes_map_to_error_kinds(monkeypatch, reply, rcpt_reply, error, text):
    with SmtpServer(reply=reply, rcpt_reply=rcpt_reply) as server, pytest.raises(error, match=text):
        await channel_for(monkeypatch, server.port).send(outbound())


async def test_connection_refused_is_temporary(monkeypatch):
    with pytest.raises(TemporaryError):
        await channel_for(monkeypatch, free_port()).send(outbound())


async def test_drop_after_data_is_ambiguous_and_resend_is_identical(monkeypatch):
    async with DropAfterData() as server:
        channel = channel_for(monkeypatch, server.port)
        with pytest.raises(AmbiguousError):
            await channel.send(outbound())
        with pytest.raises(AmbiguousError):
            await channel.send(outbound(attempt=2, after_ambiguous=True))
    first, second = server.received
    assert first == second
    assert b"Message-ID: <r1.abc@shop.test>" in first


async def test_missing_wire_id_gets_one(monkeypatch):
    with SmtpServer() as server:
        result = await channel_for(monkeypatch, server.port).send(outbound(wire_id=None))
    assert result.wire_id and result.wire_id.startswith("<") and result.wire_id.endswith(">")
    assert f"Message-ID: {result.wire_id}".encode() in server.handler.received[0][2]


async def test_copy_to_sent_folder(dovecot: Dovecot, user: str, monkeypatch):
    conn = dovecot.imap(user)
    conn.create("Sent")
    conn.logout()
    with SmtpServer() as server:
        settings = make_settings(dovecot, user, monkeypatch, smtp_port=server.port,
                                 sent_folder="Sent")
        await EmailChannel("mail", settings).send(outbound())
    conn = dovecot.imap(user)
    conn.select("Sent")
    _typ, data = conn.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
    conn.logout()
    assert b"<r1.abc@shop.test>" in data[0][1]
    assert b"\\Seen" in data[0][0]


async def test_failed_sent_copy_never_fails_the_send(dovecot: Dovecot, user: str, monkeypatch):
    with SmtpServer() as server:
        missing = make_settings(dovecot, user, monkeypatch, smtp_port=server.port,
                                sent_folder="No such folder")
        result = await EmailChannel("mail", missing).send(outbound())
        down = make_settings(None, user, monkeypatch, smtp_port=server.port,
                             imap_port=free_port(), sent_folder="Sent")
        result2 = await EmailChannel("mail", down).send(outbound())
    assert result.wire_id == result2.wire_id == "<r1.abc@shop.test>"
    assert len(server.handler.received) == 2


@pytest.mark.parametrize(
    "bad",
    [
        {"address": "alice@customer.test\r\nBcc: everyone@victim.test"},
        {"attachments": (OutboundAttachment(Path("/nonexistent/x.pdf"), "x.pdf", "a/b", 1),)},
    ],
)
async def test_unbuildable_message_fails_permanently(monkeypatch, bad):
    with SmtpServer() as server, pytest.raises(PermanentError):
        await channel_for(monkeypatch, server.port).send(outbound(**bad))
    assert server.handler.received == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_smtp_login_and_refused_login(monkeypatch):
    with SmtpServer(login=("support", "pw")) as server:
        await channel_for(monkeypatch, server.port).send(outbound())  # make_settings: pw "pw"
        assert len(server.handler.received) == 1
        channel = EmailChannel("mail", make_settings(None, "support", monkeypatch,
                                                     smtp_port=server.port, timeout=2.0))
        monkeypatch.setenv("OMNITUI_TEST_PW_SUPPORT", "wrong")
        # A refused login is our account's fault, not the message's: retry, never fail it.
        with pytest.raises(TemporaryError):
            await channel.send(outbound())
        assert len(server.handler.received) == 1
