"""Visitor tokens: the browser holds the secret, the hub only ever sees its hash.

Why derive the visitor id from the token instead of storing a token table: the id agents see
and the store keeps is then itself the stored hash, so nothing secret sits in the database, a
hub restart forgets nothing, and knowing a visitor id gives no way back to the token.
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 32
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
VISITOR_PREFIX = "w-"


def new_token() -> str:
    """256 random bits, URL-safe base64 without padding (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def well_formed(token: str | None) -> bool:
    return token is not None and _TOKEN.fullmatch(token) is not None


def visitor_of(token: str) -> str:
    """The visitor id a token stands for: a domain-separated SHA-256, 128 bits shown."""
    digest = hashlib.sha256(b"omnitui-chat-visitor\0" + token.encode("ascii")).hexdigest()
    return VISITOR_PREFIX + digest[:32]
