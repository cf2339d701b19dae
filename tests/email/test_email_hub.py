"""End to end through the real hub and store: Dovecot in, aiosmtpd out, routing, bounce, kill -9."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from mailcorpus import simple
from mailservers import Dovecot, SmtpServer
from test_email_flags import dsn

from omnitui.channels.email import EmailChannel
from omnitui.config import Settings, parse_settings
from omnitui.core.actions import resolve
from omnitui.core.agents import add_agent
from omnitui.core.reply import reply
from omnitui.hub import serve
from omnitui.store.db import Store
from tests.hub_waits import rows, until


def mail_settings(data_dir: Path, dovecot: Dovecot, user: str, smtp_port: int,
                  monkeypatch: pytest.MonkeyPatch | None = None, **extra: object) -> Settings:
    env = f"OMNITUI_TEST_PW_{user.upper()}"
    if monkeypatch is not None:
        monkeypatch.setenv(env, dovecot.users[user])
    table: dict[str, object] = {
        "kind": "email", "address": "support@shop.test", "imap_host": "127.0.0.1",
        "imap_port": dovecot.port, "imap_security": "none", "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port, "smtp_security": "none", "username": user,
        "password_env": env, "timeout": 5.0, "poll_interval": 1.0, **extra,
    }
    return parse_settings(
        {"omnitui": {"data_dir": str(data_dir), "timezone": "UTC"}, "channels": {"mail": table}},
        None,
    )


@contextlib.asynccontextmanager
async def hub(settings: Settings):
    stop = asyncio.Event()
    channel = EmailChannel("mail", settings.channels["mail"], backoff=(0.2, 1.0))  # type: ignore[arg-type]
    task = asyncio.create_task(serve(settings, install_signals=False, channels={"mail": channel},
                                     stop=stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


async def test_round_trip_threading_spoofing_and_bounce(dovecot, user, tmp_path, monkeypatch):
    with SmtpServer() as smtp:
        settings = mail_settings(tmp_path / "data", dovecot, user, smtp.port, monkeypatch)
        async with hub(settings):
            await asyncio.to_thread(dovecot.append, user, [simple(msgid="<q1@customer.test>")])
            await until(lambda: rows(settings, "SELECT id FROM message WHERE kind='inbound'"),
                        what="first inbound")
            [(conv, _cust)] = rows(settings, "SELECT id, customer_id FROM conversation")
            store = Store.open(settings.database, migrate=False)
            ann = add_agent(store, "ann", "Ann")
            queued = reply(store, conv, "It left today.", ann)
            await until(lambda: smtp.handler.received, what="the reply at the SMTP server")
            sent = email.message_from_bytes(smtp.handler.received[0][2],
                                            policy=email.policy.default)
            wire_id = sent["Message-ID"]
            assert wire_id.endswith("@shop.test>")
            assert sent["In-Reply-To"] == "<q1@customer.test>"
            token = sent["Reply-To"].split("+", 1)[1].split("@", 1)[0]
            await until(lambda: rows(settings, "SELECT 1 FROM message WHERE id=? AND "
                                     "delivery_state='sent'", (queued.message_id,)), what="sent")
            assert rows(settings, "SELECT wire_id FROM message WHERE id=?",
                        (queued.message_id,)) == [(wire_id,)]
            resolve(store, conv, ann)

            # The customer answers the resolved case: the thread reference finds it again.
            answer = simple(subject=f"Re: {sent['Subject']}", msgid="<q2@customer.test>",
                            extra=f"In-Reply-To: {wire_id}\r\n")
            # Mallory copies the ids and the token: it must not join Alice's case.
            spoof = simple(sender="mallory@evil.test", subject="Re: hi [ref:" + token + "]",
                           msgid="<s1@evil.test>", to=f"support+{token}@shop.test",
                           extra=f"In-Reply-To: {wire_id}\r\n"
                           "References: <q1@customer.test>\r\n")
            bounce = dsn(wire_id)
            await asyncio.to_thread(dovecot.append, user, [answer, spoof, bounce])
            await until(lambda: len(rows(settings, "SELECT 1 FROM message WHERE kind='inbound'"))
                        == 4, what="three more inbound")
            store.close()
        by_wire = dict(rows(settings, "SELECT wire_id, conversation_id FROM message "
                                      "WHERE kind='inbound'"))
        assert by_wire["<q2@customer.test>"] == conv
        assert by_wire["<s1@evil.test>"] != conv
        [(state, reason)] = rows(settings, "SELECT delivery_state, failure_reason FROM message "
                                           "WHERE id=?", (queued.message_id,))
        assert state == "failed" and "User unknown" in (reason or "")
        [(flags,)] = rows(settings, "SELECT flags FROM message WHERE wire_id='<dsn1@mx.shop.test>'")
        assert "bounce" in flags
        # Nothing answered the spoofer or the bounce (a CSAT request to Alice may follow resolve).
        assert all(rcpts == ["alice@customer.test"] for _, rcpts, _ in smtp.handler.received)


async def test_backfill_state_visible_in_store(dovecot, user, tmp_path, monkeypatch):
    mails = [simple(subject=f"b{i}", msgid=f"<bf{i}@c.test>") for i in range(300)]
    await asyncio.to_thread(dovecot.append, user, mails)
    settings = mail_settings(tmp_path / "data", dovecot, user, 9, monkeypatch, batch_size=50)
    async with hub(settings):
        await until(lambda: len(rows(settings, "SELECT 1 FROM message")) == 300, what="backfill")
    details = rows(settings, "SELECT data FROM event WHERE kind='channel_state'")
    assert any("backfilling" in d[0] and "of 300" in d[0] for d in details), details


def write_config(tmp_path: Path, dovecot: Dovecot, user: str, batch_size: int) -> Path:
    """A config file as a user writes it; the password comes from $PW."""
    conf = tmp_path / "omnitui.toml"
    conf.write_text(
        f'[omnitui]\ndata_dir = "{tmp_path / "data"}"\n\n[channels.mail]\nkind = "email"\n'
        f'address = "support@shop.test"\nimap_host = "127.0.0.1"\nimap_port = {dovecot.port}\n'
        f'imap_security = "none"\nsmtp_host = "127.0.0.1"\nsmtp_port = 9\n'
        f'smtp_security = "none"\nusername = "{user}"\npassword_env = "PW"\n'
        f"batch_size = {batch_size}\n"
    )
    return conf


def test_channel_sync_command(dovecot, user, tmp_path):
    """`omnitui channel sync mail` backfills in the foreground; a second run finds nothing."""
    dovecot.append(user, [simple(subject=f"c{i}", msgid=f"<cli{i}@c.test>") for i in range(120)])
    conf = write_config(tmp_path, dovecot, user, batch_size=50)
    env = {**os.environ, "PW": dovecot.users[user], "OMNITUI_CONFIG": str(conf)}
    init = subprocess.run([sys.executable, "-m", "omnitui", "init"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert init.returncode == 0, init.stderr
    cmd = [sys.executable, "-m", "omnitui", "channel", "sync", "mail"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "120 new message" in first.stdout
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0 and "0 new message" in second.stdout


HUB_SCRIPT = """
import asyncio, sys
from pathlib import Path
from omnitui.config import load_settings
from omnitui.hub import serve
asyncio.run(serve(load_settings(Path(sys.argv[1]))))
"""


@pytest.mark.slow
async def test_kill_9_during_big_fetch_loses_and_doubles_nothing(dovecot, user, tmp_path):
    n = 2000
    mails = [simple(subject=f"k{i}", body=f"{i} " + "y" * 1000, msgid=f"<k{i}@c.test>")
             for i in range(n)]
    await asyncio.to_thread(dovecot.drop_into_maildir, user, mails)
    data = tmp_path / "data"
    conf = write_config(tmp_path, dovecot, user, batch_size=100)
    env = {**os.environ, "PW": dovecot.users[user]}
    settings = parse_settings({"omnitui": {"data_dir": str(data)}}, None)

    def count() -> int:
        if not settings.database.exists():
            return 0
        try:
            return rows(settings, "SELECT count(*) FROM message WHERE kind='inbound'")[0][0]
        except Exception:
            return 0

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-c", HUB_SCRIPT, str(conf)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    proc = start()
    try:
        await until(lambda: count() >= 300, timeout=60, what="a partial backfill")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        before = count()
        assert before < n, "the kill came too late to interrupt the fetch"
        (data / "hub.lock").unlink(missing_ok=True)
        proc = start()
        await until(lambda: count() >= n, timeout=90, what="the rest after restart")
        await asyncio.sleep(1.5)  # would a duplicate batch arrive late?
    finally:
        proc.terminate()
        proc.wait(10)
    total, distinct_ext, distinct_wire = rows(
        settings, "SELECT count(*), count(DISTINCT external_id), count(DISTINCT wire_id) "
        "FROM message WHERE kind='inbound'")[0]
    assert (total, distinct_ext, distinct_wire) == (n, n, n)


async def test_malformed_corpus_through_the_hub(dovecot, user, tmp_path, monkeypatch):
    """Every malformed mail is stored or quarantined by the real core; the channel keeps going."""
    from mailcorpus import CORPUS, with_attachment

    raws = [raw for raw in CORPUS.values() if raw]
    raws.append(with_attachment(os.urandom(20 * 1024 * 1024), "big.bin", "application/zip"))
    raws.append(simple(subject="after the corpus", msgid="<last@customer.test>"))
    await asyncio.to_thread(dovecot.append, user, raws)
    settings = mail_settings(tmp_path / "data", dovecot, user, 9, monkeypatch, batch_size=5)
    async with hub(settings):
        await until(lambda: len(rows(settings, "SELECT 1 FROM message WHERE kind='inbound'"))
                    == len(raws), timeout=60, what="the whole corpus")
    quarantined = rows(settings, "SELECT meta FROM message WHERE flags LIKE '%quarantined%'")
    assert quarantined and all('"error"' in m for (m,) in quarantined)
    [(size,)] = rows(settings, "SELECT size FROM attachment WHERE filename = 'big.bin'")
    assert size == 20 * 1024 * 1024
    [(subject,)] = rows(settings, "SELECT subject FROM message WHERE wire_id = ?",
                        ("<ctl@customer.test>",))
    assert "\x1b" not in subject and "\u202e" not in subject  # the core sanitised it
