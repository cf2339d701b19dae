"""The hub: runs every channel, outbox delivery and timers in one asyncio process.

Only the hub talks to the network. Channels that crash are restarted with exponential backoff
while the others keep working. Consoles queue replies in the store; the hub follows the change
feed, so a reply queued by another process goes out within milliseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from omnitui.channels.base import (
    AmbiguousError,
    Channel,
    ChannelError,
    ConfigError,
    NamesWireIds,
    Outbound,
    PermanentError,
    Reroute,
    TemporaryError,
)
from omnitui.config import ChatSettings, EmailSettings, Settings, TelegramSettings
from omnitui.config import ConfigError as SettingsError
from omnitui.core import outbox, undo
from omnitui.core.actions import wake_snoozed
from omnitui.core.feed import FeedFanout, follow_events
from omnitui.core.reroute import reroute  # sla: chat reply to a visitor who left → email
from omnitui.core.resolve_settle import SettleState, settle_resolutions
from omnitui.core.service_levels import ServiceLevels  # sla: due times, breaches (issue 7)
from omnitui.hub_context import Database, HubContext
from omnitui.hub_faults import explain, keep_running, until_recorded
from omnitui.hub_faults import note_state as _note_state
from omnitui.hub_faults import one_line as _one_line
from omnitui.hub_lock import HubLock, HubRunning
from omnitui.store.data_files import DataDirAccess
from omnitui.store.db import Store

__all__ = ["Hub", "HubRunning", "build_channels", "serve", "setup_logging"]

T = TypeVar("T")

RESTART_MIN = 1.0
RESTART_MAX = 300.0
STABLE_AFTER = 60.0  # a channel that ran this long restarts from the smallest delay
TIMER_SECONDS = 5.0
OPTIMIZE_SECONDS = 3600.0
STOP_GRACE = 3.0


def build_channels(settings: Settings) -> dict[str, Channel]:
    """One channel object per configured channel (imports only the kinds in use)."""
    channels: dict[str, Channel] = {}
    for name, cfg in settings.channels.items():
        if isinstance(cfg, ChatSettings):
            from omnitui.channels.chat.server import ChatChannel

            channels[name] = ChatChannel(name, cfg, settings)
        elif isinstance(cfg, EmailSettings):
            from omnitui.channels.email.channel import EmailChannel

            channels[name] = EmailChannel(name, cfg)
        elif isinstance(cfg, TelegramSettings):
            from omnitui.channels.telegram import TelegramChannel

            channels[name] = TelegramChannel(name, cfg)
    return channels


def setup_logging(settings: Settings, *, to_stderr: bool = True) -> logging.Logger:
    """One line per event to data_dir/hub.log (and stderr for `serve`); never secrets."""
    log = logging.getLogger("omnitui.hub")
    log.setLevel(logging.INFO)
    log.propagate = False
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    DataDirAccess.of(settings.data_dir).create_file(settings.log_path)
    file_handler = logging.FileHandler(settings.log_path, encoding="utf-8")
    file_handler.setFormatter(fmt)
    log.addHandler(file_handler)
    if to_stderr:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(fmt)
        log.addHandler(stream)
    return log


@dataclass
class Hub:
    settings: Settings
    channels: dict[str, Channel] = field(default_factory=dict)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("omnitui.hub"))
    started_at: float = field(default_factory=time.time)
    # Resolve's automatic messages wait this long (tests shorten `undo.UNDO_WINDOW`).
    undo_window: float = field(default_factory=lambda: undo.UNDO_WINDOW)

    def __post_init__(self) -> None:
        self.store = Store.open(self.settings.database)
        self.db = Database(self.store)
        self._outbox_wake = asyncio.Event()
        self._settle_wake = asyncio.Event()
        self._settle_state = SettleState()
        self._feed_after: int | None = None  # set by `run`: the event id the feed follows from
        self._stopping = False
        self._sending: set[asyncio.Task[None]] = set()
        self._busy: set[str] = set()
        self._service = ServiceLevels(self.settings)  # sla: owned by the service-levels work
        self._fanout = FeedFanout()  # the channels' view of this hub's one feed follower
        database = self.settings.database  # named in the log when its server is away
        self._server = database.describe() if database.is_postgres else None

    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set, then wind down within a few seconds."""
        self.log.info("hub started (pid %d, %d channel(s): %s)", os.getpid(), len(self.channels),
                      ", ".join(self.channels) or "none")
        for name, channel in self.channels.items():
            settled = await self.db.run(outbox.recover_interrupted, self.store, name,
                                        channel.resend_policy)
            if settled:
                self.log.info("%s: settled %d reply(ies) interrupted by a crash", name, settled)
            await self.db.run(outbox.rename_channel_alias, self.store, f"@{channel.kind}", name)
        # The feed follower starts here, not when its thread gets to open the feed: what the
        # first settling of resolves writes (see below) must reach the CSAT requests.
        self._feed_after = await self.db.run(_newest_event_id, self.store)
        tasks = [asyncio.create_task(self._supervise(name, ch), name=f"channel:{name}")
                 for name, ch in self.channels.items()]
        # Each part outlives a store that goes away for a while (hub_faults.py).
        for part, body in (("outbox", self._deliver), ("sla", self._follow_service_levels),
                           ("feed", self._follow_feed), ("timers", self._timers),
                           ("settle", self._settle_resolves)):
            tasks.append(asyncio.create_task(keep_running(part, body, self.log, self._server),
                                             name=part))
        try:
            await stop.wait()
        finally:
            self._stopping = True
            self.log.info("hub stopping")
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks, timeout=STOP_GRACE)
            if self._sending:
                await asyncio.wait(self._sending, timeout=STOP_GRACE)
            for name, channel in self.channels.items():
                with contextlib.suppress(Exception):
                    await self.db.run(_set_state, self.store, name, channel.kind, "stopped")
            self.db.close()
            self.log.info("hub stopped")

    async def _supervise(self, name: str, channel: Channel) -> None:
        ctx = HubContext(self.settings, self.db, name, channel.kind, self.log, self._fanout)
        delay = RESTART_MIN
        while True:
            await _note_state(ctx, "starting")
            began = time.monotonic()
            try:
                await channel.run(ctx)
                error = "stopped by itself"
            except asyncio.CancelledError:
                raise
            except (ConfigError, SettingsError) as exc:  # wrong password, missing secret, …
                error = _one_line(exc)
                self.log.warning("%s: configuration problem: %s", name, error)
                await _note_state(ctx, "failed", f"configuration problem: {error}", error)
                await asyncio.sleep(RESTART_MAX)
                continue
            except Exception as exc:  # a channel must never take the hub down
                error = explain(exc, self._server)
                self.log.warning("%s: crashed: %s", name, error)
            if time.monotonic() - began > STABLE_AFTER:
                delay = RESTART_MIN
            await _note_state(ctx, "retrying", f"retrying in {delay:.0f} s", error)
            self.log.info("%s: restarting in %.0f s", name, delay)
            await asyncio.sleep(delay)
            delay = min(RESTART_MAX, delay * 2)

    async def _follow_feed(self) -> None:
        """Wake the outbox as soon as any process queues a reply and hand each batch to the
        service levels and the channels (`HubContext.follow_feed`). It never waits for the
        database thread, so a reply is claimed as soon as it is seen. `follow_events` sleeps
        on inotify between batches: an idle hub costs nothing."""
        async with contextlib.aclosing(follow_events(self.settings.database,
                                                     after=self._feed_after)) as batches:
            async for events in batches:
                self._feed_after = events[-1].id  # a follower started again goes on from here
                self._fanout.publish(events)
                if any(e.kind == "message_out" for e in events):
                    self._outbox_wake.set()
                if any(e.kind in ("status", "undo") for e in events):
                    self._settle_wake.set()  # a resolve's window starts, or a reopen was undone

    async def _follow_service_levels(self) -> None:
        """sla: refresh due times / auto-ack / CSAT (core.service_levels) after each batch;
        batches that arrived while the last refresh ran are refreshed as one."""
        async with contextlib.aclosing(self._fanout.subscribe()) as batches:
            async for events in batches:
                await self._service_levels(self._service.on_events, events)

    async def _deliver(self) -> None:
        names = set(self.channels)
        while True:
            self._outbox_wake.clear()
            idle = names - self._busy
            # (no trip to the database thread while every channel is busy sending)
            claimed = await self.db.run(outbox.claim_loaded, self.store, idle, 50,
                                        self.settings.attachments_dir) if idle else []
            by_channel: dict[str, list[outbox.Loaded]] = {}
            for item in claimed:
                by_channel.setdefault(item[0].channel, []).append(item)
            for channel_name, items in by_channel.items():
                self._busy.add(channel_name)
                task = asyncio.create_task(self._send_all(channel_name, items))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)
            if claimed:
                await asyncio.sleep(0)
                continue
            due = await self.db.run(outbox.next_due, self.store, idle) if idle else None
            timeout = 1.0 if due is None else max(0.0, min(1.0, due - time.time()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox_wake.wait(), timeout)

    async def _send_all(self, channel_name: str, items: list[outbox.Loaded]) -> None:
        """Sequential within a channel: a customer sees replies in the order they were written."""
        channel = self.channels[channel_name]
        try:
            for item, loaded in items:
                try:
                    await self._send_one(channel, item, loaded)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # reading it failed before anything went out
                    await until_recorded(lambda i=item, e=exc: self.db.run(  # type: ignore[misc]
                        outbox.retry_later, self.store, i, _one_line(e)), self.log,
                        f"reply {item.message_id} for a retry", self._server)
        finally:
            self._busy.discard(channel_name)
            self._outbox_wake.set()  # this channel may have more waiting

    async def _send_one(self, channel: Channel, item: outbox.Claimed,
                        loaded: Outbound | Exception) -> None:
        if isinstance(loaded, Exception):
            raise loaded  # as if reading it had failed here
        out = loaded
        if out.wire_id is None and isinstance(channel, NamesWireIds):
            wire_id = await self.db.run(outbox.fix_wire_id, self.store, item,
                                        channel.new_wire_id(out))
            out = dataclasses.replace(out, wire_id=wire_id)
        try:
            result = await channel.send(out)
        except TemporaryError as exc:
            delay = await self._record(item, outbox.retry_later, item, str(exc),
                                       after=exc.retry_after)
            self.log.info("%s: reply %d will retry in %.0f s: %s", channel.name, item.message_id,
                          delay, _one_line(exc))
        except Reroute as exc:  # sla: not reachable here now; the same text goes by `exc.kind`
            await self._reroute(channel, item, exc)
        except AmbiguousError as exc:
            policy = channel.resend_policy
            if policy == "resend" or (policy == "resend_once" and not item.ambiguous):
                await self._record(item, outbox.retry_later, item, str(exc), after=1.0,
                                   ambiguous=True)
                self.log.info("%s: reply %d may have arrived; resending once", channel.name,
                              item.message_id)
            else:
                await self._record(item, outbox.mark_failed, item,
                                   f"may or may not have arrived, not resent: {_one_line(exc)}")
        except (PermanentError, ChannelError) as exc:
            await self._record(item, outbox.mark_failed, item, _one_line(exc))
            self.log.info("%s: reply %d failed: %s", channel.name, item.message_id,
                          _one_line(exc))
        except Exception as exc:  # an unexpected fault is treated as temporary, and logged
            self.log.warning("%s: sending reply %d raised %s", channel.name, item.message_id,
                             _one_line(exc))
            await self._record(item, outbox.retry_later, item, _one_line(exc))
        else:
            await self._record(item, outbox.mark_sent, item, wire_id=result.wire_id,
                               delivered=result.delivered)

    async def _record(self, item: outbox.Claimed, fn: Callable[..., T], *args: Any,
                      **kwargs: Any) -> T:
        """What the channel answered, kept even if the store is away just now: the reply
        went (or not) and must not be sent again for want of a row."""
        return await until_recorded(lambda: self.db.run(fn, self.store, *args, **kwargs),
                                    self.log, f"reply {item.message_id}", self._server)

    async def _reroute(self, channel: Channel, item: outbox.Claimed, exc: Reroute) -> None:
        """sla (issue 7): queue the reply on the customer's `exc.kind` identity through a
        configured channel of that kind. Without one, or without such an identity, the reply
        counts as sent, as before (chat: pushed after the visitor's next hello)."""
        target = next((n for n, ch in self.channels.items() if ch.kind == exc.kind), None)
        new_id = None
        if target is not None:
            try:
                new_id = await self.db.run(reroute, self.store, item.message_id, kind=exc.kind,
                                           reason=str(exc), channel=target)
            except Exception as err:  # e.g. the conversation was merged meanwhile
                self.log.warning("%s: rerouting reply %d failed: %s", channel.name,
                                 item.message_id, _one_line(err))
        if new_id is None:
            await self.db.run(outbox.mark_sent, self.store, item)
        else:
            self.log.info("%s: reply %d rerouted as %s reply %d (%s)", channel.name,
                          item.message_id, exc.kind, new_id, _one_line(exc))
            self._outbox_wake.set()

    async def _timers(self) -> None:
        last_optimize = 0.0
        while True:
            if time.monotonic() - last_optimize > OPTIMIZE_SECONDS:
                await self.db.run(self.store.optimize)  # planner statistics for the consoles
                last_optimize = time.monotonic()
            woke = await self.db.run(wake_snoozed, self.store)
            if woke:
                self.log.info("woke %d snoozed conversation(s)", len(woke))
            await self._service_levels(self._service.on_timer)  # sla: breaches by time passing
            await asyncio.sleep(TIMER_SECONDS)

    async def _settle_resolves(self) -> None:
        """Mark resolves final once their undo window has passed (their rating requests follow
        the mark); wakes at the next window's end, on any status change, or every few seconds.
        The first run, at start, settles what a stopped hub missed."""
        while True:
            self._settle_wake.clear()
            next_at: float | None = None
            try:
                done = await self.db.run(settle_resolutions, self.store, time.time(),
                                         self.undo_window, self._settle_state)
                next_at = done.next_at
                if done.conversations:
                    self.log.info("resolve final for conversation(s) %s",
                                  ", ".join(map(str, done.conversations)))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store refused: try again at the next wake
                self.log.warning("settling resolves: %s", _one_line(exc))
            timeout = TIMER_SECONDS if next_at is None else min(
                TIMER_SECONDS, max(0.0, next_at - time.time()) + 0.01)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._settle_wake.wait(), timeout)

    async def _service_levels(self, hook: Callable[..., list[str]], *args: object) -> None:
        """sla: run a ServiceLevels hook on the db thread; a fault is logged, never fatal."""
        try:
            for line in await self.db.run(hook, self.store, *args, datetime.now(UTC)):
                self.log.info("%s", line)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.log.warning("service levels: %s", _one_line(exc))


def _set_state(store: Store, name: str, kind: str, state: str) -> None:
    from omnitui.core.health import set_channel_state

    set_channel_state(store, name, kind, state)


def _newest_event_id(store: Store) -> int:
    return int(store.conn.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0])


async def serve(settings: Settings, *, install_signals: bool = True,
                channels: dict[str, Channel] | None = None,
                ready: Callable[[], None] | None = None, embedded: bool = False,
                stop: asyncio.Event | None = None) -> None:
    """Hold the lock, run the hub until SIGTERM/SIGINT (or `stop`), release."""
    DataDirAccess.of(settings.data_dir).make_dirs(settings.data_dir)
    lock = HubLock.of(settings)
    lock.acquire(embedded=embedded)
    try:
        stop = stop or asyncio.Event()
        if install_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
        hub = Hub(settings, channels if channels is not None else build_channels(settings),
                  logging.getLogger("omnitui.hub"))
        if ready:
            ready()
        keeper = asyncio.create_task(lock.keep(stop, hub.log, embedded=embedded))
        try:
            await hub.run(stop)
        finally:
            keeper.cancel()
    finally:
        lock.release()


def __getattr__(name: str) -> object:
    """The console's hub (`EmbeddedHub`, `start_embedded_hub`) lives in hub_embedded.py."""
    if name in ("EmbeddedHub", "start_embedded_hub"):
        from omnitui import hub_embedded

        return getattr(hub_embedded, name)
    raise AttributeError(f"module 'omnitui.hub' has no attribute {name!r}")
