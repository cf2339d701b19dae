"""A console whose terminal vanishes ends at once and cleanly, without spinning.

The real `omnitui` runs on a real pty. Closing the master side is what a dropped SSH
connection or a killed terminal emulator does; the console gets no SIGHUP when the pty is not
its controlling terminal, or when SIGHUP is ignored (nohup, some session managers). Reads then
return end of input forever, and a loop that treats that as "no key yet" burns a core. With
a hangup signal, the console must still shut down (clear its presence) rather than just die.
"""

from __future__ import annotations

import fcntl
import os
import pty
import resource
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.backend import database_in

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _shop(tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(f'[omnitui]\ndata_dir = "{data}"\n\n[channels.chat]\nkind = "chat"\n',
                      encoding="utf-8")
    env = dict(os.environ, OMNITUI_CONFIG=str(config), OMNITUI_AGENT="ann",
               TERM="xterm-256color")
    omnitui = [sys.executable, "-m", "omnitui"]
    subprocess.run([*omnitui, "init"], env=env, check=True, capture_output=True, timeout=60)
    subprocess.run([*omnitui, "agent", "add", "ann", "--name", "Ann"], env=env, check=True,
                   capture_output=True, timeout=60)
    return env


def _cpu_seconds(pid: int) -> float:
    """User + system time of a running process and all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _settled(pid: int, timeout: float = 15.0) -> float:
    """The process's CPU seconds once it waits for keys: two quiet 0.25 s in a row."""
    deadline = time.monotonic() + timeout
    last, quiet = _cpu_seconds(pid), 0
    while quiet < 2 and time.monotonic() < deadline:
        time.sleep(0.25)
        now = _cpu_seconds(pid)
        quiet = quiet + 1 if now - last < 0.02 else 0
        last = now
    return last


def _wait(pid: int, timeout: float) -> tuple[int, resource.struct_rusage]:
    """Reap `pid` and return its exit status and final resource usage."""
    deadline = time.monotonic() + timeout
    while True:
        reaped, status, usage = os.wait4(pid, os.WNOHANG)
        if reaped:
            return status, usage
        if time.monotonic() > deadline:
            raise AssertionError(f"the console still ran {timeout} s after its terminal vanished "
                                 f"({_cpu_seconds(pid):.1f} s of CPU so far)")
        time.sleep(0.02)


def _no_controlling_terminal() -> None:
    os.setsid()  # a new session that never acquires the pty: no hangup is ever sent


def _controlling_terminal_ignoring_hangup() -> None:
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def _controlling_terminal_with_hangup() -> None:
    """The usual SSH login: the hangup arrives, and must end the console as cleanly."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


@pytest.mark.parametrize("setup", [_no_controlling_terminal,
                                   _controlling_terminal_ignoring_hangup,
                                   _controlling_terminal_with_hangup],
                         ids=["not-controlling-tty", "sighup-ignored", "sighup"])
def test_console_exits_quietly_when_its_terminal_vanishes(
        tmp_path: Path, setup: Callable[[], None]) -> None:
    env = _shop(tmp_path)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "omnitui"], stdin=slave, stdout=slave,
                            stderr=slave, env=env, preexec_fn=setup)
    os.close(slave)
    try:
        screen = b""
        deadline = time.monotonic() + 30
        while b"Inbox" not in screen:
            assert time.monotonic() < deadline, f"the console never painted: {screen[-500:]!r}"
            screen += os.read(master, 65536)
        cpu_before = _settled(proc.pid)  # (its hub and feed start after the first paint)

        os.close(master)
        closed_at = time.monotonic()
        status, usage = _wait(proc.pid, timeout=5)
        took = time.monotonic() - closed_at
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()

    cpu_after_close = usage.ru_utime + usage.ru_stime - cpu_before
    assert proc.returncode == 0
    assert took < 1.5, f"the console took {took:.2f} s to notice its terminal was gone"
    assert cpu_after_close < 0.5, f"{cpu_after_close:.2f} s of CPU after the terminal vanished"

    db = database_in(tmp_path / "data").connect()
    try:
        presence = [tuple(row) for row in db.execute(
            "SELECT conversation_id FROM presence p JOIN agent a ON a.id = p.agent_id "
            "WHERE a.username = 'ann'").fetchall()]
    finally:
        db.close()
    assert presence == [(None,)], "the console's shutdown (which clears presence) did not run"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_console_suspended_and_resumed_takes_keys_again(tmp_path: Path) -> None:
    """SIGTSTP then `fg` in a shell: the console comes back and reads keys (a resume must open
    a fresh wake pipe, and only a real suspend may be resumed)."""
    env = _shop(tmp_path)
    server = f"omnitui-suspend-{uuid.uuid4().hex[:8]}"

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", server, *args], check=True, text=True,
                              capture_output=True, timeout=10).stdout

    def pane_with(text: str) -> str:
        deadline = time.monotonic() + 30
        while text not in (pane := tmux("capture-pane", "-p", "-t", "s")):
            assert time.monotonic() < deadline, f"{text!r} never appeared:\n{pane}"
            time.sleep(0.05)
        return pane

    tmux("new-session", "-d", "-s", "s", "-x", "100", "-y", "25",
         *(arg for key in ("OMNITUI_CONFIG", "OMNITUI_AGENT", "TERM")
           for arg in ("-e", f"{key}={env[key]}")), "bash --norc")
    try:
        shell = int(tmux("display", "-p", "-t", "s", "#{pane_pid}"))
        tmux("send-keys", "-t", "s", f"{sys.executable} -m omnitui", "Enter")
        pane_with("Inbox: Needs reply")
        console = int(subprocess.run(["pgrep", "-P", str(shell)], text=True,
                                     capture_output=True, timeout=10).stdout.split()[0])
        os.kill(console, signal.SIGTSTP)
        pane_with("Stopped")
        tmux("send-keys", "-t", "s", "fg", "Enter")
        pane_with("Inbox: Needs reply")
        tmux("send-keys", "-t", "s", "4")
        assert "Traceback" not in pane_with("Inbox: All")
    finally:
        subprocess.run(["tmux", "-L", server, "kill-server"], capture_output=True, timeout=10)
