"""omnitui's own getUpdates long-poll loop: an update is confirmed only after it is stored.

Telegram forgets an update once getUpdates is called with a larger offset. PTB's Updater asks with
the next offset before the application has handled the batch, so a crash at the wrong moment
loses it. Here the batch and the new offset (the channel's cursor) are committed in one
transaction first, and only then is the next offset sent. A crash before the commit refetches the
batch; ingest is idempotent on external_id, so nothing is stored twice.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any

from telegram import Bot
from telegram import error as tg

from omnitui.channels.base import ChannelContext, ConfigError, Inbound
from omnitui.channels.telegram.errors import redact, retry_seconds
from omnitui.channels.telegram.files import fetch
from omnitui.channels.telegram.parse import (
    ALLOWED_UPDATES,
    Parsed,
    RatingTap,
    parse_update,
    update_id,
)
from omnitui.channels.telegram.send import close_rating
from omnitui.config import TelegramSettings

log = logging.getLogger("omnitui.telegram")

BATCH = 100
RATED = "Thank you for your rating!"
NOT_RATED = "This rating could not be recorded."
# do_api_request("getUpdates") warns "use Bot.getUpdates"; we mean it (see _fetch).
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'")


class Poller:
    def __init__(self, name: str, settings: TelegramSettings, bot: Bot, ctx: ChannelContext, *,
                 backoff: tuple[float, float] = (1.0, 60.0)) -> None:
        self.name = name
        self.settings = settings
        self.bot = bot
        self.ctx = ctx
        self.backoff = backoff
        self.state: str | None = None
        self.stored = 0

    async def run(self) -> None:
        """Poll until cancelled; faults are reported as state and retried with backoff."""
        offset = _offset(self.ctx.cursor())
        delay = self.backoff[0]
        while True:
            try:
                await self.bot.initialize()  # getMe once: checks the token, learns the username
                raw = await self._fetch(offset)
            except tg.InvalidToken:
                await self._state("stopped", "Telegram rejected the bot token")
                raise ConfigError(f"channel {self.name}: Telegram rejected the bot token "
                                  "(check token_env/token_cmd)") from None
            except tg.Conflict as exc:
                await self._fault("conflict", f"409 Conflict from Telegram: {redact(str(exc))}. "
                                  "Another program polls this bot token, or a webhook is set; "
                                  f"retrying in {delay:.0f} s")
                await asyncio.sleep(delay)
                delay = min(self.backoff[1], delay * 2)
                continue
            except tg.RetryAfter as exc:
                wait = retry_seconds(exc)
                await self._fault("retrying", f"rate limited by Telegram, retrying in {wait:.0f} s")
                await asyncio.sleep(wait)
                continue
            except (tg.TelegramError, OSError) as exc:
                await self._fault("retrying", f"{_short(exc)}; retrying in {delay:.0f} s")
                await asyncio.sleep(delay)
                delay = min(self.backoff[1], delay * 2)
                continue
            delay = self.backoff[0]
            if self.state != "up":
                await self._state("up", None)
            if raw:
                offset = await self.commit(raw, offset)
                if not any(update_id(u) is not None for u in raw):
                    # Nothing here can be confirmed, so the server will repeat it: don't hot-loop.
                    self.ctx.log(f"{len(raw)} update(s) without update_id; polling again in "
                                 f"{delay:.0f} s")
                    await asyncio.sleep(delay)

    async def _fetch(self, offset: int | None) -> list[Any]:
        """One getUpdates call, answered as raw JSON so a malformed update cannot poison the
        batch (see parse.py). Bot.do_api_request is PTB's documented raw-call path."""
        timeout = max(0, self.settings.poll_timeout)
        kwargs: dict[str, Any] = {"timeout": timeout, "limit": BATCH,
                                  "allowed_updates": list(ALLOWED_UPDATES)}
        if offset is not None:
            kwargs["offset"] = offset
        result = await self.bot.do_api_request("getUpdates", api_kwargs=kwargs,
                                               read_timeout=timeout + 15)
        if not isinstance(result, list):
            self.ctx.log(f"getUpdates answered {type(result).__name__}, not a list; ignored")
            return []
        return result

    async def commit(self, raw: list[Any], offset: int | None) -> int | None:
        """Store one batch with the offset that confirms it; the next offset to ask with."""
        ids = [i for i in (update_id(u) for u in raw) if i is not None]
        new_offset = max(ids) + 1 if ids else offset
        if offset is not None and new_offset is not None and new_offset < offset:
            new_offset = offset
        batch: list[Inbound] = []
        callbacks: list[tuple[str, str | None]] = []  # callback query id, answer text
        rated_taps: list[RatingTap] = []  # their keyboards are closed after the answers
        for item in raw:
            try:
                parsed = parse_update(item, self.name, allow_groups=self.settings.allow_groups)
            except Exception as exc:  # a bug or an input we did not foresee: skip, keep running
                self.ctx.log(f"update {update_id(item)} could not be read ({_short(exc)}); "
                             "skipped")
                continue
            if isinstance(parsed, RatingTap):
                # Recorded before the offset is confirmed: a crash repeats the tap, and
                # recording the same score twice is harmless.
                rated = await self._rate(parsed)
                if parsed.callback_query_id:
                    callbacks.append((parsed.callback_query_id, RATED if rated else NOT_RATED))
                if rated:
                    rated_taps.append(parsed)
                continue
            if not isinstance(parsed, Parsed):
                self.ctx.log(parsed.reason)
                if parsed.callback_query_id:
                    callbacks.append((parsed.callback_query_id, None))
                continue
            if parsed.files:
                atts = [await fetch(self.bot, ref) for ref in parsed.files]
                for att in atts:
                    if att.note:
                        self.ctx.log(f"update {parsed.inbound.meta['update_id']}: "
                                     f"{att.filename}: {att.note}")
                parsed.inbound.attachments = tuple(atts)
            batch.append(parsed.inbound)
        cursor = str(new_offset) if new_offset is not None else None
        await self.ctx.ingest(batch, cursor)
        self.stored += len(batch)
        for cq, answer in callbacks:
            try:
                await self.bot.answer_callback_query(cq, text=answer)
            except (tg.TelegramError, OSError) as exc:
                self.ctx.log(f"answering callback query failed: {_short(exc)}")
        for rated_tap in rated_taps:
            await self._close_keyboard(rated_tap)
        return new_offset

    async def _rate(self, tap: RatingTap) -> bool:
        """CSAT: store a keyboard tap through the hub (`HubContext.csat_rating`); a context
        without that method (a one-off sync, the channel tests) records nothing."""
        rate = getattr(self.ctx, "csat_rating", None)
        rated = bool(rate and await rate(tap.address, tap.conversation_id, tap.score))
        self.ctx.log(f"update {tap.update_id}: rating {tap.score} for conversation "
                     f"{tap.conversation_id} {'recorded' if rated else 'refused'}")
        return rated

    async def _close_keyboard(self, tap: RatingTap) -> None:
        """Take the keyboard off a rated question so it is not tapped again. The rating is
        already stored and the batch confirmed, so any failure (message too old or gone, "not
        modified" after a repeated tap, network) is one log line and nothing more."""
        if tap.chat_id is None or tap.message_id is None:
            return
        try:
            await close_rating(self.bot, tap.chat_id, tap.message_id, tap.score)
        except Exception as exc:  # cosmetic: must never stop the poller
            self.ctx.log(f"update {tap.update_id}: closing the rating keyboard of message "
                         f"{tap.chat_id}:{tap.message_id} failed ({_short(exc)}); "
                         f"rating {tap.score} stays recorded")

    async def _state(self, state: str, detail: str | None) -> None:
        self.state = state
        await self.ctx.set_state(state, detail)

    async def _fault(self, state: str, detail: str) -> None:
        self.ctx.log(detail)
        await self._state(state, detail)


def _offset(cursor: str | None) -> int | None:
    try:
        return int(cursor) if cursor else None
    except ValueError:
        log.warning("ignoring a Telegram cursor that is not a number")
        return None


def _short(exc: BaseException) -> str:
    text = redact(str(exc).strip() or type(exc).__name__).splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]
