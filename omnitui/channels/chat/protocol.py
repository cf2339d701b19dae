"""The local chat socket protocol (DESIGN.md): lines in, typed requests out; replies as lines.

Pure functions only, so every rule of the contract is table-tested without a socket. A shop's
web backend and our tests speak this exactly: one JSON object per `\\n`-terminated UTF-8 line,
at most 64 KiB, every object with a `"type"`. A bad line becomes a `ProtocolError` carrying the
protocol's error code; the server answers it and keeps the connection (except `auth`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_LINE = 64 * 1024  # bytes per line, newline excluded, both directions
MAX_VISITOR = 128
MAX_TEXT = 8000
MAX_ID = 128  # a client-chosen message id; the contract is silent, this keeps keys small
MAX_NAME = 200
MAX_EMAIL = 254  # RFC 5321 path limit
MAX_ATTACHMENTS = 5  # upload ids in one message (docs/chat-web.md)
MAX_UPLOAD_ID = 1024

# Error codes, exactly as the contract spells them.
BAD_JSON = "bad_json"
TOO_LONG = "too_long"
BAD_FIELD = "bad_field"
UNKNOWN_TYPE = "unknown_type"
NOT_HELLO = "not_hello"
RATE_LIMITED = "rate_limited"
AUTH = "auth"
ERROR_CODES = (BAD_JSON, TOO_LONG, BAD_FIELD, UNKNOWN_TYPE, NOT_HELLO, RATE_LIMITED, AUTH)


class ProtocolError(Exception):
    """A line the hub cannot act on; `code` is one of ERROR_CODES, the text one sentence."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Hello:
    visitor: str
    name: str | None = None
    email: str | None = None
    token: str | None = None
    consent: bool = False  # the website's pre-chat consent box was ticked


@dataclass(frozen=True, slots=True)
class Message:
    id: str  # normalised to a string: it becomes part of the stored external id
    text: str
    raw_id: str | int  # echoed unchanged in the ack, so a client matches what it sent
    attachments: tuple[str, ...] = ()  # upload ids from the web gateway's /chat/upload


@dataclass(frozen=True, slots=True)
class Delivered:
    message_id: int  # the hub's message id, sent to the client as a string


@dataclass(frozen=True, slots=True)
class Rating:
    score: int
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class Typing:
    pass


@dataclass(frozen=True, slots=True)
class Ping:
    pass


Request = Hello | Message | Delivered | Rating | Typing | Ping


def parse_line(line: bytes, *, web: bool = False) -> Request:
    """One line (without its newline) → a typed request, or `ProtocolError`. With `web` (a
    WebSocket frame) the visitor comes from the token, so `hello` needs no `visitor`."""
    if len(line) > MAX_LINE:
        raise ProtocolError(TOO_LONG, f"A line can be at most {MAX_LINE} bytes.")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(BAD_JSON, "A line must be UTF-8 encoded JSON.") from None
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError(BAD_JSON, "A line must be one JSON object.") from None
    if not isinstance(obj, dict):
        raise ProtocolError(BAD_JSON, "A line must be one JSON object, not a list or a value.")
    kind = obj.get("type")
    if kind is None:
        raise ProtocolError(BAD_FIELD, "Every object needs a \"type\".")
    if not isinstance(kind, str):
        raise ProtocolError(BAD_FIELD, "\"type\" must be a string.")
    parser = _PARSERS.get(kind)
    if parser is None:
        raise ProtocolError(UNKNOWN_TYPE, f"Unknown type {_short(kind)!r}.")
    if web and kind == "hello":
        return _hello({**obj, "visitor": "web", "token": None})
    return parser(obj)


def _short(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def _string(obj: dict[str, Any], key: str, *, low: int, high: int, required: bool,
            blank_ok: bool = False) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise ProtocolError(BAD_FIELD, f"\"{key}\" is required.")
        return None
    if not isinstance(value, str):
        raise ProtocolError(BAD_FIELD, f"\"{key}\" must be a string.")
    if not low <= len(value) <= high:
        raise ProtocolError(BAD_FIELD, f"\"{key}\" must be {low} to {high} characters long.")
    if not blank_ok and not value.strip():
        raise ProtocolError(BAD_FIELD, f"\"{key}\" must not be blank.")
    return value


def _hello(obj: dict[str, Any]) -> Hello:
    visitor = _string(obj, "visitor", low=1, high=MAX_VISITOR, required=True)
    if any(ord(c) < 32 or ord(c) == 127 for c in visitor or ""):
        raise ProtocolError(BAD_FIELD, "\"visitor\" must not contain control characters.")
    name = _string(obj, "name", low=0, high=MAX_NAME, required=False, blank_ok=True)
    email = _string(obj, "email", low=0, high=MAX_EMAIL, required=False, blank_ok=True)
    if email is not None:
        email = email.strip()
        if not email:
            email = None
        elif "@" not in email or any(c.isspace() for c in email):
            raise ProtocolError(BAD_FIELD, "\"email\" must be an email address.")
    token = obj.get("token")
    if token is not None and not isinstance(token, str):
        raise ProtocolError(BAD_FIELD, "\"token\" must be a string.")
    consent = obj.get("consent", False)
    if not isinstance(consent, bool):
        raise ProtocolError(BAD_FIELD, "\"consent\" must be true or false.")
    return Hello(visitor or "", (name or "").strip() or None, email, token, consent)


def _message(obj: dict[str, Any]) -> Message:
    raw_id = obj.get("id")
    if raw_id is None:
        raise ProtocolError(BAD_FIELD, "\"id\" is required.")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise ProtocolError(BAD_FIELD, "\"id\" must be a string.")
    msg_id = str(raw_id)
    if not 1 <= len(msg_id) <= MAX_ID:
        raise ProtocolError(BAD_FIELD, f"\"id\" must be 1 to {MAX_ID} characters long.")
    attachments = _attachments(obj.get("attachments"))
    text = _string(obj, "text", low=0 if attachments else 1, high=MAX_TEXT, required=True,
                   blank_ok=bool(attachments))
    return Message(msg_id, text or "", raw_id, attachments)


def _attachments(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_ATTACHMENTS or not all(
            isinstance(v, str) and 1 <= len(v) <= MAX_UPLOAD_ID for v in value):
        raise ProtocolError(BAD_FIELD, f"\"attachments\" must be a list of at most "
                                       f"{MAX_ATTACHMENTS} upload ids.")
    return tuple(value)


def _delivered(obj: dict[str, Any]) -> Delivered:
    raw = obj.get("id")
    if isinstance(raw, bool) or raw is None:
        raise ProtocolError(BAD_FIELD, "\"id\" of a hub message is required.")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 19:
        value = int(raw)
    else:
        raise ProtocolError(BAD_FIELD, "\"id\" must be the id of a hub message.")
    if value <= 0 or value >= 2**63:
        raise ProtocolError(BAD_FIELD, "\"id\" must be the id of a hub message.")
    return Delivered(value)


def _rating(obj: dict[str, Any]) -> Rating:
    score = obj.get("score")
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ProtocolError(BAD_FIELD, "\"score\" must be a whole number from 1 to 5.")
    comment = _string(obj, "comment", low=0, high=MAX_TEXT, required=False, blank_ok=True)
    return Rating(score, comment if comment and comment.strip() else None)


_PARSERS: dict[str, Any] = {
    "hello": _hello,
    "message": _message,
    "delivered": _delivered,
    "rating": _rating,
    "typing": lambda obj: Typing(),
    "ping": lambda obj: Ping(),
}


# --- hub → client ---------------------------------------------------------------------------


def encode(obj: dict[str, Any]) -> bytes:
    """One wire line. Not ASCII-escaped, so the 64 KiB limit counts what a client receives."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def fits(line: bytes) -> bool:
    return len(line) - 1 <= MAX_LINE


def error(code: str, message: str) -> bytes:
    return encode({"type": "error", "code": code, "message": message})


def ack(raw_id: str | int | None = None) -> bytes:
    """`ack` with the client's id (a rating's ack has none)."""
    return encode({"type": "ack"} if raw_id is None else {"type": "ack", "id": raw_id})


def pong() -> bytes:
    return encode({"type": "pong"})


def offline(text: str) -> bytes:
    return encode({"type": "offline", "text": text})


def typing(active: bool) -> bytes:
    """An agent started (or stopped) typing in the visitor's conversation."""
    return encode({"type": "typing", "typing": active})


def rate_request(conversation: int) -> bytes:
    return encode({"type": "rate_request", "conversation": str(conversation)})


def reply(message_id: int | str, text: str, agent: str, at: str,
          attachments: list[dict[str, Any]] | None = None) -> bytes:
    """An agent's reply; may exceed MAX_LINE for very long replies (check with `fits`).
    `attachments`: the files sent with it, `[{id, name, type, size}]` (web/files.py)."""
    frame: dict[str, Any] = {"type": "message", "id": str(message_id), "text": text,
                             "agent": agent, "at": at}
    if attachments:
        frame["attachments"] = attachments
    return encode(frame)


HISTORY_EXTRAS = ("client_id", "agent", "attachments")  # optional fields of a history entry


def welcome(visitor: str, online: bool, history: list[dict[str, Any]]) -> bytes:
    """`welcome` with as much recent history as fits one line: the oldest entries go first,
    and an entry too long on its own is shortened, so a welcome never breaks the framing."""
    entries = [{"id": str(h["id"]), "from": h["from"], "text": h["text"], "at": h["at"],
                **{k: h[k] for k in HISTORY_EXTRAS if h.get(k)}}
               for h in history]
    line = encode({"type": "welcome", "visitor": visitor, "online": online, "history": entries})
    while not fits(line) and entries:
        biggest = max(range(len(entries)), key=lambda i: len(entries[i]["text"]))
        if len(entries[biggest]["text"].encode("utf-8")) > MAX_LINE // 4:
            entries[biggest] = {**entries[biggest],
                                "text": entries[biggest]["text"][: MAX_LINE // 16] + " …"}
        else:
            entries.pop(0)
        line = encode({"type": "welcome", "visitor": visitor, "online": online,
                       "history": entries})
    return line
