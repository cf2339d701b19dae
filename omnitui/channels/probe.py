"""`doctor --online`: log in where each channel would, and say in one sentence what failed.

Why: the offline doctor only sees that a password *exists*; a wrong one shows up first as a
channel stuck in "retrying" on the shop's first morning. Each probe goes through the channel's
own connection code (the IMAP session, the SMTP session opener, the Telegram channel's `Bot`),
so it fails exactly where the hub would, and each failure names the config key to change.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from dataclasses import dataclass

import aiosmtplib
from telegram import error as tg_error

from omnitui.channels.email.imap import ImapLost, ImapRefused, ImapSession
from omnitui.channels.email.smtp import open_session, smtp_client
from omnitui.channels.telegram.channel import TelegramChannel
from omnitui.channels.telegram.errors import redact
from omnitui.config import (
    ConfigError,
    EmailSettings,
    Settings,
    TelegramSettings,
    resolve_secret,
)

DEFAULT_TIMEOUT = 10.0
TELEGRAM_API = "https://api.telegram.org"


@dataclass(frozen=True, slots=True)
class Probe:
    ok: bool
    text: str  # one sentence; on failure it begins with the config key to change


def _secret_key(settings: object, base: str) -> str:
    """`password_env` or `password_cmd` (likewise token_…): whichever the config uses."""
    return f"{base}_env" if getattr(settings, f"{base}_env", None) else f"{base}_cmd"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return redact(text)[:300]


async def probe_imap(name: str, s: EmailSettings, password: str, timeout: float) -> Probe:
    where = f"{s.imap_host}:{s.imap_port}"
    session = ImapSession(s.imap_host, s.imap_port, s.imap_security, timeout, s.tls_ca_file)
    try:
        await asyncio.wait_for(session.open(s.username, password, s.mailbox), timeout)
        return Probe(True, f"channel {name}: IMAP login to {where} as {s.username} works; "
                           f"{s.mailbox} holds {session.exists} message(s)")
    except ImapRefused as exc:
        key = _secret_key(s, "password") if exc.setting == "password" else exc.setting
        return Probe(False, f"channels.{name}.{key}: IMAP {where} refused: {_short(exc)}")
    except (ImapLost, TimeoutError, OSError) as exc:
        reason = _short(exc) if not isinstance(exc, TimeoutError) else (
            f"no answer within {timeout:.0f} s")
        return Probe(False, f"channels.{name}.imap_host: no IMAP session with {where} "
                            f"({s.imap_security}): {reason}")
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(session.close(), 3)


async def probe_smtp(name: str, s: EmailSettings, password: str, timeout: float) -> Probe:
    where = f"{s.smtp_host}:{s.smtp_port}"
    smtp = smtp_client(s, timeout)
    try:
        logged_in = await asyncio.wait_for(open_session(smtp, s, password), timeout)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(smtp.quit(), 3)
    except aiosmtplib.SMTPAuthenticationError as exc:
        return Probe(False, f"channels.{name}.{_secret_key(s, 'password')}: SMTP login to "
                            f"{where} as {s.username} refused: {exc.code} {_short(exc.message)}")
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected,
            aiosmtplib.SMTPTimeoutError, TimeoutError, OSError) as exc:
        reason = _short(exc) if not isinstance(exc, TimeoutError) else (
            f"no answer within {timeout:.0f} s")
        return Probe(False, f"channels.{name}.smtp_host: no SMTP session with {where} "
                            f"({s.smtp_security}): {reason}")
    except aiosmtplib.SMTPException as exc:  # STARTTLS missing or refused, a 5xx greeting, …
        return Probe(False, f"channels.{name}.smtp_security: SMTP {where} "
                            f"({s.smtp_security}): {_short(exc)}")
    finally:
        smtp.close()
    if not logged_in:
        return Probe(True, f"channel {name}: SMTP {where} answers and asks for no login "
                           "(the password was not tried there)")
    return Probe(True, f"channel {name}: SMTP login to {where} as {s.username} works")


async def probe_email(name: str, s: EmailSettings, timeout: float) -> list[Probe]:
    try:
        password = resolve_secret(s, "password", f"channels.{name}")
    except ConfigError as exc:
        return [Probe(False, str(exc))]
    imap, smtp = await asyncio.gather(probe_imap(name, s, password, timeout),
                                      probe_smtp(name, s, password, timeout))
    return [imap, smtp]


async def probe_telegram(name: str, s: TelegramSettings, timeout: float) -> Probe:
    try:
        resolve_secret(s, "token", f"channels.{name}")
    except ConfigError as exc:
        return Probe(False, str(exc))
    channel = TelegramChannel(name, s)
    api = redact(s.base_url or TELEGRAM_API)
    try:
        bot = channel.bot()
        await asyncio.wait_for(bot.initialize(), timeout)  # getMe
        return Probe(True, f"channel {name}: Telegram getMe at {api} answers as "
                           f"@{bot.username}")
    except tg_error.InvalidToken as exc:
        return Probe(False, f"channels.{name}.{_secret_key(s, 'token')}: Telegram refused "
                            f"the bot token at {api}: {_short(exc)}")
    except (tg_error.NetworkError, TimeoutError, OSError) as exc:
        reason = _short(exc) if not isinstance(exc, TimeoutError) else (
            f"no answer within {timeout:.0f} s")
        return Probe(False, f"channels.{name}.base_url: no Telegram Bot API answer at {api}: "
                            f"{reason}")
    except (tg_error.TelegramError, ValueError) as exc:
        return Probe(False, f"channels.{name}.base_url: getMe at {api} failed: {_short(exc)}")
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(channel.close(), 3)


async def probe_channels(settings: Settings, timeout: float = DEFAULT_TIMEOUT) -> list[Probe]:
    """Every email and Telegram channel at once; chat needs no network to check."""
    jobs: list[Awaitable[list[Probe]]] = []
    for name, ch in settings.channels.items():
        if isinstance(ch, EmailSettings):
            jobs.append(probe_email(name, ch, timeout))
        elif isinstance(ch, TelegramSettings):
            jobs.append(_as_list(probe_telegram(name, ch, timeout)))
    results: list[Probe] = []
    for group in await asyncio.gather(*jobs):
        results.extend(group)
    return results


async def _as_list(probe: Awaitable[Probe]) -> list[Probe]:
    return [await probe]
