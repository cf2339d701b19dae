"""The seed story, end to end: Anna is recognised and her two cases become one.

Real parts throughout: the hub runs as `omnitui serve` in a child process, Telegram is the Bot
API stand-in on loopback, mail comes from a real Dovecot over IMAP and leaves through aiosmtpd,
and both agents work in the real console (Textual's pilot) on the same data dir.

Anna writes on Telegram and nobody answers. Agent ann finds her by the order number (`/`), logs
her call with her phone number (`c`) and transfers the case to bob (`t`). Anna then emails from
an address the shop has never seen, with the same name and order number. The suggestion appears
with its reasons; bob merges it with `s` and the two conversations fold into one, assigned to
bob, showing the Telegram message, the call, the transfer note and the email in order. bob's
reply leaves by email (where Anna last wrote), and her answer to it lands in the same case.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnitui.config import Settings, load_settings
from omnitui.core.agents import add_agent
from omnitui.store.db import Store
from omnitui.tui.app import make_app
from omnitui.tui.dialogs.call_log import CallLogDialog
from omnitui.tui.dialogs.merge import MergeDialog
from omnitui.tui.dialogs.transfer import TransferDialog
from omnitui.tui.screens.conversation import ConversationScreen
from tests.fakes.telegram_api import TOKEN, FakeTelegram
from tests.hub_waits import rows, until
from tests.tui.helpers import type_text
from tests.tui.screen_text import screen_text

# The mail servers and sample mail of tests/email, as its own tests import them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "email"))

from mailcorpus import simple
from mailservers import Dovecot, SmtpServer, dovecot_available

ANNA_TELEGRAM = 5512
ANNA_MAIL = "anna.k@post.test"
PHONE = "+48 601 234 567"


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    if not dovecot_available():
        if os.environ.get("CI") == "true":
            pytest.fail("Dovecot (package dovecot-imapd) is missing and CI=true: install it.")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd)")
    server = Dovecot()
    server.start()
    yield server
    server.close()


def shop_config(tmp_path: Path, tg: FakeTelegram, dovecot: Dovecot, smtp_port: int) -> Path:
    conf = tmp_path / "omnitui.toml"
    conf.write_text(
        f'[omnitui]\ndata_dir = "{tmp_path / "data"}"\ntimezone = "UTC"\n\n'
        f'[channels.bot]\nkind = "telegram"\ntoken_env = "TG_TOKEN"\n'
        f'base_url = "{tg.base_url}"\nbase_file_url = "{tg.base_file_url}"\npoll_timeout = 1\n\n'
        f'[channels.mail]\nkind = "email"\naddress = "support@shop.test"\n'
        f'imap_host = "127.0.0.1"\nimap_port = {dovecot.port}\nimap_security = "none"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp_port}\nsmtp_security = "none"\n'
        f'username = "user1"\npassword_env = "PW"\npoll_interval = 1\ntimeout = 5\n',
        encoding="utf-8")
    return conf


def cli(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "omnitui", *args], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@contextlib.contextmanager
def hub_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "omnitui", "serve"], env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def the_one(settings: Settings, sql: str, params: tuple = ()) -> tuple:
    found = rows(settings, sql, params)
    assert len(found) == 1, found
    return found[0]


async def ann_finds_calls_and_transfers(settings: Settings) -> int:
    """ann's console: search by the order number, log the call with the number, transfer."""
    console = make_app(settings, "ann", feed_interval=0.05)
    async with console.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        await type_text(pilot, "4412")
        await until(lambda: "Anna Kowalska" in screen_text(console), what="the search hit")
        await pilot.press("enter")
        await pilot.pause()
        screen = console.screen
        assert isinstance(screen, ConversationScreen)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(console.screen, CallLogDialog)
        await type_text(pilot, "Anna called: parcel 4412 still missing")
        await pilot.press("tab")
        await type_text(pilot, PHONE)
        await pilot.press("ctrl+j")
        await pilot.pause()
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(console.screen, TransferDialog)
        draft = console.screen.query_one("#transfer-note").text  # type: ignore[attr-defined]
        assert "Order numbers: 4412" in draft
        assert f"(Ann, {PHONE}): Anna called: parcel 4412 still missing" in draft
        await pilot.press("ctrl+j")  # bob is the only colleague, highlighted
        await pilot.pause()
        return screen.conversation_id


async def bob_merges_and_answers(settings: Settings, new_conversation: int,
                                 old_conversation: int) -> None:
    """bob's console: the suggestion with its reasons, `s`, the folded case, a reply."""
    console = make_app(settings, "bob", feed_interval=0.05)
    async with console.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        console.open_conversation(new_conversation)
        await pilot.pause()
        panel = " ".join(screen_text(console).split())
        assert "≈ probably Anna Kowalska:" in panel
        assert "same name" in panel and "order 4412" in panel
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(console.screen, MergeDialog)
        preview = " ".join(screen_text(console).replace("│", " ").split())
        assert (f"#{new_conversation} (mail, 1 message) folds into the older conversation "
                f"#{old_conversation} (bot, assigned to bob)") in preview
        await pilot.press("ctrl+j")
        await pilot.pause()
        screen = console.screen
        assert isinstance(screen, ConversationScreen)
        assert screen.conversation_id == old_conversation
        timeline = screen.timeline.plain()
        order = [timeline.index(part) for part in (
            "my order 4412 has not arrived", "Anna called: parcel 4412 still missing",
            "Customer: Anna Kowalska", "I wrote to you on Telegram about order 4412")]
        assert order == sorted(order), timeline
        await pilot.press("r")
        await type_text(pilot, "We found your parcel, it leaves today.")
        await pilot.press("ctrl+j")
        await pilot.pause()


@pytest.mark.slow
async def test_anna_is_recognised_and_her_two_cases_become_one(
        dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TG_TOKEN", TOKEN)
    monkeypatch.setenv("PW", dovecot.users["user1"])
    async with FakeTelegram() as tg:
        with SmtpServer() as smtp:
            conf = shop_config(tmp_path, tg, dovecot, smtp.port)
            monkeypatch.setenv("OMNITUI_CONFIG", str(conf))
            env = {**os.environ}
            settings = load_settings(conf)
            settings.data_dir.mkdir()
            store = Store.open(settings.database)  # creates the database, as `omnitui init`
            add_agent(store, "ann", "Ann")
            add_agent(store, "bob", "Bob")
            store.close()
            with hub_process(env, tmp_path / "hub.err"):
                tg.message(ANNA_TELEGRAM, "Hello, my order 4412 has not arrived. Where is it?",
                           first_name="Anna", last_name="Kowalska")
                await until(lambda: rows(settings, "SELECT 1 FROM message WHERE kind = "
                                         "'inbound'"), timeout=30, what="Anna's Telegram message")
                old = await ann_finds_calls_and_transfers(settings)
                assert the_one(settings, "SELECT a.username FROM conversation c JOIN agent a ON "
                               "a.id = c.assignee_id WHERE c.id = ?", (old,)) == ("bob",)

                mail = simple(subject="Order 4412", msgid="<a1@post.test>",
                              sender=f"Anna Kowalska <{ANNA_MAIL}>",
                              body="Hello, I wrote to you on Telegram about order 4412. "
                                   "It still has not come.\r\nAnna Kowalska")
                await asyncio.to_thread(dovecot.append, "user1", [mail])
                (new,) = await until(lambda: [r[0] for r in rows(
                    settings, "SELECT conversation_id FROM message WHERE wire_id = ?",
                    ("<a1@post.test>",))], timeout=30, what="Anna's email")
                assert new != old
                listed = json.loads(cli(env, "customer", "suggestions", "--json"))
                assert len(listed) == 1 and listed[0]["candidate_name"] == "Anna Kowalska"
                assert {"same name", "order 4412"} <= set(listed[0]["reasons"])

                await bob_merges_and_answers(settings, new, old)
                assert the_one(settings, "SELECT a.username, c.status FROM conversation c JOIN "
                               "agent a ON a.id = c.assignee_id WHERE c.id = ?", (old,)) == (
                    "bob", "open")
                kinds = rows(settings, "SELECT kind, channel FROM message WHERE "
                             "conversation_id = ? ORDER BY id", (old,))
                assert kinds[:4] == [("inbound", "bot"), ("call", None), ("transfer", None),
                                     ("inbound", "mail")]
                assert the_one(settings, "SELECT merged_into FROM conversation WHERE id = ?",
                               (new,)) == (old,)

                # bob's reply leaves by email, where Anna last wrote, in her thread.
                await until(lambda: smtp.handler.received, timeout=30, what="bob's email")
                _, rcpts, data = smtp.handler.received[-1]
                sent = email.message_from_bytes(data, policy=email.policy.default)
                assert rcpts == [ANNA_MAIL] and "Order 4412" in sent["Subject"]
                assert sent["In-Reply-To"] == "<a1@post.test>"
                # Her answer to it lands in the one case, not in the folded one.
                answer = simple(subject=f"Re: {sent['Subject']}", msgid="<a2@post.test>",
                                sender=f"Anna Kowalska <{ANNA_MAIL}>", body="Thank you!",
                                extra=f"In-Reply-To: {sent['Message-ID']}\r\n")
                await asyncio.to_thread(dovecot.append, "user1", [answer])
                (where,) = await until(lambda: [r[0] for r in rows(
                    settings, "SELECT conversation_id FROM message WHERE wire_id = ?",
                    ("<a2@post.test>",))], timeout=30, what="Anna's answer")
                assert where == old
