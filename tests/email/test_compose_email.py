"""A conversation started by email from the CLI, end to end: the real hub sends it through
aiosmtpd with the signature and the legal footer, and the customer's answer, delivered to the
Dovecot mailbox, threads into that conversation."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import subprocess
import sys
from pathlib import Path

from mailcorpus import simple
from mailservers import Dovecot, SmtpServer
from test_email_hub import hub

from omnitui.config import load_settings
from omnitui.core.agents import add_agent
from omnitui.store.db import Store
from tests.hub_waits import rows, until

REPO = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, dovecot: Dovecot, user: str, smtp_port: int) -> Path:
    path = tmp_path / "omnitui.toml"
    path.write_text(
        f'[omnitui]\ndata_dir = "{tmp_path / "data"}"\nshop_name = "Shoe Shop"\n\n'
        '[channels.mail]\nkind = "email"\naddress = "support@shop.test"\n'
        f'imap_host = "127.0.0.1"\nimap_port = {dovecot.port}\nimap_security = "none"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\nsmtp_security = "none"\n'
        f'username = "{user}"\npassword_env = "PW"\ntimeout = 5.0\npoll_interval = 1.0\n'
        'footer = "Shoe Shop Ltd · Registered in Gdańsk, KRS 0000123456"\n')
    return path


def omnitui(config: Path, password: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PW": password, "OMNITUI_CONFIG": str(config), "OMNITUI_AGENT": "ann"}
    return subprocess.run([sys.executable, "-m", "omnitui", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)


async def test_composed_email_is_signed_and_the_answer_threads_into_it(
        dovecot: Dovecot, user: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PW", dovecot.users[user])
    with SmtpServer() as smtp:
        config = write_config(tmp_path, dovecot, user, smtp.port)
        settings = load_settings(config)
        (tmp_path / "data").mkdir()
        store = Store.open(settings.database)
        add_agent(store, "ann", "Ann Kowalska")
        async with hub(settings):
            done = await asyncio.to_thread(
                omnitui, config, dovecot.users[user], "compose", "--to", "Alice@Customer.test",
                "--subject", "Your order 4412", "--json", "Your parcel left today.")
            assert done.returncode == 0, done.stderr
            started = json.loads(done.stdout)
            assert started["new_customer"] and started["channel"] == "mail"
            await until(lambda: smtp.handler.received, what="the message at the SMTP server")
            _sender, rcpts, data = smtp.handler.received[0]
            assert rcpts == ["alice@customer.test"]
            sent = email.message_from_bytes(data, policy=email.policy.default)
            assert sent["Subject"].startswith("Your order 4412 [ref:")
            assert "In-Reply-To" not in sent
            body = sent.get_content()
            assert body.replace("\r\n", "\n").rstrip("\n") == (
                "Your parcel left today.\n\nAnn Kowalska\nShoe Shop\n\n"
                "Shoe Shop Ltd · Registered in Gdańsk, KRS 0000123456")
            wire_id = sent["Message-ID"]
            await until(lambda: rows(settings, "SELECT 1 FROM message WHERE id = ? AND "
                                     "delivery_state = 'sent'", (started["message_id"],)),
                        what="sent")
            # Alice answers from a client that keeps In-Reply-To but drops the subject tag.
            answer = simple(subject="Re: Your order 4412", msgid="<a1@customer.test>",
                            body="Thanks! Which courier?",
                            extra=f"In-Reply-To: {wire_id}\r\nReferences: {wire_id}\r\n")
            await asyncio.to_thread(dovecot.append, user, [answer])
            await until(lambda: rows(settings, "SELECT 1 FROM message WHERE kind = 'inbound'"),
                        what="the answer ingested")
        store.close()
    [(conv, customer)] = rows(settings, "SELECT conversation_id, customer_id FROM message "
                                        "WHERE kind = 'inbound'")
    assert (conv, customer) == (started["conversation_id"], started["customer_id"])
    assert rows(settings, "SELECT count(*) FROM conversation") == [(1,)]
    [(status, waiting, assignee, started_by)] = rows(
        settings, "SELECT c.status, c.waiting_since IS NOT NULL, a.username, c.started_by "
                  "FROM conversation c JOIN agent a ON a.id = c.assignee_id")
    assert (status, waiting, assignee) == ("open", 1, "ann") and started_by is not None


def test_compose_refusals_are_one_sentence(tmp_path: Path, dovecot: Dovecot, user: str) -> None:
    config = write_config(tmp_path, dovecot, user, 9)
    (tmp_path / "data").mkdir()
    store = Store.open(load_settings(config).database)
    add_agent(store, "ann", "Ann Kowalska")
    store.close()
    for args, sentence in [
        (("--to", "alice@@customer"), "Error: 'alice@@customer' is not a valid email address."),
        (("--to", "Nobody Known"), "Error: There is no customer called 'Nobody Known'"),
        (("--to", "alice@customer.test", "--via", "telegram"), "Error: No Telegram channel is "
                                                               "configured."),
    ]:
        done = omnitui(config, "pw", "compose", *args, "Hello")
        assert done.returncode == 1 and done.stderr.startswith(sentence), done.stderr
        assert "Traceback" not in done.stderr
    empty = subprocess.run([sys.executable, "-m", "omnitui", "compose", "--to", "a@b.test", "-"],
                           input="\n\n", env={**os.environ, "PW": "pw",
                                              "OMNITUI_CONFIG": str(config),
                                              "OMNITUI_AGENT": "ann"},
                           cwd=REPO, capture_output=True, text=True, timeout=60)
    assert empty.returncode == 1
    assert empty.stderr.strip() == "Error: A new conversation needs some text."
    assert rows(load_settings(config), "SELECT count(*) FROM message") == [(0,)]
