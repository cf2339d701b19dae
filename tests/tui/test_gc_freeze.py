"""A real console (in a pseudo-terminal, not headless) freezes its start-up objects once painted,
so full garbage collections stop walking them; headless test apps leave the collector alone."""

from __future__ import annotations

import gc
import os
import pty
import select
import sys
import time
from pathlib import Path

from omnitui.tui.app import OmniConsole
from omnitui.tui.demo import build_demo

PROBE = """
import gc, sys
from pathlib import Path
from omnitui.config import load_settings
from omnitui.tui.app import OmniConsole
class Probe(OmniConsole):
    def on_mount(self):
        super().on_mount()
        self.set_timer(1.5, self.report)
    def report(self):
        Path(sys.argv[2]).write_text(str(gc.get_freeze_count()))
        self.exit()
Probe(load_settings(Path(sys.argv[1])), "anna").run()
"""


def test_real_console_freezes_startup_objects(tmp_path: Path) -> None:
    settings = build_demo(tmp_path / "shop")
    out = tmp_path / "frozen.txt"
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-c", PROBE, str(settings.path), str(out)])
    deadline = time.monotonic() + 30
    try:
        while not out.exists() and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    os.read(fd, 65536)  # keep the pty drained so the app never blocks on it
                except OSError:
                    break
    finally:
        os.close(fd)
        os.waitpid(pid, 0)
    assert out.exists(), "the console never reported"
    assert int(out.read_text()) > 10_000  # modules, classes, the app: all frozen at once


async def test_headless_console_leaves_the_collector_alone(console: OmniConsole) -> None:
    before = gc.get_freeze_count()
    async with console.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.6)  # past the warm-up timer
    assert gc.get_freeze_count() == before
