"""Channel health, kept in the store so `omnitui status` and every console can show it."""

from __future__ import annotations

from omnitui.core.sanitize import clean_line
from omnitui.store.db import Store


def set_channel_state(store: Store, channel: str, kind: str, state: str,
                      detail: str | None = None, last_error: str | None = None) -> None:
    """Record a channel's state; an event is appended only when the state text changes."""
    detail = clean_line(detail)
    last_error = clean_line(last_error)
    with store.write(f"channel:{channel}") as tx:
        old = tx.one("SELECT state, detail, last_error FROM channel_state WHERE channel = ?",
                     (channel,))
        tx.execute(
            "INSERT INTO channel_state (channel, kind, state, detail, last_error, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(channel) DO UPDATE SET kind = excluded.kind, "
            "state = excluded.state, detail = excluded.detail, "
            "last_error = coalesce(excluded.last_error, channel_state.last_error), "
            "updated_at = excluded.updated_at",
            (channel, kind, state, detail, last_error, tx.now))
        if old is None or (old[0], old[1]) != (state, detail):
            tx.event("channel_state", channel=channel, state=state, detail=detail,
                     error=last_error)
