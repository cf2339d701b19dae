"""A Linux terminal driver whose input thread sleeps while the agent does nothing.

Textual's `LinuxDriver` reads keys in a thread that wakes every 100 ms, only so that a lone
escape byte (which might start an escape sequence) is delivered after a short timeout. That is
~0.1 % of a core per idle console, and the shop runs ten of them next to the hub. Here the
thread blocks in `select` with no timeout unless the parser holds a pending escape, and the
driver's exit event also writes to a pipe so that stopping still ends the wait at once.
Everything else (modes, mouse, resize) is the stock driver.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import threading
from codecs import getincrementaldecoder
from typing import Any

from textual._loop import loop_last
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

TICK = 0.1  # how soon a pending escape is flushed (Textual's own interval)


class _WakingEvent(threading.Event):
    """An Event whose `set` also makes a pipe readable, waking a thread blocked in select."""

    def __init__(self, wake_fd: int) -> None:
        super().__init__()
        self._wake_fd = wake_fd

    def set(self) -> None:
        super().set()
        with contextlib.suppress(OSError):
            os.write(self._wake_fd, b"x")


class QuietLinuxDriver(LinuxDriver):
    """`LinuxDriver` without the 10 Hz input-thread wake-up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self.exit_event = _WakingEvent(self._wake_w)

    def run_input_thread(self) -> None:
        """Textual's loop, with `select(None)` while no escape sequence is pending."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        selector.register(self._wake_r, selectors.EVENT_READ)
        fileno = self.fileno
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def process(ready: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
            keys = [(key, mask) for key, mask in ready if key.fd == fileno]
            for last, (_key, mask) in loop_last(keys):
                if mask & selectors.EVENT_READ:
                    data = decode(os.read(fileno, 1024 * 4), final=final and last)
                    if not data:
                        break
                    for event in parser.feed(data):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)

        def timeout() -> float | None:
            return TICK if parser._timeout_time is not None else None

        try:
            while not self.exit_event.is_set():
                ready = selector.select(timeout())
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_r, 64)
                process(ready)
            selector.unregister(self.fileno)
            process(selector.select(TICK), final=True)
        finally:
            selector.close()
            with contextlib.suppress(Exception):
                for _event in parser.feed(""):
                    pass

    def close(self) -> None:
        super().close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
