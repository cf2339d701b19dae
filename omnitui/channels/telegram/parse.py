"""Raw Bot API updates (JSON dicts) → `Inbound`, without network access.

Why raw dicts and not python-telegram-bot's `Update` objects: one malformed update must not make a
whole getUpdates batch unreadable (PTB parses the batch at once and raises), so every update is
read on its own here and a broken one is skipped with a reason the poller logs. Sanitising text and
names is core's job at ingest; this module only picks fields and never trusts their types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from omnitui.channels.base import FLAG_EDITED, Inbound
from omnitui.channels.telegram.links import start_token

FILE_LIMIT = 20 * 1024 * 1024  # what a bot may download from the cloud Bot API

# Message fields that carry one file: (filename stem, extension, default content type).
_FILE_KINDS: dict[str, tuple[str, str, str]] = {
    "document": ("document", "", "application/octet-stream"),
    "voice": ("voice", ".ogg", "audio/ogg"),
    "audio": ("audio", ".mp3", "audio/mpeg"),
    "video": ("video", ".mp4", "video/mp4"),
    "video_note": ("video_note", ".mp4", "video/mp4"),
    "animation": ("animation", ".mp4", "video/mp4"),
}
_OTHER_KINDS = ("location", "venue", "poll", "dice", "game", "story", "invoice")
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")


@dataclass(frozen=True, slots=True)
class FileRef:
    """A file to fetch with getFile before the message is committed."""

    file_id: str
    filename: str
    content_type: str
    size: int | None


@dataclass(slots=True)
class Parsed:
    inbound: Inbound
    files: list[FileRef] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An update that becomes no message; `reason` is one log line."""

    reason: str
    callback_query_id: str | None = None


@dataclass(frozen=True, slots=True)
class RatingTap:
    """A tap on the CSAT keyboard (send.py's `rating_keyboard`): a rating, not a message.

    `chat_id`/`message_id` name the question the keyboard hangs under, so that it can be closed
    once the rating is recorded; None when Telegram did not include the message.
    """

    update_id: int
    callback_query_id: str | None
    address: str  # the tapping user's id, checked against the conversation's customer
    conversation_id: int
    score: int
    chat_id: int | None = None
    message_id: int | None = None


_RATING_DATA = re.compile(r"csat:([1-9][0-9]{0,17}):([1-5])")


def update_id(raw: Any) -> int | None:
    value = raw.get("update_id") if isinstance(raw, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_update(raw: Any, channel: str, *,
                 allow_groups: bool = False) -> Parsed | Skipped | RatingTap:
    """One update → a message to store, or the reason it is skipped."""
    uid = update_id(raw)
    if uid is None:
        return Skipped("update without a numeric update_id")
    if isinstance(raw.get("message"), dict):
        return _message(raw["message"], uid, channel, allow_groups, edited=False)
    if isinstance(raw.get("edited_message"), dict):
        return _message(raw["edited_message"], uid, channel, allow_groups, edited=True)
    if isinstance(raw.get("callback_query"), dict):
        query = raw["callback_query"]
        cq_id = _str(query.get("id"))
        user = _int(_dict(query.get("from")).get("id"))
        rating = _RATING_DATA.fullmatch(_str(query.get("data")) or "")
        if rating is not None and user is not None:
            question = _dict(query.get("message"))
            return RatingTap(uid, cq_id, str(user), int(rating.group(1)), int(rating.group(2)),
                             chat_id=_int(_dict(question.get("chat")).get("id")),
                             message_id=_int(question.get("message_id")))
        return Skipped(f"update {uid}: callback query answered and ignored", cq_id)
    if isinstance(raw.get("my_chat_member"), dict):
        status = _str(_dict(_dict(raw["my_chat_member"]).get("new_chat_member")).get("status"))
        user = _int(_dict(raw["my_chat_member"].get("from")).get("id"))
        return Skipped(f"update {uid}: user {user} changed the bot's membership to {status}")
    kinds = sorted(k for k in raw if k != "update_id")
    return Skipped(f"update {uid}: type {', '.join(kinds)[:60] or 'empty'} ignored")


def _message(msg: dict[str, Any], uid: int, channel: str, allow_groups: bool,
             *, edited: bool) -> Parsed | Skipped:
    chat = _dict(msg.get("chat"))
    chat_id = _int(chat.get("id"))
    message_id = _int(msg.get("message_id"))
    if chat_id is None or message_id is None:
        return Skipped(f"update {uid}: message without chat id or message_id")
    chat_type = _str(chat.get("type")) or "private"
    if chat_type != "private" and not allow_groups:
        return Skipped(f"update {uid}: {chat_type} chat message ignored (allow_groups is off)")
    sender = _dict(msg.get("from"))
    user_id = _int(sender.get("id"))
    if user_id is None:
        if chat_type != "private":
            return Skipped(f"update {uid}: group message without a sender")
        user_id = chat_id
    if sender.get("is_bot") is True:
        return Skipped(f"update {uid}: message from a bot ignored")
    files = _files(msg, message_id)
    text = _str(msg.get("text")) or _str(msg.get("caption")) or ""
    link_phone = None
    contact = _dict(msg.get("contact"))
    if contact:
        phone = _str(contact.get("phone_number"))
        # Only the customer's own number links identities; a forwarded contact card is just text.
        if phone and _int(contact.get("user_id")) == user_id:
            link_phone = phone
        who = " ".join(filter(None, (_str(contact.get("first_name")),
                                     _str(contact.get("last_name")))))
        text = text or f"Shared contact: {who} {phone or ''}".strip()
    sticker = _dict(msg.get("sticker"))
    if not text and sticker:
        text = _str(sticker.get("emoji")) or "[sticker]"
    if not text and not files:
        other = next((k for k in _OTHER_KINDS if k in msg), None)
        text = f"[{other}]" if other else "[unsupported message]"
    reply = _dict(msg.get("reply_to_message"))
    quoted = None
    refs: tuple[str, ...] = ()
    if reply:
        quoted = _str(reply.get("text")) or _str(reply.get("caption")) or _describe(reply)
        reply_id = _int(reply.get("message_id"))
        if reply_id is not None:
            refs = (f"{chat_id}:{reply_id}",)
    original = f"{chat_id}:{message_id}"
    edit_mark = _int(msg.get("edit_date")) or uid
    date = _int(msg.get("date"))
    inbound = Inbound(
        channel=channel,
        kind="telegram",
        external_id=f"{original}:edit:{edit_mark}" if edited else original,
        address=str(user_id),
        text=text,
        display_name=_name(sender),
        sent_at=datetime.fromtimestamp(date, UTC) if date and date > 0 else None,
        wire_id=None if edited else original,
        thread_refs=refs,
        flags=frozenset({FLAG_EDITED}) if edited else frozenset(),
        link_phone=link_phone,
        link_token=None if edited else start_token(text),
        revision_of=original if edited else None,
        quoted_text=quoted,
        meta={"update_id": uid, "chat_id": chat_id, "chat_type": chat_type,
              "message_id": message_id, "username": _str(sender.get("username"))},
    )
    return Parsed(inbound, [] if edited else files)


def _files(msg: dict[str, Any], message_id: int) -> list[FileRef]:
    refs: list[FileRef] = []
    photos = [p for p in msg.get("photo") or () if isinstance(p, dict)]
    if isinstance(msg.get("photo"), list) and photos:
        fitting = [p for p in photos if (_int(p.get("file_size")) or 0) <= FILE_LIMIT]
        best = (fitting or photos)[-1]
        ref = _ref(best, f"photo_{message_id}.jpg", "image/jpeg")
        if ref:
            refs.append(ref)
    for key, (stem, ext, ctype) in _FILE_KINDS.items():
        item = _dict(msg.get(key))
        if item:
            name = _str(item.get("file_name")) or f"{stem}_{message_id}{ext}"
            ref = _ref(item, name, _str(item.get("mime_type")) or ctype)
            if ref:
                refs.append(ref)
    sticker = _dict(msg.get("sticker"))
    if sticker:
        ext, ctype = ((".tgs", "application/x-tgsticker") if sticker.get("is_animated") is True
                      else (".webm", "video/webm") if sticker.get("is_video") is True
                      else (".webp", "image/webp"))
        ref = _ref(sticker, f"sticker_{message_id}{ext}", ctype)
        if ref:
            refs.append(ref)
    return refs


def _ref(item: dict[str, Any], filename: str, content_type: str) -> FileRef | None:
    file_id = _str(item.get("file_id"))
    if not file_id:
        return None
    safe = filename.replace("/", "_").replace("\\", "_").strip() or "attachment"
    return FileRef(file_id, safe[:200], content_type, _int(item.get("file_size")))


def _describe(msg: dict[str, Any]) -> str | None:
    for key in ("photo", "sticker", *(_FILE_KINDS), "contact", *(_OTHER_KINDS)):
        if key in msg:
            return f"[{key.replace('_', ' ')}]"
    return None


def _name(user: dict[str, Any]) -> str | None:
    full = " ".join(filter(None, (_str(user.get("first_name")), _str(user.get("last_name")))))
    username = _str(user.get("username"))
    return full.strip() or (f"@{username}" if username else None)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
