"""What the status line shows: each channel's state as the hub last wrote it, and the outbox.

Apart from store/queries.py (the timeline's and details' reads), which the inbox's first paint
does not need.
"""

from __future__ import annotations

from typing import Any

from omnitui.store.db import Store


def channel_states(store: Store) -> list[dict[str, Any]]:
    return [
        {
            "channel": r[0],
            "kind": r[1],
            "state": r[2],
            "detail": r[3],
            "last_error": r[4],
            "updated_at": r[5],
        }
        for r in store.conn.execute(
            "SELECT channel, kind, state, detail, last_error, updated_at FROM channel_state "
            "ORDER BY channel"
        )
    ]


def outbox_summary(store: Store) -> dict[str, Any]:
    r = store.conn.execute(
        "SELECT count(*), min(created_at) FROM outbox WHERE state IN ('queued', 'sending')"
    ).fetchone()
    failed = store.conn.execute("SELECT count(*) FROM outbox WHERE state = 'failed'").fetchone()
    return {"queued": r[0], "oldest_queued_at": r[1], "failed": failed[0]}
