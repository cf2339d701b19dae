"""Files an agent sent to a website visitor: named in the reply, fetched with the visitor's token.

A reply's files travel as `attachments: [{id, name, type, size}]` in the `message` frame (and
in the history); the widget fetches `GET /chat/file/ID` with the visitor's token as a Bearer
header, so a file is readable only by the visitor it was sent to (an id alone is worth
nothing). The id is `MESSAGE-N`: the reply's message id and the file's place in it. Files go
out as downloads (`application/octet-stream`, `attachment`), never rendered by the browser on
the chat's origin.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from omnitui.channels.base import OutboundAttachment
from omnitui.core.attachments import safe_filename

_FILE_ID = re.compile(r"(\d{1,18})-(\d{1,3})")


def describe(message_id: int, files: tuple[OutboundAttachment, ...]) -> list[dict[str, Any]]:
    """The `attachments` of an agent's `message` frame."""
    return [{"id": f"{message_id}-{n}", "name": safe_filename(f.filename),
             "type": f.content_type, "size": f.size} for n, f in enumerate(files)]


def parse_id(file_id: str) -> tuple[int, int] | None:
    """`MESSAGE-N` → (message id, index); None for anything else."""
    match = _FILE_ID.fullmatch(file_id)
    return (int(match.group(1)), int(match.group(2))) if match else None


def download_headers(name: str) -> dict[str, str]:
    """A download under its own name (RFC 6266 with an ASCII fallback), never shown inline."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name)
    return {"Content-Type": "application/octet-stream",
            "Content-Disposition": f"attachment; filename=\"{fallback}\"; "
                                   f"filename*=UTF-8''{quote(name, safe='')}",
            "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"}
