"""Split long replies into Telegram-sized messages.

Telegram counts a message's 4096-character limit in UTF-16 code units, so an emoji outside the
Basic Multilingual Plane costs two. Splitting prefers a paragraph break, then a line break, then a
space, so a customer reads whole words; only a single "word" longer than the limit is cut, and
never inside a surrogate pair.
"""

from __future__ import annotations

import re

MAX_UNITS = 4096
_SPACE = re.compile(r"\s", re.UNICODE)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_UNITS) -> list[str]:
    """Parts of at most `limit` UTF-16 units, in order; whitespace at the cuts is dropped.

    Empty or whitespace-only text gives no parts (Telegram refuses empty messages).
    """
    if limit < 2:
        raise ValueError("limit must be at least 2 UTF-16 units")
    parts: list[str] = []
    rest = text
    while rest.strip():
        if utf16_len(rest) <= limit:
            parts.append(rest.strip())
            break
        end = _fit(rest, limit)
        cut = _boundary(rest[:end], rest[end:end + 1])
        head, rest = rest[:cut], rest[cut:]
        if head.strip():
            parts.append(head.strip())
    return parts


def _fit(text: str, limit: int) -> int:
    """The largest index whose prefix fits in `limit` units (a code point is never halved)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _boundary(window: str, following: str) -> int:
    """Where to cut inside `window`: after a paragraph, line or word break if there is one."""
    half = len(window) // 2
    pos = window.rfind("\n\n")
    if pos > len(window) // 3:  # a paragraph break is worth a shorter part
        return pos + 2
    if following[:1].isspace():  # the window already ends on a word boundary
        return len(window)
    pos = window.rfind("\n")
    if pos > half:
        return pos + 1
    spaces = [m.end() for m in _SPACE.finditer(window)]
    if spaces:
        return spaces[-1]
    return max(1, len(window))
