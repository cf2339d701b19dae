"""The demo shop's email and Telegram replies are delivered, locally, like a real shop's.

Replies are queued with the real CLI (`omnitui reply`, its own process) against the demo's
config while a hub runs: first the demo's setup with a hub in the test's process, then the real
`omnitui demo` in tmux (its console, embedded hub and local servers in one process).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from omnitui.config import Settings, load_settings
from omnitui.demo.delivery import LocalDelivery
from omnitui.hub import start_embedded_hub
from omnitui.tui.demo import build_demo
from tests.hub_waits import rows, until

MAIL_REPLY = "Sofia, the second payment for order 31877 is refunded today."
BOT_REPLY = "Дмитрий, да, товар можно вернуть: этикетка уже в пути."


def omnitui(config: Path, *args: str) -> str:
    env = dict(os.environ, OMNITUI_CONFIG=str(config), OMNITUI_AGENT="anna")
    done = subprocess.run([sys.executable, "-m", "omnitui", *args], env=env, text=True,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def reply_to_mail_and_bot(config: Path) -> None:
    conversations = json.loads(omnitui(config, "conversation", "list", "--json"))
    mail = next(c["id"] for c in conversations
                if c["channel"] == "mail" and c["customer"] == "Sofia Rossi")
    bot = next(c["id"] for c in conversations
               if c["channel"] == "bot" and c["customer"] == "Дмитрий Смирнов")
    omnitui(config, "reply", str(mail), MAIL_REPLY)
    omnitui(config, "reply", str(bot), BOT_REPLY)


def sent(settings: Settings) -> list[tuple]:
    """The channels of the two replies that reached 'sent' (the email one signed below)."""
    return rows(settings, "SELECT channel FROM message WHERE (text = ? OR text LIKE ?) "
                "AND delivery_state = 'sent' ORDER BY channel",
                (BOT_REPLY, MAIL_REPLY + "\n%"))


def delivered(root: Path) -> tuple[list[Path], list[Path]]:
    return (sorted((root / "delivered" / "mail").glob("*.eml")),
            sorted((root / "delivered" / "telegram").glob("*.txt")))


def assert_delivered_files(root: Path) -> None:
    """One file per reply, named for its recipient. (Other files may be there: a hub that
    starts settles the demo's recent resolves and asks those customers for a rating.)"""
    mails, texts = delivered(root)
    to_sofia = [m for m in mails if m.name.endswith("-sofia.rossi@example.org.eml")]
    assert len(to_sofia) == 1, mails
    mail = email.message_from_bytes(to_sofia[0].read_bytes(), policy=email.policy.default)
    assert mail["To"] == "sofia.rossi@example.org"
    assert mail["From"].addresses[0].addr_spec == "support@demo-shop.localhost"
    assert MAIL_REPLY in mail.get_body().get_content()  # type: ignore[union-attr]
    to_dmitry = [t.read_text(encoding="utf-8") for t in texts
                 if t.name.endswith("-chat100200300.txt")]
    assert to_dmitry.count(BOT_REPLY + "\n") == 1, texts


async def test_demo_setup_delivers_mail_and_telegram_replies(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    delivery = LocalDelivery(root / "delivered").start()
    try:
        settings = build_demo(root, channels_toml=delivery.config_toml())
        hub = start_embedded_hub(settings)
        assert hub is not None
        try:
            await until(lambda: len(rows(settings, "SELECT 1 FROM channel_state WHERE channel "
                                         "IN ('mail', 'bot') AND state = 'up'")) == 2,
                        what="the demo's mail and bot channels to be up")
            config: Path = settings.path  # type: ignore[assignment]
            await asyncio.to_thread(reply_to_mail_and_bot, config)
            await until(lambda: len(sent(settings)) == 2, what="both replies to be sent")
            assert sent(settings) == [("bot",), ("mail",)]
            label = tmp_path / "return-label.pdf"
            label.write_bytes(b"%PDF-1.4 a return label\n")
            bot = rows(settings, "SELECT conversation_id FROM message WHERE text = ?",
                       (BOT_REPLY,))[0][0]
            await asyncio.to_thread(omnitui, config, "reply", str(bot), "The label:",
                                    "--attach", str(label))
            await until(lambda: rows(settings, "SELECT 1 FROM message WHERE text = "
                                     "'The label:' AND delivery_state = 'sent'"),
                        what="the reply with a file to be sent")
            status = json.loads(omnitui(config, "status", "--json"))
            assert status["outbox"]["queued"] == 0, status
            # what a shop checks first: can it log in to its mail servers and its bot?
            doctor = await asyncio.to_thread(omnitui, config, "doctor", "--online")
            assert "FAIL" not in doctor and "Telegram getMe" in doctor, doctor
        finally:
            hub.stop()
    finally:
        delivery.stop()
    assert_delivered_files(root)
    assert [m["text"] for m in delivery.bot.sent if m["chat"]["id"] == 100200300] == [
        BOT_REPLY, "The label:", ""]
    kept = list((root / "delivered" / "telegram").glob("*-chat100200300-return-label.pdf"))
    assert [f.read_bytes() for f in kept] == [b"%PDF-1.4 a return label\n"]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
async def test_omnitui_demo_in_a_terminal_delivers_and_says_where(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `omnitui demo` keeps its shop in its own SQLite file on every run, so the commands the
    # agent types next to it (and this test's reads) follow its config, not the run's engine.
    monkeypatch.delenv("OMNITUI_DATABASE", raising=False)
    root = tmp_path / "demo"
    server = f"omnitui-demo-{uuid.uuid4().hex[:8]}"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", server, *args], check=True, text=True,
                              capture_output=True, timeout=10).stdout

    async def pane_with(text: str, timeout: float = 30) -> str:
        found = await until(lambda: (lambda p: p if text in " ".join(p.split()) else None)(
            tmux("capture-pane", "-p", "-t", "demo")), timeout=timeout,
            what=f"{text!r} on the demo's screen")
        return str(found)

    tmux("new-session", "-d", "-s", "demo", "-x", "160", "-y", "40", "-e",
         "TERM=xterm-256color", f"{sys.executable} -m omnitui demo --dir {root}")
    try:
        await pane_with("delivered to")  # the notice says where replies go
        await pane_with("● mail up")
        await pane_with("● bot up")
        config = root / "config.toml"
        await asyncio.to_thread(reply_to_mail_and_bot, config)
        settings = load_settings(config)
        await until(lambda: len(sent(settings)) == 2,
                    what="both replies to be sent by the demo's hub")
        assert_delivered_files(root)
    finally:
        subprocess.run(["tmux", "-L", server, "kill-server"], capture_output=True, timeout=10)
