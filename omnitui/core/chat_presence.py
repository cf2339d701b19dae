"""Which chat visitors are connected to the hub now, kept in the store for other processes.

Only the hub sees the chat sockets, but a new chat conversation is started from a console or the
CLI, and may only be started with a visitor who is online (a chat message reaches nobody else).
So the hub writes a row when a visitor's first session opens and removes it when their last one
closes (one small write per visit, not per message), and clears its channel's rows when the
channel starts or stops; a hub that died leaves rows behind, so readers also ask whether a hub
runs at all.
"""

from __future__ import annotations

from omnitui.store.db import Store, Tx

EVENT = "chat_presence"


def set_online(store: Store, channel: str, visitor: str, online: bool) -> None:
    with store.write(f"channel:{channel}") as tx:
        if online:
            cur = tx.execute("INSERT INTO chat_presence (channel, visitor, since) VALUES "
                             "(?, ?, ?) ON CONFLICT(channel, visitor) DO NOTHING",
                             (channel, visitor, tx.now))
        else:
            cur = tx.execute("DELETE FROM chat_presence WHERE channel = ? AND visitor = ?",
                             (channel, visitor))
        if cur.rowcount:
            tx.event(EVENT, visitor=visitor, online=online)


def clear_channel(store: Store, channel: str) -> int:
    """Nobody is connected to a channel that is starting or has stopped."""
    with store.write(f"channel:{channel}") as tx:
        count = tx.execute("DELETE FROM chat_presence WHERE channel = ?", (channel,)).rowcount
        if count:
            tx.event(EVENT, cleared=count)
        return int(count)


def online_in(tx: Tx, channel: str, visitor: str) -> bool:
    return tx.one("SELECT 1 FROM chat_presence WHERE channel = ? AND visitor = ?",
                  (channel, visitor)) is not None
