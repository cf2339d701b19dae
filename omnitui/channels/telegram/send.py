"""Deliver one outbound reply: text parts, then attachments, within Telegram's limits.

Plain text only (no parse_mode), so a customer's `*` or `<b>` is never interpreted. A reply longer
than 4096 UTF-16 units goes out as several messages. The parts of a reply already delivered are
remembered in memory by message id, so a retry after a fault midway resumes instead of repeating
them (a hub restart forgets this; the outbox's resend policy then decides).
"""

from __future__ import annotations

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile

from omnitui.channels.base import (
    META_CSAT_KEYBOARD,
    Outbound,
    OutboundAttachment,
    PermanentError,
    SendResult,
)
from omnitui.channels.telegram.errors import classify_send
from omnitui.channels.telegram.ratelimit import RateLimiter
from omnitui.channels.telegram.split import split_text

PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
PHOTO_LIMIT = 10 * 1024 * 1024  # sendPhoto's limit; larger images go as documents
SEND_TIMEOUT = 20.0
UPLOAD_TIMEOUT = 120.0
EDIT_TIMEOUT = 10.0  # closing a rating keyboard is cosmetic: the poller waits this long at most


class Sender:
    def __init__(self, bot: Bot, limiter: RateLimiter | None = None) -> None:
        self.bot = bot
        self.limiter = limiter or RateLimiter()
        self._done: dict[int, dict[int, str]] = {}  # outbox message id → part index → wire id

    async def send(self, out: Outbound) -> SendResult:
        """Send every part; raise TemporaryError, PermanentError or AmbiguousError on a fault."""
        chat = out.address
        steps: list[str | OutboundAttachment] = [*split_text(out.text), *out.attachments]
        if not steps:
            raise PermanentError("nothing to send: the reply has no text and no attachments")
        done = self._done.setdefault(out.message_id, {})
        keyboard = rating_keyboard(out.meta.get(META_CSAT_KEYBOARD))
        last_text = max((i for i, s in enumerate(steps) if isinstance(s, str)), default=-1)
        for index, step in enumerate(steps):
            if index in done:
                continue
            await self.limiter.wait(chat)
            try:
                if keyboard is not None and index == last_text:
                    wire = await self._ask_rating(chat, str(step), keyboard)
                else:
                    wire = await self._one(chat, step)
            except Exception as exc:
                error = classify_send(exc)
                retry = getattr(error, "retry_after", None)
                if retry:
                    self.limiter.penalise(chat, retry)
                raise error from None
            done[index] = wire
        first = done[0]
        self._done.pop(out.message_id, None)
        return SendResult(wire_id=first)

    async def _ask_rating(self, chat: str, text: str, keyboard: InlineKeyboardMarkup) -> str:
        """The CSAT question: its last text part carries the 1–5 keyboard."""
        msg = await self.bot.send_message(chat, text, reply_markup=keyboard,
                                          read_timeout=SEND_TIMEOUT, write_timeout=SEND_TIMEOUT)
        return f"{msg.chat_id}:{msg.message_id}"

    async def _one(self, chat: str, step: str | OutboundAttachment) -> str:
        if isinstance(step, str):
            msg = await self.bot.send_message(chat, step, read_timeout=SEND_TIMEOUT,
                                              write_timeout=SEND_TIMEOUT)
        else:
            with step.open() as fh:
                upload = InputFile(fh, filename=step.filename)
                if step.content_type in PHOTO_TYPES and step.size <= PHOTO_LIMIT:
                    msg = await self.bot.send_photo(chat, upload, read_timeout=UPLOAD_TIMEOUT,
                                                    write_timeout=UPLOAD_TIMEOUT)
                else:
                    msg = await self.bot.send_document(chat, upload, read_timeout=UPLOAD_TIMEOUT,
                                                       write_timeout=UPLOAD_TIMEOUT)
        return f"{msg.chat_id}:{msg.message_id}"


def rating_keyboard(conversation_id: object) -> InlineKeyboardMarkup | None:
    """CSAT (issue 7): one row of buttons 1–5 whose callback data "csat:<conversation>:<n>" the
    poller turns into a rating (parse.py). None unless the reply asks for a rating."""
    if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
        return None
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(str(n), callback_data=f"csat:{conversation_id}:{n}")
        for n in range(1, 6)
    ]])


def rated_text(score: int) -> str:
    """What the rating question reads once answered."""
    return f"Thank you for rating: {score}/5"


async def close_rating(bot: Bot, chat_id: int, message_id: int, score: int) -> None:
    """Replace an answered rating question with the score given: a keyboard left under it
    invites more taps and looks unanswered. editMessageText without reply_markup drops the
    inline keyboard; a later tap on a client that still shows it replaces the text again."""
    await bot.edit_message_text(rated_text(score), chat_id=chat_id, message_id=message_id,
                                read_timeout=EDIT_TIMEOUT, write_timeout=EDIT_TIMEOUT,
                                connect_timeout=EDIT_TIMEOUT, pool_timeout=EDIT_TIMEOUT)
