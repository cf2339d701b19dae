"""Setting and clearing an agent's own signature: an agent their own, an admin anyone's.

Checked when set (placeholders, length, a channel that exists), so a reply never fails later on
a typo; every change is one transaction with an event, like any other agent action.
"""

from __future__ import annotations

from collections.abc import Collection

from omnitui.core.errors import ActionError, AgentDisabled, UnknownAgent
from omnitui.core.permissions import Actor, require_admin
from omnitui.core.sanitize import clean_line
from omnitui.core.signatures import ALL_CHANNELS, check_template
from omnitui.store.db import Store, Tx


def set_signature(store: Store, actor: Actor, username: str, text: str, *,
                  channel: str | None, channels: Collection[str]) -> str:
    """Store `username`'s signature for `channel` (None: every signing channel); the cleaned
    template stored."""
    key = _channel_key(channel, channels)
    whose = f"{clean_line(username)}'s signature"
    template = check_template(text, whose)
    if not template.strip():
        raise ActionError("A signature needs some text; 'omnitui agent signature clear' "
                          "removes one.")
    with store.write(actor.name) as tx:
        agent_id = _target(tx, actor, username)
        tx.execute(
            "INSERT INTO agent_signature (agent_id, channel, text, updated_at) VALUES "
            "(?, ?, ?, ?) ON CONFLICT(agent_id, channel) DO UPDATE SET text = excluded.text, "
            "updated_at = excluded.updated_at", (agent_id, key, template, tx.now))
        tx.event("signature_set", agent=username, channel=key or None)
    return template


def clear_signature(store: Store, actor: Actor, username: str, *, channel: str | None,
                    channels: Collection[str]) -> bool:
    """Remove it (the channel's default applies again); False when there was none."""
    key = _channel_key(channel, channels)
    with store.write(actor.name) as tx:
        agent_id = _target(tx, actor, username)
        cur = tx.execute("DELETE FROM agent_signature WHERE agent_id = ? AND channel = ?",
                         (agent_id, key))
        if cur.rowcount:
            tx.event("signature_cleared", agent=username, channel=key or None)
        return bool(cur.rowcount)


def _channel_key(channel: str | None, channels: Collection[str]) -> str:
    if channel is None:
        return ALL_CHANNELS
    if channel not in channels:
        known = ", ".join(sorted(channels)) or "none"
        raise ActionError(f"There is no channel '{clean_line(channel)}' in the config "
                          f"(channels: {known}).")
    return channel


def _target(tx: Tx, actor: Actor, username: str) -> int:
    """The agent whose signature changes: one's own, or anyone's for an admin."""
    if username != actor.name:
        require_admin(tx, actor, "change another agent's signature")
    row = tx.one("SELECT id, disabled FROM agent WHERE username = ?", (username,))
    if row is None:
        raise UnknownAgent(username)
    if row[1] and username == actor.name:
        raise AgentDisabled(username)
    return int(row[0])
