"""Telegram faults → omnitui's error kinds, and keeping the bot token out of every text.

The token is part of every Bot API URL (`.../bot<token>/method`), so anything that may echo a URL —
httpx's request log, PTB's debug log, an exception message — is passed through `redact` first.

Sending policy (what the outbox does with each fault):
- 429 `RetryAfter` → TemporaryError carrying retry_after, honoured by the outbox.
- 403 `Forbidden` (the user blocked the bot, or never started it) → PermanentError with the reason.
- 400 `BadRequest` (chat not found, text rejected), unreadable attachment → PermanentError.
- 401/404 `InvalidToken` → TemporaryError: replies wait until the token is fixed.
- Connection refused, pool timeout, connect timeout, 5xx → TemporaryError: nothing reached Telegram.
- Read/write timeout or a connection dropped after the request went out → AmbiguousError: Telegram
  may have delivered it. The channel's resend_policy ("resend_once") lets the outbox send it once
  more, so a customer may rarely see a reply twice but never silently misses one.
"""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta

import httpx
from telegram import error as tg

from omnitui.channels.base import (
    AmbiguousError,
    ChannelError,
    PermanentError,
    TemporaryError,
)

_SECRETS: set[str] = set()
# Loggers that may print Bot API URLs; records there are redacted before any handler sees them.
_URL_LOGGERS = ("httpx", "httpcore", "telegram", "telegram.Bot", "telegram.BaseRequest",
                "telegram.HTTPXRequest", "telegram.request")


def redact(text: str) -> str:
    """Replace every known bot token in `text` with `<token>`."""
    for secret in sorted(_SECRETS, key=len, reverse=True):  # whole token before its tail
        if secret and secret in text:
            text = text.replace(secret, "<token>")
    return text


class _RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not _SECRETS:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken log call is not ours to fix, only to keep secret-free
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


_FILTER = _RedactFilter()


def register_secret(token: str) -> None:
    """Remember a token to redact and guard the loggers that might print it.

    The part after the colon is the secret; it is registered on its own too, because file URLs
    carry the token URL-encoded (`123%3AABC...`)."""
    _SECRETS.add(token)
    secret = token.partition(":")[2]
    if len(secret) >= 8:
        _SECRETS.add(secret)
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def retry_seconds(exc: tg.RetryAfter) -> float:
    """RetryAfter.retry_after is int or timedelta depending on PTB_TIMEDELTA; accept both."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _sent_before_failing(exc: BaseException) -> bool:
    """Did the request leave this machine before the fault? (False only when we know it did not.)"""
    cause = exc.__cause__
    if isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return False
    if isinstance(exc, tg.TimedOut) and "not* sent" in str(exc):
        return False
    return isinstance(cause, httpx.ReadTimeout | httpx.WriteTimeout | httpx.RemoteProtocolError
                      | httpx.ReadError | httpx.WriteError) or isinstance(exc, tg.TimedOut)


def classify_send(exc: BaseException) -> ChannelError:
    """The omnitui error kind for a failed send; its message never holds the token."""
    text = redact(str(exc).strip() or type(exc).__name__)
    if isinstance(exc, tg.RetryAfter):
        return TemporaryError(f"Telegram rate limit: {text}", retry_after=retry_seconds(exc))
    if isinstance(exc, tg.Forbidden):
        return PermanentError(f"Telegram refused: {text}")
    if isinstance(exc, tg.BadRequest | tg.ChatMigrated):
        return PermanentError(f"Telegram rejected the message: {text}")
    if isinstance(exc, tg.InvalidToken):  # a config fault: keep replies queued until it is fixed
        return TemporaryError("Telegram rejected the bot token (check token_env/token_cmd)")
    if isinstance(exc, FileNotFoundError | PermissionError):
        return PermanentError(f"attachment cannot be read: {text}")
    if isinstance(exc, tg.NetworkError | httpx.HTTPError | OSError):
        if _sent_before_failing(exc):
            return AmbiguousError(f"Telegram did not answer after the message was sent: {text}")
        return TemporaryError(f"Telegram unreachable: {text}")
    if isinstance(exc, tg.TelegramError):
        return TemporaryError(f"Telegram error: {text}")
    return TemporaryError(f"{type(exc).__name__}: {text}")
