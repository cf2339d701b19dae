"""`omnitui doctor --online` against real servers on loopback: Dovecot (IMAP), aiosmtpd with
AUTH (SMTP) and the Bot API server from tests/fakes. Right secrets pass; a wrong password, a
wrong token, a server that is down and one that never answers each give one sentence that names
the config key to change."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mailservers import HOST, Dovecot, SmtpServer, free_port

from omnitui.channels.probe import probe_channels
from omnitui.config import Settings, parse_settings
from tests.fakes.telegram_api import TOKEN, FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def shop(tmp_path: Path, imap_port: int, smtp_port: int, tg_port: int, user: str) -> Settings:
    return parse_settings({
        "omnitui": {"data_dir": str(tmp_path / "data")},
        "channels": {
            "mail": {"kind": "email", "address": f"{user}@shop.test", "username": user,
                     "imap_host": HOST, "imap_port": imap_port, "imap_security": "none",
                     "smtp_host": HOST, "smtp_port": smtp_port, "smtp_security": "none",
                     "password_env": "SHOP_MAIL_PASSWORD"},
            "bot": {"kind": "telegram", "token_env": "SHOP_BOT_TOKEN",
                    "base_url": f"http://{HOST}:{tg_port}/bot{{token}}"},
        }}, None)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen(16)
        yield listener.getsockname()[1]


async def test_right_secrets_pass(dovecot: Dovecot, user: str, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    password = dovecot.users[user]
    monkeypatch.setenv("SHOP_MAIL_PASSWORD", password)
    monkeypatch.setenv("SHOP_BOT_TOKEN", TOKEN)
    with SmtpServer(login=(user, password)) as smtp:
        async with FakeTelegram() as tg:
            probes = await probe_channels(shop(tmp_path, dovecot.port, smtp.port, tg.port, user))
    assert [p.ok for p in probes] == [True, True, True], probes
    texts = [p.text for p in probes]
    assert texts[0] == (f"channel mail: IMAP login to {HOST}:{dovecot.port} as {user} works; "
                        "INBOX holds 0 message(s)")
    assert texts[1] == f"channel mail: SMTP login to {HOST}:{smtp.port} as {user} works"
    assert texts[2] == (f"channel bot: Telegram getMe at http://{HOST}:{tg.port}/bot{{token}} "
                        "answers as @shop_test_bot")
    assert tg.calls == ["getMe"]


async def test_wrong_secrets_name_their_keys(dovecot: Dovecot, user: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_MAIL_PASSWORD", "not-the-password")
    monkeypatch.setenv("SHOP_BOT_TOKEN", "987654321:WrongTokenWrongTokenWrongToken_99")
    with SmtpServer(login=(user, dovecot.users[user])) as smtp:
        async with FakeTelegram() as tg:
            probes = await probe_channels(shop(tmp_path, dovecot.port, smtp.port, tg.port, user))
    assert not any(p.ok for p in probes)
    imap, smtp_probe, bot = (p.text for p in probes)
    assert imap.startswith(f"channels.mail.password_env: IMAP {HOST}:{dovecot.port} refused: "
                           f"login as {user} refused: ")
    assert "AUTHENTICATIONFAILED" in imap
    assert smtp_probe.startswith(f"channels.mail.password_env: SMTP login to {HOST}:{smtp.port} "
                                 f"as {user} refused: 535")
    assert bot.startswith(f"channels.bot.token_env: Telegram refused the bot token at "
                          f"http://{HOST}:{tg.port}/bot{{token}}: ")
    assert "WrongToken" not in bot  # a token never shows, even a wrong one
    for text in (imap, smtp_probe, bot):
        assert "\n" not in text and "Traceback" not in text


async def test_servers_down_and_silent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       silent_port: int) -> None:
    monkeypatch.setenv("SHOP_MAIL_PASSWORD", "pw")
    monkeypatch.setenv("SHOP_BOT_TOKEN", TOKEN)
    down = free_port()  # nothing listens there
    began = time.monotonic()
    probes = await probe_channels(shop(tmp_path, silent_port, down, down, "ann"), timeout=2)
    took = time.monotonic() - began
    imap, smtp, bot = (p.text for p in probes)
    assert imap == (f"channels.mail.imap_host: no IMAP session with {HOST}:{silent_port} "
                    "(none): no answer within 2 s")
    assert smtp.startswith(f"channels.mail.smtp_host: no SMTP session with {HOST}:{down} "
                           "(none): ")
    assert "Connect call failed" in smtp
    assert bot.startswith(f"channels.bot.base_url: no Telegram Bot API answer at "
                          f"http://{HOST}:{down}/bot{{token}}: ")
    assert took < 5, f"the probes ran at once, each within its timeout; took {took:.1f} s"


async def test_doctor_online_exit_code_and_lines(dovecot: Dovecot, user: str,
                                                 tmp_path: Path) -> None:
    """The real CLI: a wrong password fails with the sentence and exit 1; the right one
    passes with exit 0."""
    with SmtpServer(login=(user, dovecot.users[user])) as smtp:
        async with FakeTelegram() as tg:
            config = tmp_path / "config.toml"
            config.write_text(
                f'[omnitui]\ndata_dir = "{tmp_path / "data"}"\n\n[channels.mail]\n'
                f'kind = "email"\naddress = "{user}@shop.test"\nusername = "{user}"\n'
                f'imap_host = "{HOST}"\nimap_port = {dovecot.port}\nimap_security = "none"\n'
                f'smtp_host = "{HOST}"\nsmtp_port = {smtp.port}\nsmtp_security = "none"\n'
                'password_env = "SHOP_MAIL_PASSWORD"\n\n[channels.bot]\nkind = "telegram"\n'
                f'token_env = "SHOP_BOT_TOKEN"\nbase_url = "http://{HOST}:{tg.port}/bot{{token}}"\n',
                encoding="utf-8")
            env = dict(os.environ, OMNITUI_CONFIG=str(config), SHOP_BOT_TOKEN=TOKEN)
            assert (await doctor(env, "init"))[0] == 0

            code, out, errs = await doctor(env | {"SHOP_MAIL_PASSWORD": "wrong"},
                                           "doctor", "--online")
            assert code == 1
            fails = [line for line in out.splitlines() if line.startswith("FAIL")]
            assert [line.split(":", 1)[0] for line in fails] == [
                "FAIL  channels.mail.password_env", "FAIL  channels.mail.password_env"]
            assert "ok    channel bot: Telegram getMe" in out
            assert errs.strip() == "2 problem(s) found."

            code, out, errs = await doctor(env | {"SHOP_MAIL_PASSWORD": dovecot.users[user]},
                                           "doctor", "--online")
            assert code == 0, out + errs
            assert "FAIL" not in out
            assert "ok    channel mail: IMAP login" in out
            assert "ok    channel mail: SMTP login" in out


async def doctor(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "omnitui", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, errs = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), errs.decode()
