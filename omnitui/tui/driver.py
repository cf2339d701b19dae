"""A Linux terminal driver whose input thread sleeps while the agent does nothing.

Textual's `LinuxDriver` reads keys in a thread that wakes every 100 ms, only so that a lone
escape byte (which might start an escape sequence) is delivered after a short timeout. That is
~0.1 % of a core per idle console, and the shop runs ten of them next to the hub. Here the
thread blocks in `select` with no timeout unless the parser holds a pending escape, and the
driver's exit event also writes to a pipe so that stopping still ends the wait at once.

A terminal can also vanish without a hangup signal (its pty master closed while the console
ignores SIGHUP or is not the terminal's session): every read then returns end of input at
once. The stock loop treats that as "nothing yet" and spins a core forever; here it stops
reading, stops writing to the dead terminal and asks the app to exit, so the usual shutdown
(presence cleared, embedded hub stopped) runs within a moment. A hangup signal, which would
otherwise kill the process before any of that, is handled the same way.
Everything else (modes, mouse, resize) is the stock driver.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import selectors
import signal
import sys
import threading
from codecs import getincrementaldecoder
from typing import Any, TextIO

from textual._loop import loop_last
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

from omnitui.tui.typeahead import coalesce_typing

TICK = 0.1  # how soon a pending escape is flushed (Textual's own interval)


class _WakingEvent(threading.Event):
    """An Event whose `set` also makes a pipe readable, waking a thread blocked in select."""

    def __init__(self) -> None:
        super().__init__()
        self.wake_fd = -1  # none while the driver is closed (a closed fd's number is reused)

    def set(self) -> None:
        super().set()
        if self.wake_fd >= 0:
            with contextlib.suppress(OSError):
                os.write(self.wake_fd, b"x")


class _GoneTolerantOutput:
    """The terminal output for Textual's writer thread, which must outlive a vanished terminal.

    A write to a pty whose master is closed fails (EIO); unguarded, that kills the writer
    thread, its queue fills, and the app blocks forever on its next frame."""

    def __init__(self, file: TextIO) -> None:
        self._file = file

    def write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._file.write(text)

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._file.flush()

    def fileno(self) -> int:
        return self._file.fileno()


class QuietLinuxDriver(LinuxDriver):
    """`LinuxDriver` without the 10 Hz input-thread wake-up, ending on end of input."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exit_event = _WakingEvent()
        self._wake_r = self._wake_w = -1
        self._open_wake_pipe()
        self.terminal_gone = False
        self._suspended = False
        if sys.__stderr__ is not None:
            self._file = _GoneTolerantOutput(sys.__stderr__)

    def write(self, data: str) -> None:
        """Nothing is written once the terminal is gone: there is no one to restore it for."""
        if not self.terminal_gone:
            super().write(data)

    def start_application_mode(self) -> None:
        """Also end on a hangup (an SSH connection or terminal closed), the same clean way,
        unless the console was started ignoring it (nohup): end of input tells it then."""
        if signal.getsignal(signal.SIGHUP) is signal.SIG_DFL:
            signal.signal(signal.SIGHUP, lambda _signum, _frame: self._end_of_input())
        super().start_application_mode()
        self._suspend_from_the_loop()

    def _suspend_from_the_loop(self) -> None:
        """Handle ctrl+z (SIGTSTP) and `fg` (SIGCONT) as callbacks of the app's loop.

        Textual handles them in Python signal handlers, which run between any two bytecodes of
        the main thread and there write the terminal reset through the writer's queue. A signal
        that landed while the main thread itself was inside that queue (it holds a plain lock
        while it puts a frame) waited for that lock forever: the console froze, not suspended,
        on a busy machine. On the loop, the suspend starts only between two callbacks."""
        with contextlib.suppress(RuntimeError, ValueError):  # no loop, or not the main thread
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTSTP, self._sigtstp_application)
            loop.add_signal_handler(signal.SIGCONT, self._sigcont_application)

    def suspend_application_mode(self) -> None:
        self._suspended = True
        super().suspend_application_mode()

    def resume_application_mode(self) -> None:
        """Resume only what was suspended (ctrl+z, then fg). Linux follows a terminal's hangup
        with SIGCONT, and Textual resumes on every SIGCONT: that started a second input thread
        on the dead terminal, and stopping then waited for it forever."""
        if not self._suspended or self.terminal_gone:
            return
        self._suspended = False
        self._open_wake_pipe()  # suspending closed the driver, and its pipe
        super().resume_application_mode()

    def _open_wake_pipe(self) -> None:
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self.exit_event.wake_fd = self._wake_w

    def _end_of_input(self) -> None:
        """The terminal is gone: exit the app from its own loop (this runs in the input thread,
        or in the main thread on a hangup)."""
        if self.terminal_gone:
            return
        self.terminal_gone = True
        with contextlib.suppress(RuntimeError):  # the loop already closed: the app has ended
            self._loop.call_soon_threadsafe(self._app.exit)

    def run_input_thread(self) -> None:
        """Textual's loop, with `select(None)` while no escape sequence is pending."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        selector.register(self._wake_r, selectors.EVENT_READ)
        fileno = self.fileno
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def read() -> bytes:
            """The next bytes typed; empty at end of input (EIO is how Linux says it too)."""
            try:
                return os.read(fileno, 1024 * 4)
            except OSError:
                return b""

        def process(ready: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
            keys = [(key, mask) for key, mask in ready if key.fd == fileno]
            for last, (_key, mask) in loop_last(keys):
                if mask & selectors.EVENT_READ:
                    raw = read()
                    if not raw:
                        selector.unregister(fileno)
                        self._end_of_input()
                        break
                    data = decode(raw, final=final and last)
                    for event in coalesce_typing(parser.feed(data)):
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
            if not self.terminal_gone:
                selector.unregister(fileno)
                process(selector.select(TICK), final=True)
        finally:
            selector.close()
            with contextlib.suppress(Exception):
                for _event in parser.feed(""):
                    pass

    def close(self) -> None:
        super().close()
        self.exit_event.wake_fd = -1
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._wake_r = self._wake_w = -1
