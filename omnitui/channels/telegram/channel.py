"""TelegramChannel: the Channel protocol over a Telegram bot (long-poll in, Bot API out).

Why so thin: polling (poller.py), reading updates (parse.py), files (files.py) and sending
(send.py) are tested on their own; this class resolves the token, builds one `telegram.Bot`, and
makes sure only one poller per token runs in this process (Telegram itself answers 409 Conflict
to a second poller elsewhere, which the poller reports as the channel's state).

Resend policy after an ambiguous send (timeout or dropped connection after the request went out):
"resend_once" — the outbox sends it once more, so a customer may rarely get a reply twice but
never silently misses one. Delivery confirmation does not exist for bots, so `delivered` stays
False.
"""

from __future__ import annotations

import asyncio
import hashlib

from telegram import Bot
from telegram.request import HTTPXRequest

from omnitui.channels.base import (
    ChannelContext,
    ChannelError,
    ChannelKind,
    ConfigError,
    Outbound,
    ResendPolicy,
    SendResult,
)
from omnitui.channels.telegram.errors import classify_send, redact, register_secret
from omnitui.channels.telegram.links import deep_link
from omnitui.channels.telegram.poller import Poller
from omnitui.channels.telegram.ratelimit import RateLimiter
from omnitui.channels.telegram.send import Sender
from omnitui.config import TelegramSettings, resolve_secret

_POLLING: dict[str, str] = {}  # sha256(token) → channel name, for this process


class TelegramChannel:
    """One bot. Construct with the channel's name and its settings."""

    kind: ChannelKind = "telegram"
    resend_policy: ResendPolicy = "resend_once"

    def __init__(self, name: str, settings: TelegramSettings, *,
                 backoff: tuple[float, float] = (1.0, 60.0),
                 limiter: RateLimiter | None = None) -> None:
        self.name = name
        self.settings = settings
        self._backoff = backoff
        self._limiter = limiter or RateLimiter()
        self._bot: Bot | None = None
        self._sender: Sender | None = None
        self._lock = asyncio.Lock()
        self.poller: Poller | None = None

    def _token(self) -> str:
        try:
            token = resolve_secret(self.settings, "token", f"channel {self.name}")
        except Exception as exc:
            raise ConfigError(str(exc)) from None
        register_secret(token)
        return token

    def bot(self) -> Bot:
        """The channel's Bot (built on first use; base_url may hold `{token}`)."""
        if self._bot is None:
            token = self._token()
            urls: dict[str, str] = {}
            if self.settings.base_url:
                urls["base_url"] = self.settings.base_url
            if self.settings.base_file_url:
                urls["base_file_url"] = self.settings.base_file_url
            self._bot = Bot(
                token,
                request=HTTPXRequest(connection_pool_size=8, connect_timeout=10.0,
                                     read_timeout=20.0, write_timeout=20.0, pool_timeout=10.0),
                get_updates_request=HTTPXRequest(connection_pool_size=1, connect_timeout=10.0,
                                                 read_timeout=10.0, pool_timeout=10.0),
                **urls,
            )
        return self._bot

    async def run(self, ctx: ChannelContext) -> None:
        """Bring updates in until cancelled; raises ConfigError for a bad or doubly used token."""
        bot = self.bot()
        key = hashlib.sha256(bot.token.encode()).hexdigest()
        owner = _POLLING.get(key)
        if owner is not None and owner != self.name:
            raise ConfigError(f"channel {self.name}: this bot token is already polled by channel "
                              f"{owner}; one poller per token")
        _POLLING[key] = self.name
        try:
            await ctx.set_state("starting", None)
            self.poller = Poller(self.name, self.settings, bot, ctx, backoff=self._backoff)
            await self.poller.run()
        except (ChannelError, asyncio.CancelledError):
            raise
        except Exception as exc:  # never let a token-bearing message reach the hub log
            raise ChannelError(f"channel {self.name}: {type(exc).__name__}: "
                               f"{redact(str(exc))}") from None
        finally:
            if _POLLING.get(key) == self.name:
                del _POLLING[key]

    async def send(self, out: Outbound) -> SendResult:
        """Deliver one reply; raises TemporaryError, PermanentError or AmbiguousError."""
        async with self._lock:
            if self._sender is None:
                self._sender = Sender(self.bot(), self._limiter)
        try:
            await self.bot().initialize()
        except Exception as exc:
            raise classify_send(exc) from None
        return await self._sender.send(out)

    def deep_link(self, token: str) -> str:
        """`https://t.me/<bot>?start=<token>`; the username comes from settings or getMe."""
        username = self.settings.bot_username
        if not username and self._bot is not None:
            try:
                username = self._bot.username
            except RuntimeError:  # not initialised yet: getMe has not answered
                username = None
        if not username:
            raise ConfigError(f"channel {self.name}: set bot_username to build deep links")
        return deep_link(username, token)

    async def close(self) -> None:
        if self._bot is not None:
            await self._bot.shutdown()
