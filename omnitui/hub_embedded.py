"""The hub inside a console process: a one-person shop runs no separate server.

It runs `serve` on a thread of its own with its own event loop; when a hub already runs for the
store (on this host or, with PostgreSQL, on another), the console runs without one.
"""

from __future__ import annotations

import asyncio
import threading

from omnitui.config import Settings
from omnitui.hub import HubRunning, serve, setup_logging


class EmbeddedHub:
    """A hub inside a console process (a one-person shop runs no separate server)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="omnitui-hub", daemon=True)

    def start(self) -> EmbeddedHub:
        self._thread.start()
        self._ready.wait(10)
        if self.error is not None:
            raise self.error
        return self

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._stop = asyncio.Event()
        try:
            loop.run_until_complete(serve(self.settings, install_signals=False, embedded=True,
                                          ready=self._ready.set, stop=self._stop))
        except BaseException as exc:
            self.error = exc
        finally:
            self._ready.set()
            loop.close()

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()


def start_embedded_hub(settings: Settings) -> EmbeddedHub | None:
    """Start a hub in this process unless one already runs for the data dir (then None)."""
    setup_logging(settings, to_stderr=False)
    try:
        return EmbeddedHub(settings).start()
    except HubRunning:
        return None
