"""Fetch a message's files before it is committed, within the bot download limit.

A file over 20 MB (the cloud Bot API limit) is kept as a note with its size rather than failing
the message. A transient fault is retried a few times in place; after that the message is stored
with a note, because holding back the offset for one file would stall every customer behind it.
Errors are redacted: PTB's File.file_path is a URL that contains the bot token.
"""

from __future__ import annotations

import asyncio

from telegram import Bot
from telegram import error as tg

from omnitui.channels.base import InboundAttachment
from omnitui.channels.telegram.errors import redact, retry_seconds
from omnitui.channels.telegram.parse import FILE_LIMIT, FileRef

ATTEMPTS = 3


async def fetch(bot: Bot, ref: FileRef, *, timeout: float = 60.0,
                pause: float = 0.5) -> InboundAttachment:
    """The file's bytes, or an attachment with data None and a note saying why."""
    size = ref.size or 0
    if size > FILE_LIMIT:
        return _noted(ref, size, f"not downloaded: {_mb(size)} is over the 20 MB bot limit")
    last = "unknown error"
    for attempt in range(ATTEMPTS):
        try:
            file = await bot.get_file(ref.file_id, read_timeout=timeout)
            real = file.file_size or size
            if real > FILE_LIMIT:
                return _noted(ref, real, f"not downloaded: {_mb(real)} is over the 20 MB limit")
            data = bytes(await file.download_as_bytearray(read_timeout=timeout))
            return InboundAttachment(ref.filename, ref.content_type, len(data), data)
        except tg.BadRequest as exc:  # "file is too big", "invalid file_id": retrying won't help
            return _noted(ref, size, f"not downloaded: {redact(str(exc))}")
        except tg.RetryAfter as exc:
            last = redact(str(exc))
            await asyncio.sleep(min(30.0, retry_seconds(exc)))
        except (tg.TelegramError, OSError) as exc:
            last = redact(str(exc) or type(exc).__name__)
            await asyncio.sleep(pause * (attempt + 1))
    return _noted(ref, size, f"not downloaded after {ATTEMPTS} attempts: {last}")


def _noted(ref: FileRef, size: int, note: str) -> InboundAttachment:
    return InboundAttachment(ref.filename, ref.content_type, size, None, note)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
