"""Console latency in a real pseudo-terminal: keystroke → first output byte, start-up, memory.

Runs the real console (`omnitui.tui.app.make_app`, hub off: the hub's cost is measured by the
chat benchmarks) in a pty at 80×24 against a store made by bench/make_big_store.py, and an
empty Textual app in the same run as the start-up baseline.

    python bench/make_big_store.py --out bench/out/big/omnitui.db
    python bench/make_big_store.py --out bench/out/small/omnitui.db --messages 1000 \
        --conversations 1000 --customers 500 --long-every 0
    python bench/console_pty.py --db bench/out/big/omnitui.db --small bench/out/small/omnitui.db
    python bench/console_pty.py ... --only starts      # or --only arrows: those figures alone
    python bench/console_pty.py ... --versus /tmp/before   # beside another checkout's console

`--versus DIR` runs the console of another checkout (a `git worktree` of older code; its schema
must open the same stores) beside this one: one more kind of start, and the arrow keys in
alternating rounds (`--rounds`) with each side's p50, p95, CPU per key and the ratios.

The keys are measured on the default view (Needs reply of agent1, a few thousand waiting
conversations at a million messages, with the header's four counts); the next-waiting key
(space) is measured beside enter on the same row, its baseline.

The small store spreads its 1,000 messages over 1,000 conversations so that the agent's own view
fills the screen there too: with 50 conversations it showed one row against a full screen on
the big store, and start-up then compared drawing 1 row with drawing 22, not store sizes.

F9 in this harness opens conversation #1 (a 500-message timeline) through the same
`open_conversation` path that enter takes in the inbox.

Both apps run as from an installed package: with bytecode caching on (under `--pycache`, so no
`__pycache__` lands in the checkout), and one untimed start of each kind first. Without it the
console compiled its ~40 modules from source on every start while the empty app loaded
Textual's cached bytecode (`PYTHONDONTWRITEBYTECODE=1` in the environment did that).
Beside wall time the bench reports the CPU time the process used (user + system, from /proc):
on a machine shared with other work the wall time swings with the load, the CPU time much less.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import select
import sqlite3
import statistics
import struct
import sys
import termios
import time
from pathlib import Path

COLS, ROWS = 80, 24
CONSOLE = """
import sys
from pathlib import Path
from textual.binding import Binding
from omnitui.config import parse_settings
from omnitui.tui.app import OmniConsole
data = Path(sys.argv[1])
settings = parse_settings({"omnitui": {"data_dir": str(data)}}, None)
class Bench(OmniConsole):
    BINDINGS = [*OmniConsole.BINDINGS, Binding("f9", "open_long", "", show=False)]
    def action_open_long(self):
        self.open_conversation(1)
Bench(settings, sys.argv[2]).run()
"""
EMPTY = """
from textual.app import App
from textual.widgets import Static
class Empty(App):
    def compose(self):
        yield Static("Inbox: empty app")
Empty().run()
"""
KEYS = {"down": b"\x1b[B", "up": b"\x1b[A", "pagedown": b"\x1b[6~", "pageup": b"\x1b[5~",
        "end": b"\x1b[F", "home": b"\x1b[H", "enter": b"\r", "escape": b"\x1b", "f9": b"\x1b[20~"}


PYCACHE: Path | None = None  # where children keep their bytecode (None: the environment's way)


class Term:
    """A child process on a pty; reads everything it writes, timestamps the first byte."""

    def __init__(self, code: str, *args: str, checkout: Path | None = None) -> None:
        pid, fd = pty.fork()
        if pid == 0:
            if checkout is not None:  # its omnitui first on the path (`python -c` adds cwd)
                os.chdir(checkout)
                os.environ["PYTHONPATH"] = str(checkout)
            os.environ["TERM"] = "xterm-256color"
            os.environ.pop("TEXTUAL", None)
            if PYCACHE is not None:
                os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
                os.environ["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
            os.execv(sys.executable, [sys.executable, "-c", code, *args])
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.out = bytearray()
        self.last_ms = 0.0

    def read_until(self, marker: bytes, timeout: float = 60.0) -> float:
        deadline = time.perf_counter() + timeout
        while marker not in self.out:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{marker!r} never appeared")
            self._read(0.05)
        return time.perf_counter()

    def _read(self, wait: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], wait)
        if ready:
            try:
                self.out += os.read(self.fd, 65536)
            except OSError:
                return False
            return True
        return False

    def settle(self, quiet: float = 0.15) -> None:
        while self._read(quiet):
            pass

    def key(self, name: str) -> float:
        """Send one key; milliseconds until the first byte of the answer, then drain it."""
        self.settle(0.05)
        began = time.perf_counter()
        os.write(self.fd, KEYS.get(name, name.encode()))
        while not self._read(5.0):
            if time.perf_counter() - began > 5:
                raise TimeoutError(f"no output after {name}")
        took = (time.perf_counter() - began) * 1000
        last = time.perf_counter()
        while self._read(0.03):
            last = time.perf_counter()
        self.last_ms = (last - began) * 1000  # the last byte of the answer (screen complete)
        return took

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def children_cpu_ms(self) -> float:
        """CPU time of its child processes that have ended and been waited for (a console's
        read-ahead helper, omnitui/cli/read_ahead.py), in ms (10 ms ticks)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK") * 1000

    def cpu_ms(self) -> float:
        """CPU time its threads have run so far, in ms: the scheduler's nanosecond counts
        (/proc/PID/task/*/schedstat), where /proc/PID/stat counts 10 ms ticks."""
        total = 0
        try:
            for task in Path(f"/proc/{self.pid}/task").iterdir():
                with contextlib.suppress(OSError):
                    total += int((task / "schedstat").read_text().split()[0])
        except OSError:
            return self.cpu_seconds() * 1000
        return total / 1e6 if total else self.cpu_seconds() * 1000

    def close(self) -> None:
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except OSError:
            pass
        os.close(self.fd)


def start(code: str, *args: str, checkout: Path | None = None) -> tuple[Term, float, float]:
    """Start a child; wall ms until its first paint, and the CPU ms it (and any process of its
    own that has ended) had used by then."""
    began = time.perf_counter()
    term = Term(code, *args, checkout=checkout)
    ready = term.read_until(b"Inbox")
    cpu = term.cpu_ms() + term.children_cpu_ms()
    return term, (ready - began) * 1000, cpu


def keys_cpu(term: Term, names: list[str]) -> tuple[list[float], float]:
    """Press each key (as `Term.key`); the latencies, and the console's CPU ms per key."""
    term.settle(0.05)
    cpu0 = term.cpu_ms()
    took = [term.key(name) for name in names]
    term.settle(0.05)
    return took, (term.cpu_ms() - cpu0) / len(names)


def size(db: Path) -> str:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        messages = conn.execute("SELECT max(id) FROM message").fetchone()[0] or 0
        conversations = conn.execute("SELECT max(id) FROM conversation").fetchone()[0] or 0
    finally:
        conn.close()
    return f"{messages:,} messages / {conversations:,} conversations"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run_starts(db: Path, small: Path | None, agent: str, starts_n: int,
               versus: Path | None = None) -> None:
    """Cold starts of the empty app and the console(s), interleaved; medians and ratios."""
    kinds: dict[str, tuple[str, ...]] = {"empty textual app": (EMPTY,),
                                         f"console, {size(db)}": (CONSOLE, str(db.parent), agent)}
    if small:
        kinds[f"console, {size(small)}"] = (CONSOLE, str(small.parent), agent)
    checkouts: dict[str, Path] = {}
    if versus:
        label = f"{versus.name}'s console, {size(db)}"
        kinds[label] = (CONSOLE, str(db.parent), agent)
        checkouts[label] = versus
    walls: dict[str, list[float]] = {label: [] for label in kinds}
    cpus: dict[str, list[float]] = {label: [] for label in kinds}
    for round_no in range(starts_n + 1):
        for label, argv in kinds.items():
            term, ms, cpu = start(*argv, checkout=checkouts.get(label))
            term.close()
            if round_no:  # the first round only fills the bytecode and page caches
                walls[label].append(ms)
                cpus[label].append(cpu)
    print(f"cold start to first painted inbox, median of {starts_n}, ratio to the empty app")
    print(f"  {'':<52} {'wall':>8}    {'ratio':>6}  {'CPU':>8}    {'ratio':>6}")
    empty_wall = statistics.median(walls["empty textual app"])
    empty_cpu = statistics.median(cpus["empty textual app"])
    for label in kinds:
        ms, cpu = statistics.median(walls[label]), statistics.median(cpus[label])
        print(f"  {label:<52} {ms:8.0f} ms {ms / empty_wall:6.2f}x {cpu:8.0f} ms "
              f"{cpu / empty_cpu:6.2f}x")
    if small:
        big, little = f"console, {size(db)}", f"console, {size(small)}"
        med = statistics.median
        print(f"  big / small: wall {med(walls[big]) / med(walls[little]):.2f}, "
              f"CPU {med(cpus[big]) / med(cpus[little]):.2f}")


def run_arrows(term: Term, runs: int, results: dict[str, list[float]]) -> None:
    """Arrow down `runs` times, then up as often; the console's CPU per key beside them."""
    for name, label in (("down", "arrow down"), ("up", "arrow up")):
        took, cpu = keys_cpu(term, [name] * runs)
        results.setdefault(label, []).extend(took)
        print(f"  {label}: {cpu:.2f} ms CPU per key (console process)")


def run_arrows_versus(db: Path, agent: str, runs: int, rounds: int, versus: Path) -> None:
    """The arrow keys of this checkout and of `versus` in alternating rounds (the same store,
    the same load): p50, p95 and the console's CPU per key of each, and their ratios."""
    sides = {"this checkout": None, versus.name: versus}
    lat: dict[str, dict[str, list[float]]] = {side: {} for side in sides}
    cpu: dict[str, dict[str, list[float]]] = {side: {} for side in sides}
    for round_no in range(rounds):
        for side, checkout in sides.items():
            term, _, _ = start(CONSOLE, str(db.parent), agent, checkout=checkout)
            term.settle(0.5)
            for name, label in (("down", "arrow down"), ("up", "arrow up")):
                took, per_key = keys_cpu(term, [name] * runs)
                lat[side].setdefault(label, []).extend(took)
                cpu[side].setdefault(label, []).append(per_key)
                print(f"  round {round_no + 1}, {side}: {label} p50 {pct(took, 50):.1f} ms, "
                      f"p95 {pct(took, 95):.1f} ms, {per_key:.2f} ms CPU per key")
            term.close()
    print(f"\narrow keys, {rounds} alternating rounds of {runs} each way "
          "(CPU: median of the rounds' per-key means)")
    print(f"  {'':<26} {'p50':>8} {'p95':>8} {'CPU/key':>9}")
    med = statistics.median
    for label in ("arrow down", "arrow up"):
        for side in sides:
            values = lat[side][label]
            print(f"  {side + ': ' + label:<26} {pct(values, 50):6.1f} ms {pct(values, 95):6.1f} "
                  f"ms {med(cpu[side][label]):7.2f} ms")
        here, there = lat["this checkout"][label], lat[versus.name][label]
        print(f"  {'ratio (this / ' + versus.name + ')':<26} {pct(here, 50) / pct(there, 50):8.2f}"
              f" {pct(here, 95) / pct(there, 95):8.2f} "
              f"{med(cpu['this checkout'][label]) / med(cpu[versus.name][label]):9.2f}")


def run(db: Path, small: Path | None, agent: str, runs: int, starts_n: int,
        only: str | None = None, versus: Path | None = None, rounds: int = 3) -> None:
    if only in (None, "starts"):
        run_starts(db, small, agent, starts_n, versus)
    if only == "starts":
        return
    if versus is not None:
        print()
        run_arrows_versus(db, agent, runs, rounds, versus)
        if only == "arrows":
            return

    term, _, _ = start(CONSOLE, str(db.parent), agent)
    term.settle(0.5)  # on the default view, Needs reply, its counts in the header
    results: dict[str, list[float]] = {}
    print()
    run_arrows(term, runs, results)
    if only == "arrows":
        report(results)
        term.close()
        return
    for _ in range(runs // 2):
        results.setdefault("page down", []).append(term.key("pagedown"))
        results.setdefault("page up", []).append(term.key("pageup"))
    for _ in range(max(5, runs // 4)):  # 25 pairs: with 10, p95 was the single slowest one
        results.setdefault("end", []).append(term.key("end"))
        results.setdefault("home", []).append(term.key("home"))
    for _ in range(max(5, runs // 10)):
        results.setdefault("open 500-message timeline", []).append(term.key("f9"))
        results.setdefault("  … until its last byte", []).append(term.last_ms)
        term.settle(0.2)
        term.key("escape")
    for _ in range(max(10, runs // 4)):
        # the next-waiting key beside its baseline, enter on the same highlighted row
        results.setdefault("open highlighted (enter, baseline)", []).append(term.key("enter"))
        term.settle(0.2)
        term.key("escape")
        term.settle(0.2)
        results.setdefault("next waiting, from the inbox (space)", []).append(term.key(" "))
        term.settle(0.2)
        results.setdefault("next waiting, in a conversation", []).append(term.key(" "))
        term.settle(0.2)
        term.key("escape")
        term.key("home")
    for _ in range(max(5, runs // 10)):
        term.key("/")
        term.settle(0.2)
        for ch in "deli":
            results.setdefault("search as you type (per key)", []).append(term.key(ch))
        term.key("escape")
    report(results)
    term.settle(0.5)
    rss = term.rss_mb()
    cpu0, t0 = term.cpu_seconds(), time.perf_counter()
    time.sleep(10)
    idle = (term.cpu_seconds() - cpu0) / (time.perf_counter() - t0) * 100
    print(f"\nRSS after the run ({size(db)}): {rss:.0f} MB")
    print(f"idle CPU over 10 s: {idle:.2f} % of one core")
    term.close()


def report(results: dict[str, list[float]]) -> None:
    print(f"\n{'keystroke → first output byte':<36} {'p50':>8} {'p95':>8}   n")
    for label, values in results.items():
        print(f"  {label:<34} {pct(values, 50):6.1f} ms {pct(values, 95):6.1f} ms  {len(values)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--small", type=Path)
    parser.add_argument("--agent", default="agent1")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--starts", type=int, default=9, help="cold starts of each kind")
    parser.add_argument("--only", choices=("starts", "arrows"),
                        help="only the cold starts, or only the starts and arrow keys")
    parser.add_argument("--only-starts", action="store_true", help="the same as --only starts")
    parser.add_argument("--pycache", type=Path, default=Path(__file__).parent / "out" / "pycache",
                        help="bytecode cache of the children (default bench/out/pycache)")
    parser.add_argument("--no-bytecode", action="store_true",
                        help="children as the environment says (PYTHONDONTWRITEBYTECODE)")
    parser.add_argument("--versus", type=Path,
                        help="another checkout (e.g. a git worktree of older code) whose console "
                             "is started and keyed beside this one's, in alternating rounds")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds of arrow keys with --versus (default 3)")
    args = parser.parse_args()
    global PYCACHE
    PYCACHE = None if args.no_bytecode else args.pycache.resolve()
    only = "starts" if args.only_starts else args.only
    versus = args.versus.resolve() if args.versus else None
    small = args.small.resolve() if args.small else None  # (a --versus child runs elsewhere)
    run(args.db.resolve(), small, args.agent, args.runs, args.starts, only, versus,
        args.rounds)


if __name__ == "__main__":
    main()
