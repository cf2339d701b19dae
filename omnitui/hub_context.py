"""The hub's side of `ChannelContext`: what a running channel may ask of the store.

All store work runs on the hub's single database thread so the event loop never blocks on SQLite
and writes from one process never contend with each other.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from omnitui.channels.base import Inbound
from omnitui.config import Settings
from omnitui.core import actions
from omnitui.core.clock import iso
from omnitui.core.feed import Event, FeedFanout, follow_events
from omnitui.core.health import set_channel_state
from omnitui.core.hours import BusinessHours
from omnitui.core.ingest import ingest_batch, read_cursor
from omnitui.core.outbox import mark_delivered
from omnitui.core.sent_files import sent_file
from omnitui.store.db import Store
from omnitui.store.files import read_blob

T = TypeVar("T")


class Database:
    """One thread, one connection: the hub's way into SQLite from asyncio."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="omnitui-db")

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        import asyncio
        import functools

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.store.close()


class HubContext:
    """Given to one channel; carries its name so every write is attributed to it."""

    def __init__(self, settings: Settings, db: Database, channel: str, kind: str,
                 log: logging.Logger, feed: FeedFanout | None = None) -> None:
        self.settings = settings
        self.data_dir: Path = settings.data_dir
        self.db = db
        self.channel = channel
        self.kind = kind
        self._log = log
        self._feed = feed
        self.hours = BusinessHours.from_config(settings.hours, settings.timezone)

    async def ingest(self, batch: Sequence[Inbound], cursor: str | None = None) -> list[int]:
        results = await self.db.run(
            ingest_batch, self.db.store, batch,
            cursor=(self.channel, cursor) if cursor is not None else None,
            attachments_dir=self.settings.attachments_dir,
            recognition=self.settings.recognition)
        created = sum(1 for r in results if r.created)
        if created:
            self._log.info("%s: stored %d new message(s)", self.channel, created)
        return [r.message_id for r in results]

    def follow_feed(self) -> AsyncIterator[list[Event]]:
        """The change feed's batches, from the hub's one follower (a context made without a
        hub follows the feed itself)."""
        if self._feed is None:
            return follow_events(self.settings.database)
        return self._feed.subscribe()

    def cursor(self) -> str | None:
        return read_cursor(self.db.store, self.channel)

    async def set_state(self, state: str, detail: str | None = None,
                        last_error: str | None = None) -> None:
        await self.db.run(set_channel_state, self.db.store, self.channel, self.kind, state,
                          detail, last_error)

    def log(self, message: str) -> None:
        self._log.info("%s: %s", self.channel, message)

    # --- what the chat channel needs beyond ingest -------------------------------------------

    def is_open(self, at: datetime | None = None) -> bool:
        return self.hours.is_open(at or datetime.now(UTC))

    async def history(self, address: str, limit: int = 50) -> list[dict[str, Any]]:
        """The last messages between this visitor and the shop, oldest first."""
        return await self.db.run(_history, self.db.store, self.kind, address, limit)

    async def undelivered(self, address: str) -> list[dict[str, Any]]:
        """Replies sent while the visitor was away, to push after their next hello."""
        return await self.db.run(_undelivered, self.db.store, self.channel, self.kind, address)

    async def mark_delivered(self, address: str, message_id: int) -> bool:
        """Only a reply addressed to this visitor can be marked delivered by them."""
        return await self.db.run(_mark_delivered_for, self.db.store, self.kind, address,
                                 message_id, f"channel:{self.channel}")

    async def rating(self, address: str, score: int, comment: str | None) -> bool:
        return await self.db.run(_rating, self.db.store, self.kind, address, score, comment)

    async def customer_typing(self, address: str) -> bool:
        """The visitor is typing: a `customer_typing` event in their open conversation, which
        the agents' consoles show for a few seconds (the channel sends one every few seconds
        at most). False when they have no open conversation yet."""
        return await self.db.run(_customer_typing, self.db.store, self.channel, self.kind,
                                 address)

    # --- service levels (issue 7) ---------------------------------------------------------------

    async def csat_rating(self, address: str, conversation_id: int, score: int) -> bool:
        """A tap on the Telegram rating keyboard; False when it does not count (see
        `core.csat.record_telegram_rating`)."""
        from omnitui.core.csat import record_telegram_rating

        return await self.db.run(record_telegram_rating, self.db.store, address,
                                 conversation_id, score)

    async def email_known(self, address: str) -> bool:
        """Whether the customer behind this identity can be reached by email: decides whether
        the chat's `offline` line asks for an address and whether a typed one is linked."""
        return await self.db.run(_email_known, self.db.store, self.kind, address)

    async def visitor_online(self, address: str, online: bool) -> None:
        """A visitor's first session opened (True) or their last one closed (False): kept in
        the store so a console can tell whether a new chat conversation reaches them."""
        from omnitui.core.chat_presence import set_online

        await self.db.run(set_online, self.db.store, self.channel, address, online)

    async def clear_visitors(self) -> None:
        """The channel starts or stops: nobody is connected to it."""
        from omnitui.core.chat_presence import clear_channel

        await self.db.run(clear_channel, self.db.store, self.channel)

    async def sent_file(self, address: str, message_id: int,
                        index: int) -> tuple[str, str] | None:
        """(name, digest) of a file an agent sent this address (core/sent_files.py)."""
        return await self.db.run(sent_file, self.db.store, self.kind, address, message_id,
                                 index)

    async def blob(self, digest: str) -> bytes | None:
        """A stored file's bytes (a file here, or rows of a PostgreSQL store); None if gone."""
        return await self.db.run(_blob, self.db.store, self.settings.attachments_dir, digest)

    async def last_inbound_at(self, address: str) -> float | None:
        """When this identity last wrote (epoch seconds): the floor for "last seen" after a
        hub restart, when the channel has not seen the visitor itself."""
        return await self.db.run(_last_inbound_at, self.db.store, self.kind, address)


def _history(store: Store, kind: str, address: str, limit: int) -> list[dict[str, Any]]:
    rows = store.conn.execute(
        # Only this identity's own messages and the replies sent to it: a visitor who types
        # somebody's email address in the chat box must not see that customer's mail.
        "SELECT m.id, m.kind, m.text, m.created_at, m.external_id, "
        "coalesce(a.name, 'Support') FROM identity i JOIN message m "
        "ON m.identity_id = i.id LEFT JOIN agent a ON a.id = m.agent_id "
        "WHERE i.kind = ? AND i.address = ? "
        "AND m.kind IN ('inbound', 'outbound') "
        # A failed reply never reached the visitor (e.g. its author was disabled before it left).
        "AND coalesce(m.delivery_state, '') != 'failed' ORDER BY m.id DESC LIMIT ?",
        (kind, address, limit)
    ).fetchall()
    files: dict[int, list[dict[str, Any]]] = {}
    ids = [r[0] for r in rows]
    if ids:  # a reloaded chat shows the files the visitor sent, by name (never their bytes)
        for mid, name, ctype, size in store.conn.execute(
                "SELECT message_id, filename, content_type, size FROM attachment WHERE "
                f"message_id IN ({','.join('?' * len(ids))}) ORDER BY id", ids):
            files.setdefault(mid, []).append({"name": name, "type": ctype, "size": size})
    out = []
    for r in reversed(rows):
        entry = {"id": str(r[0]), "from": "customer" if r[1] == "inbound" else "agent",
                 "text": r[2], "at": iso(r[3])}
        if r[1] == "inbound" and r[4] and ":" in r[4]:
            # the id the client chose (after "visitor:"): a client that lost an ack sees its
            # message is stored, and neither shows nor resends it twice
            entry["client_id"] = r[4].split(":", 1)[1]
        elif r[1] == "outbound":
            entry["agent"] = r[5]  # as in a live `message`
        if r[0] in files:  # an agent's files carry the id the visitor fetches them by
            entry["attachments"] = files[r[0]] if r[1] == "inbound" else [
                {**f, "id": f"{r[0]}-{n}"} for n, f in enumerate(files[r[0]])]
        out.append(entry)
    return out


def _customer_typing(store: Store, channel: str, kind: str, address: str) -> bool:
    row = store.conn.execute(
        "SELECT c.id, c.customer_id FROM identity i JOIN conversation c ON c.customer_id = "
        "i.customer_id WHERE i.kind = ? AND i.address = ? AND c.merged_into IS NULL AND "
        "c.status IN ('open', 'pending', 'snoozed') ORDER BY c.last_message_at DESC LIMIT 1",
        (kind, address)).fetchone()
    if row is None:
        return False
    with store.write(f"channel:{channel}") as tx:
        tx.event("customer_typing", conversation_id=row[0], customer_id=row[1])
    return True


def _undelivered(store: Store, channel: str, kind: str, address: str) -> list[dict[str, Any]]:
    rows = store.conn.execute(
        "SELECT m.id, m.text, m.created_at, coalesce(a.name, 'Support') FROM message m "
        "JOIN identity i ON i.id = m.identity_id LEFT JOIN agent a ON a.id = m.agent_id "
        "WHERE i.kind = ? AND i.address = ? AND m.kind = 'outbound' AND m.channel = ? "
        "AND m.delivery_state = 'sent' ORDER BY m.id", (kind, address, channel)).fetchall()
    return [{"id": str(r[0]), "text": r[1], "at": iso(r[2]), "agent": r[3]} for r in rows]


def _mark_delivered_for(store: Store, kind: str, address: str, message_id: int,
                        actor: str) -> bool:
    owner = store.conn.execute(
        "SELECT 1 FROM message m JOIN identity i ON i.id = m.identity_id WHERE m.id = ? "
        "AND i.kind = ? AND i.address = ?", (message_id, kind, address)).fetchone()
    if owner is None:
        return False
    return mark_delivered(store, message_id, actor)


def _rating(store: Store, kind: str, address: str, score: int, comment: str | None) -> bool:
    conv = store.conn.execute(
        "SELECT c.id FROM conversation c JOIN identity i ON i.customer_id = c.customer_id "
        "WHERE i.kind = ? AND i.address = ? ORDER BY (c.status = 'resolved') DESC, "
        "c.last_message_at DESC LIMIT 1", (kind, address)).fetchone()
    if conv is None:
        return False
    actions.record_rating(store, conv[0], score, comment, actor=f"customer:{address}")
    return True


def _email_known(store: Store, kind: str, address: str) -> bool:
    row = store.conn.execute(
        "SELECT 1 FROM identity i JOIN identity e ON e.customer_id = i.customer_id "
        "WHERE i.kind = ? AND i.address = ? AND e.kind = 'email' LIMIT 1",
        (kind, address)).fetchone()
    return row is not None


def _last_inbound_at(store: Store, kind: str, address: str) -> float | None:
    row = store.conn.execute(
        "SELECT max(m.created_at) FROM identity i JOIN message m ON m.identity_id = i.id "
        "WHERE i.kind = ? AND i.address = ? AND m.kind = 'inbound'", (kind, address)).fetchone()
    return float(row[0]) if row and row[0] is not None else None


def _blob(store: Store, root: Path, digest: str) -> bytes | None:
    try:
        return read_blob(store, root, digest)
    except OSError:
        return None
