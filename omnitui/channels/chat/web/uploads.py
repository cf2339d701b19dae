"""Uploads from the website: checked, stored as content-addressed blobs, named by an upload id.

The upload id carries the blob's SHA-256 and the name and type the upload was accepted with, so
a message can name its files after a hub restart without any table of pending uploads. A forged
id gains nothing: the blob must exist, its type must be allowed and its size within the limit,
and a visitor can only attach bytes they could have uploaded anyway (nothing is ever sent back).
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote

from omnitui.channels.base import InboundAttachment
from omnitui.channels.chat.protocol import BAD_FIELD, ProtocolError
from omnitui.config import ChatSettings
from omnitui.core.sanitize import clean_line
from omnitui.store.files import blob_path, store_bytes

MAX_NAME = 200
_SHA = re.compile(r"[0-9a-f]{64}")


class UploadRefused(Exception):
    """`code` is `bad_type`, `too_long` or `bad_field`; the text is one sentence."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def clean_name(filename: str | None) -> str:
    """A file name fit to store and show: last path part, no control characters, bounded.
    Percent-escapes are undone first: browsers escape quotes and line breaks that way."""
    name = unquote(filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = (clean_line(name) or "").strip().lstrip(".") or "attachment"
    return name[:MAX_NAME]


def media_type(declared: str | None) -> str:
    return (declared or "").split(";", 1)[0].strip().lower()


def check_type(cfg: ChatSettings, name: str, declared: str | None) -> str:
    """The accepted media type, or `UploadRefused`: the declared type must be allowed and the
    file name's extension must not say otherwise (a `.html` sent as `image/png` is refused)."""
    kind = media_type(declared) or (mimetypes.guess_type(name)[0] or "")
    allowed = [t.lower() for t in cfg.web_upload_types]
    if kind not in allowed:
        raise UploadRefused("bad_type", f"Files of type {kind or 'unknown'!r} cannot be sent "
                                        f"here; allowed: {', '.join(allowed)}.")
    guessed = mimetypes.guess_type(name)[0]
    if guessed is not None and guessed.lower() != kind:
        raise UploadRefused("bad_type", f"The file name says {guessed!r}, not {kind!r}.")
    return kind


def accept(cfg: ChatSettings, attachments_dir: Path, name: str, declared: str | None,
           data: bytes) -> dict[str, object]:
    """Store one upload; the answer of `POST /chat/upload`."""
    name = clean_name(name)
    kind = check_type(cfg, name, declared)
    if not data:
        raise UploadRefused(BAD_FIELD, "The file is empty.")
    if len(data) > cfg.web_upload_bytes:
        raise UploadRefused("too_long", f"A file can be at most {cfg.web_upload_bytes} bytes.")
    digest = store_bytes(attachments_dir, data)
    return {"id": make_id(digest, name, kind), "name": name, "type": kind, "size": len(data)}


def make_id(digest: str, name: str, kind: str) -> str:
    label = json.dumps([name, kind], ensure_ascii=False).encode("utf-8")
    return digest + "." + base64.urlsafe_b64encode(label).decode("ascii").rstrip("=")


def resolve(cfg: ChatSettings, attachments_dir: Path, upload_id: str) -> InboundAttachment:
    """An upload id from a `message` → the attachment to store with it, or `bad_field`."""
    digest, _, label = upload_id.partition(".")
    try:
        if not _SHA.fullmatch(digest):
            raise ValueError
        name, kind = json.loads(base64.urlsafe_b64decode(label + "=" * (-len(label) % 4)))
        if not isinstance(name, str) or not isinstance(kind, str):
            raise ValueError
    except (ValueError, TypeError):
        raise ProtocolError(BAD_FIELD, "An attachment id is not one /chat/upload gave.") from None
    path = blob_path(attachments_dir, digest)
    try:
        name = clean_name(name)
        kind = check_type(cfg, name, kind)
        data = path.read_bytes()
    except UploadRefused as exc:
        raise ProtocolError(BAD_FIELD, exc.message) from None
    except OSError:
        raise ProtocolError(BAD_FIELD, "An attachment was not found; upload it again.") from None
    if len(data) > cfg.web_upload_bytes:
        raise ProtocolError(BAD_FIELD, f"A file can be at most {cfg.web_upload_bytes} bytes.")
    return InboundAttachment(filename=name, content_type=kind, size=len(data), data=data)
