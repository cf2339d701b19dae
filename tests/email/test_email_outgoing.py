"""Outgoing mail identity: every Message-ID in the sending channel's own domain whichever process
queued the reply (console, CLI, a transfer notice), and the reply-token address as an option."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mailcorpus import simple
from mailservers import SmtpServer
from test_email_hub import hub, mail_settings

from omnitui.channels.base import Outbound
from omnitui.channels.email import EmailChannel
from omnitui.channels.email.smtp import build_message
from omnitui.config import ConfigError, EmailSettings, parse_settings
from omnitui.core.actions import resolve, transfer
from omnitui.core.agents import add_agent
from omnitui.core.reply import reply
from omnitui.store.db import Store
from tests.hub_waits import rows, until


def _email(address: str, **extra: object) -> EmailSettings:
    table = {"kind": "email", "address": address, "imap_host": "127.0.0.1",
             "smtp_host": "127.0.0.1", "username": "u", "password_env": "X", **extra}
    settings = parse_settings({"omnitui": {"data_dir": "/nonexistent"},
                               "channels": {"m": table}}, None)
    return settings.channels["m"]  # type: ignore[return-value]


def _outbound(**kw: object) -> Outbound:
    fields: dict[str, object] = dict(
        message_id=1, conversation_id=1, channel="m", kind="email",
        address="ann@customer.test", text="Hi", agent_name="Bob",
        created_at=datetime(2026, 11, 23, tzinfo=UTC), subject="Order 7",
        wire_id="<w1@shop.test>", reply_token="tok123abc")
    fields.update(kw)
    return Outbound(**fields)  # type: ignore[arg-type]


def test_reply_token_option_plus_and_off():
    plus, _ = build_message(_outbound(), _email("support@shop.test"))
    off, _ = build_message(_outbound(), _email("support@shop.test", reply_token="off"))
    plus_msg = email.message_from_bytes(plus, policy=email.policy.default)
    off_msg = email.message_from_bytes(off, policy=email.policy.default)
    assert plus_msg["Reply-To"] == "support+tok123abc@shop.test"
    assert plus_msg["Subject"] == "Order 7 [ref:tok123abc]"
    assert off_msg["Reply-To"] is None and off_msg["Subject"] == "Order 7"
    assert b"tok123abc" not in off


def test_reply_token_must_be_plus_or_off():
    with pytest.raises(ConfigError, match=r"'channels\.m\.reply_token' .* must be plus or off"):
        _email("support@shop.test", reply_token="sometimes")


def test_each_channel_names_ids_in_its_own_domain():
    shop = EmailChannel("m", _email("support@shop.test")).new_wire_id(_outbound(wire_id=None))
    other = EmailChannel("n", _email("help@other.example")).new_wire_id(_outbound(wire_id=None))
    assert shop.endswith("@shop.test>") and other.endswith("@other.example>")


def _config_file(path: Path, settings_dir: Path, dovecot, user: str, smtp_port: int) -> Path:
    path.write_text(
        f'[omnitui]\ndata_dir = "{settings_dir}"\ntimezone = "UTC"\n\n'
        f'[channels.mail]\nkind = "email"\naddress = "support@shop.test"\n'
        f'imap_host = "127.0.0.1"\nimap_port = {dovecot.port}\nimap_security = "none"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\nsmtp_security = "none"\n'
        f'username = "{user}"\npassword_env = "OMNITUI_TEST_PW_{user.upper()}"\n'
    )
    return path


async def test_console_cli_and_transfer_replies_use_the_channel_domain(dovecot, user, tmp_path,
                                                                       monkeypatch):
    with SmtpServer() as smtp:
        settings = mail_settings(tmp_path / "data", dovecot, user, smtp.port, monkeypatch,
                                 csat=False)
        cfg = _config_file(tmp_path / "config.toml", tmp_path / "data", dovecot, user, smtp.port)
        async with hub(settings):
            await asyncio.to_thread(dovecot.append, user, [simple(msgid="<q1@customer.test>")])
            await until(lambda: rows(settings, "SELECT id FROM message WHERE kind='inbound'"),
                        what="first inbound")
            [(conv,)] = rows(settings, "SELECT id FROM conversation")
            store = Store.open(settings.database, migrate=False)
            ann = add_agent(store, "ann", "Ann")
            add_agent(store, "bob", "Bob")
            reply(store, conv, "From the console.", ann)  # what the console's send calls
            env = {**os.environ, "OMNITUI_CONFIG": str(cfg), "OMNITUI_AGENT": "ann"}
            done = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "omnitui", "reply", str(conv),
                                 "From the CLI.", "--no-signature"], capture_output=True,
                text=True, env=env,
                timeout=60)
            assert done.returncode == 0, done.stderr
            transfer(store, conv, "bob", "over to you", ann, tell_customer=True)
            store.close()
            await until(lambda: len(smtp.handler.received) >= 3, what="three replies sent")
            await until(lambda: len(rows(settings, "SELECT 1 FROM message WHERE kind='outbound' "
                                                   "AND delivery_state='sent'")) == 3,
                        what="three replies marked sent")
        sent = [email.message_from_bytes(data, policy=email.policy.default)
                for _, _, data in smtp.handler.received]
        by_text = {m.get_content().strip(): m["Message-ID"] for m in sent}
        assert set(by_text) == {"From the console.", "From the CLI.",
                                "Bob is taking over and has the whole story."}
        assert all(mid.endswith("@shop.test>") for mid in by_text.values())
        stored = dict(rows(settings, "SELECT text, wire_id FROM message WHERE kind='outbound'"))
        assert stored == by_text and len(set(stored.values())) == 3


async def test_replies_thread_by_in_reply_to_with_the_token_off(dovecot, user, tmp_path,
                                                                monkeypatch):
    with SmtpServer() as smtp:
        settings = mail_settings(tmp_path / "data", dovecot, user, smtp.port, monkeypatch,
                                 reply_token="off", csat=False)
        async with hub(settings):
            await asyncio.to_thread(dovecot.append, user, [simple(msgid="<q1@customer.test>")])
            await until(lambda: rows(settings, "SELECT id FROM message WHERE kind='inbound'"),
                        what="first inbound")
            [(conv,)] = rows(settings, "SELECT id FROM conversation")
            store = Store.open(settings.database, migrate=False)
            ann = add_agent(store, "ann", "Ann")
            reply(store, conv, "It left today.", ann)
            await until(lambda: smtp.handler.received, what="the reply at the SMTP server")
            sent = email.message_from_bytes(smtp.handler.received[0][2],
                                            policy=email.policy.default)
            assert sent["Reply-To"] is None and "[ref:" not in sent["Subject"]
            assert sent["In-Reply-To"] == "<q1@customer.test>"
            resolve(store, conv, ann)
            store.close()
            # A new case first; then the answer, which its thread alone leads past that open
            # case back to the resolved one.
            unrelated = simple(subject="Another order", msgid="<q3@customer.test>")
            await asyncio.to_thread(dovecot.append, user, [unrelated])
            await until(lambda: len(rows(settings, "SELECT 1 FROM message WHERE kind='inbound'"))
                        == 2, what="the new case")
            answer = simple(subject=f"Re: {sent['Subject']}", msgid="<q2@customer.test>",
                            extra=f"In-Reply-To: {sent['Message-ID']}\r\n"
                                  f"References: <q1@customer.test> {sent['Message-ID']}\r\n")
            await asyncio.to_thread(dovecot.append, user, [answer])
            await until(lambda: len(rows(settings, "SELECT 1 FROM message WHERE kind='inbound'"))
                        == 3, what="the answer")
        by_wire = dict(rows(settings, "SELECT wire_id, conversation_id FROM message "
                                      "WHERE kind='inbound'"))
        assert by_wire["<q2@customer.test>"] == conv
        assert by_wire["<q3@customer.test>"] != conv
