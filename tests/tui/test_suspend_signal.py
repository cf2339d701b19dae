"""Ctrl+z while the console writes a frame suspends it; it never freezes it.

A Python signal handler runs between any two bytecodes of the main thread. Textual's SIGTSTP
handler writes the terminal reset through its writer's queue, whose plain lock the main thread
holds while it puts a frame: a signal landing there waited for that lock forever (a CI run saw
the console neither stopped nor drawing after a ctrl+z). The probe below sends the signal at
exactly that moment, on a real pty, through the console's own driver.
"""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

PROBE = '''
import os, signal, sys, time
from textual import on
from textual.app import App
from textual.driver import Driver
from textual.widgets import Static
from omnitui.tui.driver import QuietLinuxDriver

class Probe(App):
    def get_driver_class(self):
        return QuietLinuxDriver

    def compose(self):
        yield Static("probe")

    def on_mount(self):
        self.set_timer(0.3, self.signal_while_writing)

    def signal_while_writing(self):
        queue = self._driver._writer_thread._queue
        with queue.mutex:  # where the main thread is whenever it puts a frame
            os.kill(os.getpid(), signal.SIGTSTP)
            time.sleep(0.3)  # a Python-level handler runs in here
        open(sys.argv[1], "a").write("signalled\\n")

    @on(Driver.SignalResume)
    def resumed(self):
        open(sys.argv[1], "a").write("resumed\\n")
        self.exit()

Probe().run()
'''


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def _wait_for(what: str, check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} within {timeout:.0f} s"
        time.sleep(0.02)


def _controlling_terminal() -> None:
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_a_suspend_signal_while_a_frame_is_written_suspends(tmp_path: Path) -> None:
    log = tmp_path / "probe.log"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen([sys.executable, "-c", PROBE, str(log)], stdin=slave, stdout=slave,
                            stderr=slave, env=dict(os.environ, TERM="xterm-256color"),
                            preexec_fn=_controlling_terminal)
    os.close(slave)
    os.set_blocking(master, False)

    def drain() -> None:  # keep the pty from filling while the probe draws
        try:
            while os.read(master, 65536):
                pass
        except OSError:
            pass

    try:
        def stopped() -> bool:
            drain()
            return proc.poll() is None and _state(proc.pid) == "T"

        _wait_for("the probe was not stopped by its ctrl+z (frozen instead)", stopped)
        os.kill(proc.pid, signal.SIGCONT)

        def ended() -> bool:
            drain()
            return proc.poll() is not None

        _wait_for("the probe did not come back and exit after SIGCONT", ended)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert proc.returncode == 0
    assert log.read_text().split() == ["signalled", "resumed"]
