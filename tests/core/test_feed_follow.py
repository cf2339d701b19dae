"""`follow_events`: wakes at another connection's commit, costs (almost) nothing while idle,
still delivers by polling where inotify is missing (SQLite) or when its listening connection is
lost (PostgreSQL), and lets go of its watch and connection."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from omnitui.channels.base import Inbound
from omnitui.core import feed as feed_module
from omnitui.core.feed import Event, Feed, follow_events
from omnitui.core.ingest import ingest
from omnitui.core.wake import AsyncDirWatch, DirWatch
from omnitui.store.database import Database
from omnitui.store.db import Store


def chat(ext: str) -> Inbound:
    return Inbound(channel="chat", kind="chat", external_id=ext, address="v1", text="hello")


def wakes_at_once(store: Store) -> bool:
    """PostgreSQL wakes followers by LISTEN; SQLite by inotify, where the system has it."""
    if store.database.is_postgres:
        return True
    watch = DirWatch(store.database.path.parent, "omnitui.db")  # type: ignore[union-attr]
    try:
        return watch.active
    finally:
        watch.close()


def watch_class() -> type:
    """The class of the follower's wake on the run's engine."""
    if Database.at(os.environ.get("OMNITUI_DATABASE", "x.db")).is_postgres:
        from omnitui.store.pg_wake import AsyncPgWake

        return AsyncPgWake
    return AsyncDirWatch


sqlite_only = pytest.mark.skipif(
    "config.getoption('--backend') == 'postgresql'",
    reason="inotify watches a SQLite file's directory; PostgreSQL followers wake by LISTEN "
           "(test_a_lost_listening_connection_is_remade_and_nothing_is_missed)")


@pytest.fixture
def polls(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every `Feed.poll` call, as a monotonic time."""
    calls: list[float] = []
    real = Feed.poll

    def counted(self: Feed, *, force: bool = False) -> list[Event]:
        calls.append(time.monotonic())
        return real(self, force=force)

    monkeypatch.setattr(Feed, "poll", counted)
    return calls


@pytest.fixture
def no_inotify(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[AsyncDirWatch]]:
    """The follower's watch is inactive, as on a system without inotify."""
    made: list[AsyncDirWatch] = []

    class Inactive(AsyncDirWatch):
        def __init__(self, directory: Path, prefix: str) -> None:
            super().__init__(directory, prefix)
            self.close()  # back to the no-inotify path: wait() sleeps and says "look"
            made.append(self)

    monkeypatch.setattr(feed_module, "AsyncDirWatch", Inactive)
    yield made


@contextlib.asynccontextmanager
async def following(store: Store) -> AsyncIterator[asyncio.Task[list[Event]]]:
    """The follower asleep (its feed open, nothing new), waiting for its next batch."""
    last = int(store.conn.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0])
    async with contextlib.aclosing(follow_events(store.database, after=last)) as batches:
        task = asyncio.ensure_future(anext(batches))
        await asyncio.sleep(0.2)
        assert not task.done()
        try:
            yield task
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await task


async def commit_and_time(store: Store, task: asyncio.Task[list[Event]]) -> tuple[float, int]:
    """Commit a message from another connection; seconds until the follower yields it."""
    began = time.monotonic()
    result = await asyncio.to_thread(ingest, store, chat("v1:1"))
    batch = await asyncio.wait_for(task, 3.0)
    assert [e.message_id for e in batch] == [result.message_id]
    return time.monotonic() - began, result.message_id


async def test_yields_another_connections_commit_at_once(store: Store) -> None:
    if not wakes_at_once(store):
        pytest.skip("no inotify here: the fallback test covers this system")
    async with following(store) as task:
        elapsed, _ = await commit_and_time(store, task)
    # The safety look would come 0.8 s after the commit: this is the inotify wake.
    assert elapsed < 0.3


async def test_idle_follower_barely_polls(store: Store, polls: list[float]) -> None:
    if not wakes_at_once(store):
        pytest.skip("no inotify here: an idle follower polls every FALLBACK_SECONDS")
    async with following(store):
        polls.clear()
        await asyncio.sleep(1.2)
        idle = len(polls)
    # The old 50 ms loop made ~24 polls here; now only the 1 s safety look remains.
    assert idle <= 3, f"{idle} polls in 1.2 s of silence"


@sqlite_only
async def test_without_inotify_it_polls(store: Store, no_inotify: list[AsyncDirWatch],
                                        polls: list[float]) -> None:
    async with following(store) as task:
        assert no_inotify and not no_inotify[0].active
        elapsed, _ = await commit_and_time(store, task)
    assert elapsed < feed_module.FALLBACK_SECONDS + 0.5
    assert len(polls) >= 2  # it found the event by polling, not by a wake


async def test_a_lost_listening_connection_is_remade_and_nothing_is_missed(store: Store) -> None:
    if not store.database.is_postgres:
        pytest.skip("a SQLite follower has no listening connection (test_without_inotify_it_polls)")
    async with following(store) as task:
        ended = store.conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
            "'omnitui feed' AND datname = current_database()").fetchall()
        assert ended and all(r[0] for r in ended)
        elapsed, _ = await commit_and_time(store, task)
    assert elapsed < feed_module.SAFETY_SECONDS + 1.0


async def test_closing_releases_watch_and_feed(store: Store,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    closed: list[str] = []
    watch = watch_class()
    real_feed_close, real_watch_close = Feed.close, watch.close
    monkeypatch.setattr(Feed, "close", lambda self: (closed.append("feed"),
                                                     real_feed_close(self)))
    monkeypatch.setattr(watch, "close", lambda self: (closed.append("watch"),
                                                      real_watch_close(self)))
    async with following(store) as task:
        task.cancel()  # cancelled while asleep in the watch
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert sorted(closed) == ["feed", "watch"]
    # and leaving `aclosing` after a yielded batch closes it too
    closed.clear()
    ingest(store, chat("v1:2"))
    async with contextlib.aclosing(follow_events(store.database, after=0)) as batches:
        assert await asyncio.wait_for(anext(batches), 3.0)
        assert closed == []
    assert sorted(closed) == ["feed", "watch"]


async def test_a_failed_read_is_logged_and_the_follower_goes_on(
        store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """The hub's feed task has no supervisor: a database error must not end it."""
    real = Feed.poll
    failures = [sqlite3.OperationalError("disk I/O error")]

    def flaky(self: Feed, *, force: bool = False) -> list[Event]:
        if failures:
            raise failures.pop()
        return real(self, force=force)

    monkeypatch.setattr(Feed, "poll", flaky)
    monkeypatch.setattr(feed_module, "ERROR_RETRY_SECONDS", 0.05)
    ingest(store, chat("v1:1"))
    async with contextlib.aclosing(follow_events(store.database, after=0)) as batches:
        batch = await asyncio.wait_for(anext(batches), 3.0)
    assert [e.kind for e in batch][-1] == "message_in"
    assert "disk I/O error" in caplog.text and not failures
