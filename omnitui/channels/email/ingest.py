"""The IMAP ingest loop: sync new UIDs in batches, then IDLE (or poll), reconnecting on faults.

Why this shape: each batch is committed with its cursor (uidvalidity, last uid) in one transaction
by `ctx.ingest`, so a crash at any instant loses nothing and doubles nothing; re-fetching a batch
is harmless because the external id is the hash of the raw bytes. Flags such as \\Seen are never
read or written, and nothing on the server is ever moved or deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Sequence
from typing import TypeVar

from omnitui.channels.base import ChannelContext, ConfigError, Inbound
from omnitui.channels.email.imap import IDLE_REISSUE, Cursor, ImapLost, ImapRefused, ImapSession
from omnitui.channels.email.inbound import to_inbound
from omnitui.config import EmailSettings

Progress = Callable[[int, int], None]
T = TypeVar("T")
MAX_BATCH_BYTES = 64 * 1024 * 1024  # per fetched batch; ~3 batches are in flight at once


class ImapIngest:
    """Runs until cancelled; owns at most one IMAP session at a time."""

    def __init__(
        self,
        name: str,
        settings: EmailSettings,
        password: str,
        *,
        backoff: tuple[float, float] = (1.0, 60.0),
        idle_reissue: float = IDLE_REISSUE,
        max_batch_bytes: int = MAX_BATCH_BYTES,
    ) -> None:
        self.name, self.settings, self.password = name, settings, password
        self.backoff = backoff
        self.idle_reissue = idle_reissue
        self.max_batch_bytes = max_batch_bytes
        self.session: ImapSession | None = None  # exposed for tests and the sync command
        self._synced = False  # a server that accepts logins and then drops us still backs off

    async def connect(self) -> ImapSession:
        s = self.settings
        session = ImapSession(s.imap_host, s.imap_port, s.imap_security, s.timeout, s.tls_ca_file)
        try:
            await session.open(s.username, self.password, s.mailbox)
        except BaseException:
            await session.close()
            raise
        return session

    async def run(self, ctx: ChannelContext) -> None:
        """Sync, wait for news, repeat; reconnect with exponential backoff and jitter."""
        delay = self.backoff[0]
        await ctx.set_state("starting")
        while True:
            try:
                self._synced = False
                self.session = await self.connect()
                await ctx.set_state("up")
                await self._serve(self.session, ctx)
            except ImapRefused as exc:
                await ctx.set_state("stopped", str(exc))
                raise ConfigError(f"channel {self.name}: {exc}") from None
            except (TimeoutError, ImapLost, OSError) as exc:
                if self._synced:  # it worked for a while: start again from the shortest delay
                    delay = self.backoff[0]
                reason = str(exc) if isinstance(exc, ImapLost) else f"{type(exc).__name__}: {exc}"
                ctx.log(f"email {self.name}: IMAP {reason}; reconnecting in {delay:.1f} s")
                await ctx.set_state("retrying", f"in {delay:.0f} s: {reason}"[:300])
            finally:
                session, self.session = self.session, None
                if session is not None:
                    await asyncio.shield(session.close())
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self.backoff[1])

    async def _serve(self, session: ImapSession, ctx: ChannelContext) -> None:
        use_idle = self.settings.idle and session.has_idle
        while True:
            await self.sync_once(session, ctx)
            self._synced = True
            if use_idle:
                await session.idle_wait(min(self.idle_reissue, IDLE_REISSUE))
            else:
                await asyncio.sleep(self.settings.poll_interval)
                await session.noop()

    async def sync_once(
        self, session: ImapSession, ctx: ChannelContext, progress: Progress | None = None
    ) -> int:
        """Fetch and commit everything after the cursor; the number of messages committed."""
        cursor = Cursor.parse(ctx.cursor())
        uidvalidity = session.uidvalidity
        if cursor is not None and cursor.uidvalidity != uidvalidity:
            ctx.log(
                f"email {self.name}: UIDVALIDITY changed {cursor.uidvalidity} → {uidvalidity}; "
                "rescanning the mailbox (stored messages are recognised by content)"
            )
            cursor = None
        last = cursor.last_uid if cursor else 0
        sizes = await session.sizes_after(last)
        uids = list(sizes)
        if not uids:
            if cursor is None:  # remember the mailbox incarnation even when it is empty
                await ctx.ingest([], Cursor(uidvalidity, last).dump())
            return 0
        total, done, committed = len(uids), 0, 0
        backfill = total > self.settings.batch_size
        if progress:
            progress(0, total)
        if backfill:
            await ctx.set_state("backfilling", f"0 of {total}")
        chunks = _chunks(sizes, max(1, self.settings.batch_size), self.max_batch_bytes)
        prepared: asyncio.Queue[tuple[list[int], list[Inbound]] | None] = asyncio.Queue(2)
        producer = asyncio.create_task(self._prepare(session, chunks, uidvalidity, prepared))
        try:
            while True:
                item = await _next(prepared, producer)
                if item is None:
                    break
                chunk, batch = item
                await ctx.ingest(batch, Cursor(uidvalidity, chunk[-1]).dump())
                done += len(chunk)
                committed += len(batch)
                if progress:
                    progress(done, total)
                if backfill:
                    await ctx.set_state("backfilling", f"{done} of {total}")
        finally:
            producer.cancel()
            with contextlib.suppress(BaseException):
                await producer
        if backfill:
            await ctx.set_state("up")
        return committed

    async def _prepare(
        self,
        session: ImapSession,
        chunks: list[list[int]],
        uidvalidity: int,
        out: asyncio.Queue[tuple[list[int], list[Inbound]] | None],
    ) -> None:
        """Fetch and parse ahead of the commits: batch n+1 streams in while n is parsed, and
        is parsed while n is committed. Commits stay in UID order, so the cursor never passes an
        uncommitted UID."""
        pending = asyncio.ensure_future(session.fetch(chunks[0]))
        try:
            for n, chunk in enumerate(chunks):
                fetched = await pending
                if n + 1 < len(chunks):
                    pending = asyncio.ensure_future(session.fetch(chunks[n + 1]))
                batch = await asyncio.to_thread(self._convert, chunk, fetched, uidvalidity)
                await out.put((chunk, batch))
        finally:
            if not pending.done():
                pending.cancel()
                with contextlib.suppress(BaseException):
                    await pending
        await out.put(None)

    def _convert(
        self, chunk: Sequence[int], fetched: dict[int, bytes | None], uidvalidity: int
    ) -> list[Inbound]:
        """Raw bytes → Inbound, in a worker thread (parsing a 20 MB mail must not stall the hub)."""
        out: list[Inbound] = []
        for uid in chunk:
            if uid not in fetched:
                continue  # expunged between SEARCH and FETCH
            raw = fetched[uid]
            if raw is None:
                out.append(_unfetchable(self.name, uidvalidity, uid))
                continue
            out.append(to_inbound(raw, self.name, self.settings.address, uid=uid))
        return out


def _unfetchable(channel: str, uidvalidity: int, uid: int) -> Inbound:
    return Inbound(
        channel=channel,
        kind="email",
        external_id=f"imap:{uidvalidity}:{uid}",
        address="",
        text="",
        flags=frozenset({"quarantined"}),
        error=f"the server returned no body for UID {uid}",
        meta={"imap_uid": uid},
    )


def _chunks(sizes: dict[int, int], count: int, max_bytes: int) -> list[list[int]]:
    """UIDs in order, cut at `count` messages or `max_bytes` (a bigger mail goes alone)."""
    chunks: list[list[int]] = []
    current: list[int] = []
    used = 0
    for uid, size in sizes.items():
        if current and (len(current) >= count or used + size > max_bytes):
            chunks.append(current)
            current, used = [], 0
        current.append(uid)
        used += size
    if current:
        chunks.append(current)
    return chunks


async def _next(queue: asyncio.Queue[T], producer: asyncio.Task[None]) -> T:
    """The next prepared item, or the producer's exception as soon as it fails."""
    getter = asyncio.ensure_future(queue.get())
    try:
        done, _ = await asyncio.wait({getter, producer}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        getter.cancel()
        raise
    if getter not in done:
        exc = producer.exception() if not producer.cancelled() else asyncio.CancelledError()
        if exc is not None:
            getter.cancel()
            raise exc
    return await getter
