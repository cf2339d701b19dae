"""The files an agent sent to one identity, found by the reply's message id and their place in it.

The website chat lets a visitor fetch the files sent to them (channels/chat/web/files.py);
this is the store side: a file sent to somebody else is not found, as if it did not exist.
"""

from __future__ import annotations

from omnitui.core.attachments import safe_filename
from omnitui.store.db import Store


def sent_file(store: Store, kind: str, address: str, message_id: int,
              index: int) -> tuple[str, str] | None:
    """(safe name, digest) of file `index` of reply `message_id`, if that reply went to the
    identity (kind, address) and the file is stored; else None."""
    rows = store.conn.execute(
        "SELECT a.filename, a.sha256 FROM attachment a JOIN message m ON m.id = a.message_id "
        "JOIN identity i ON i.id = m.identity_id WHERE m.id = ? AND m.kind = 'outbound' "
        "AND i.kind = ? AND i.address = ? ORDER BY a.id", (message_id, kind, address)).fetchall()
    if not 0 <= index < len(rows) or rows[index][1] is None:
        return None
    return safe_filename(rows[index][0]), str(rows[index][1])
