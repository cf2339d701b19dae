"""Deep links that tie a Telegram user to a customer known on another channel.

`https://t.me/<bot>?start=<token>` opens the bot; pressing Start sends `/start <token>`, which the
channel reports as `Inbound.link_token`. Telegram allows 1–64 characters of A–Z, a–z, 0–9, _ and -.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_START = re.compile(r"/start(?:@[A-Za-z0-9_]+)?(?:\s+(\S+))?\s*")


def deep_link(bot_username: str, token: str) -> str:
    """The t.me link a customer clicks to link their Telegram account; checks both parts."""
    bot = bot_username.removeprefix("@")
    if not _USERNAME.fullmatch(bot):
        raise ValueError(f"{bot_username!r} is not a Telegram bot username")
    if not _TOKEN.fullmatch(token):
        raise ValueError("a start token is 1-64 characters of A-Z, a-z, 0-9, _ and -")
    return f"https://t.me/{bot}?start={token}"


def start_token(text: str | None) -> str | None:
    """The token of a `/start <token>` message, or None (also for a bare or malformed /start)."""
    if not text:
        return None
    match = _START.fullmatch(text)
    if match is None or match.group(1) is None:
        return None
    token = match.group(1)
    return token if _TOKEN.fullmatch(token) else None
