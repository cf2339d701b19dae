"""A console on PostgreSQL has its first screen read by a helper process while it loads.

Before its first paint such a console imports the database driver (0.1-0.15 s of CPU), logs in
and waits on about fifteen statements, each a round trip to the server (more than the
rest of its start when the server is a network away); meanwhile it also loads Textual and its
screens (about 0.3 s of CPU). A thread would not overlap the two: both are Python work under one
interpreter lock. So the console forks first, before loading anything more: the helper opens the
store, checks the agent as the console would, reads what the first screen shows
(first_screen.py), hands it back through a pipe, logs out and exits; the console draws that and
logs in itself once drawn.

The helper only ever saves time. When it cannot finish (the agent is refused, the store needs
an upgrade, anything unforeseen) the console does everything itself as before, with the same
checks and the same one-sentence errors. A store error is handed back as it is, so a server
that does not answer is waited for once, not twice.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sqlite3
import threading
from typing import Any

from omnitui.config import Settings
from omnitui.first_screen import FirstScreen

READY, FAILED, FALL_BACK = "ready", "failed", "fall back"


class ReadAhead:
    """The helper process, from the console's side."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd = pid, fd
        self._done = False

    @classmethod
    def start(cls, settings: Settings, agent: str | None) -> ReadAhead | None:
        """Fork the helper for a store on PostgreSQL; None elsewhere (SQLite reads its first
        screen in milliseconds), and where forking is unsafe (a process with threads)."""
        if not settings.database.is_postgres or not hasattr(os, "fork"):
            return None
        if threading.active_count() > 1:  # (a lock another thread holds would stay held)
            return None
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the helper: never returns
            os.close(read_end)
            _helper(write_end, settings, agent)
        os.close(write_end)
        return cls(pid, read_end)

    def result(self) -> FirstScreen | None:
        """The first screen, once the helper has read it; None: do it all here. A store error
        the helper met is raised here, as opening the store here would have raised it."""
        data = bytearray()
        try:
            while chunk := os.read(self.fd, 1 << 16):
                data += chunk
        finally:
            self.close()
        try:
            outcome, value = pickle.loads(bytes(data))
        except Exception:  # the helper died before it said anything
            return None
        if outcome == FAILED:
            raise _rebuilt(*value)
        return value if outcome == READY else None

    def close(self) -> None:
        """Stop the helper if it still runs, and reap it."""
        if self._done:
            return
        self._done = True
        os.close(self.fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _helper(fd: int, settings: Settings, agent: str | None) -> None:
    """In the helper process: read, answer through `fd`, exit without running anything of the
    console's (no atexit handlers, no buffers flushed twice)."""
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for std in (0, 1, 2):  # the terminal is the console's
            os.dup2(devnull, std)
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # ctrl+c at the start ends both
        _answer(fd, _read(settings, agent))
    finally:
        os._exit(0)


def _rebuilt(kind: str, message: str) -> Exception:
    """The helper's store error, as the console's own reads would have raised it."""
    from omnitui.store.db import StoreError

    if kind == "StoreError":
        return StoreError(message)
    error = getattr(sqlite3, kind, sqlite3.DatabaseError)
    return error(message) if isinstance(error, type) else sqlite3.DatabaseError(message)


def _read(settings: Settings, agent: str | None) -> tuple[str, Any]:
    from omnitui.cli.common import acting_agent
    from omnitui.core.errors import ActionError
    from omnitui.first_screen import read_first_screen
    from omnitui.store.db import Store, StoreError, current_revision, is_newest

    store = Store(settings.database)
    try:
        # As Store.open, without upgrading: a store that needs it is the console's to upgrade.
        if not is_newest(current_revision(settings.database, store.conn)):
            return FALL_BACK, None
        who = acting_agent(store, agent)
        return READY, read_first_screen(store, settings, who)
    except ActionError:  # (an agent refused: the console says so in its own words)
        return FALL_BACK, None
    except StoreError as exc:  # (a server that does not answer: told once, not waited twice)
        return FAILED, ("StoreError", str(exc))
    except sqlite3.Error as exc:
        return FAILED, (type(exc).__name__, str(exc))
    except BaseException:
        return FALL_BACK, None
    finally:
        with contextlib.suppress(Exception):
            store.close()


def _answer(fd: int, outcome: tuple[str, Any]) -> None:
    try:
        data = pickle.dumps(outcome)
    except Exception:  # (what does not pickle, the console reads itself)
        data = pickle.dumps((FALL_BACK, None))
    view = memoryview(data)
    while view:  # (the console reads it once it has loaded; a pipe holds 64 kB meanwhile)
        view = view[os.write(fd, view):]
