"""How the hub outlives a store that goes away for a while (PostgreSQL restarted, the network
to it cut, a SQLite disk full): its parts log one line and try again with backoff, and what a
channel already did on the wire is recorded once the store is back, never done twice.

Nothing is lost meanwhile: an ingest that failed was not acknowledged (the chat client resends,
IMAP and Telegram fetch again from the stored cursor), a reply whose sending could not be
recorded stays "sending" and is recorded as soon as the store answers, or settled by the
channel's resend policy if the hub stops first.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

RETRY_MIN = 1.0
RETRY_MAX = 30.0
STABLE_AFTER = 60.0  # a part that ran this long starts again from the smallest delay


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def explain(exc: BaseException, server: str | None) -> str:
    """One line; a lost or refused connection names the database server it was to."""
    text = one_line(exc)
    if server and isinstance(exc, sqlite3.OperationalError) and server not in text:
        return f"the database {server} did not answer ({text})"
    return text


async def keep_running(name: str, body: Callable[[], Awaitable[None]],
                       log: logging.Logger, server: str | None = None) -> None:
    """Run `body` (a loop that runs until cancelled) again whenever it fails; `server` (a
    PostgreSQL store's `describe()`) is named when the store is what failed."""
    delay = RETRY_MIN
    while True:
        began = time.monotonic()
        try:
            await body()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if time.monotonic() - began > STABLE_AFTER:
                delay = RETRY_MIN
            log.warning("%s: %s; starting again in %.0f s", name, explain(exc, server), delay)
        await asyncio.sleep(delay)
        delay = min(RETRY_MAX, delay * 2)


async def until_recorded(write: Callable[[], Awaitable[T]], log: logging.Logger,
                         what: str, server: str | None = None) -> T:
    """A store write that must happen (what a channel did cannot be undone): tried again with
    backoff until the store takes it; cancelled only with the hub."""
    delay = RETRY_MIN
    while True:
        try:
            return await write()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("recording %s failed: %s; trying again in %.0f s", what,
                        explain(exc, server), delay)
        await asyncio.sleep(delay)
        delay = min(RETRY_MAX, delay * 2)


async def note_state(ctx: Any, state: str, detail: str | None = None,
                     error: str | None = None) -> None:
    """A channel's state is for people to read: a store that is away must not stop the
    channel's supervisor (the channel itself fails and is restarted meanwhile)."""
    try:
        await ctx.set_state(state, detail, error)
    except Exception as exc:
        ctx.log(f"could not record the state {state!r}: {one_line(exc)}")
