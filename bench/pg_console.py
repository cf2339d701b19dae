"""The agent console on PostgreSQL beside SQLite: cold start, and a chat message's fan-out.

starts: cold starts to the first painted inbox of an empty Textual app, the console on the big
SQLite store and the console on its PostgreSQL copy (bench/pg_big_store.py), interleaved, as
bench/console_pty.py measures them (a pty at 80×24, bytecode cached, one untimed round first).
The PostgreSQL console is the same program given OMNITUI_DATABASE, as a server install gives it.
Each console twice: its App started directly (bench/console_pty.py's harness), and the command
agents run (`omnitui console`, as bench/command_start.py), which also reads the config and checks
the agent, and on PostgreSQL has its first screen read ahead by a helper process
(omnitui/cli/read_ahead.py) while it loads.

fanout: bench/console_fanout.py's run (a chat message into the socket → visible in each of 10
consoles) on the demo shop in SQLite, then on the demo shop in a fresh PostgreSQL database,
where the consoles and the hub hear of new rows through LISTEN/NOTIFY; rounds alternate.

    python bench/pg_console.py starts --sqlite /tmp/big1m/omnitui.db --pg-root /tmp/omnitui-pg-big
    python bench/pg_console.py fanout [--rounds 2] [--messages 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import command_start
import console_fanout
import console_pty
from pg_big_store import PgServer, running

DATABASE_ENV = "OMNITUI_DATABASE"


@contextlib.contextmanager
def database_env(url: str | None) -> Iterator[None]:
    """Children started inside see OMNITUI_DATABASE=url (None: no such variable)."""
    before = os.environ.pop(DATABASE_ENV, None)
    if url is not None:
        os.environ[DATABASE_ENV] = url
    try:
        yield
    finally:
        os.environ.pop(DATABASE_ENV, None)
        if before is not None:
            os.environ[DATABASE_ENV] = before


def run_starts(sqlite: Path, pg_root: Path, agent: str, starts: int) -> None:
    data_dir = str(sqlite.parent)
    config = Path(tempfile.mkdtemp(prefix="omnitui-starts-")) / "config.toml"
    config.write_text(f'[omnitui]\ndata_dir = "{data_dir}"\n', encoding="utf-8")
    os.environ["OMNITUI_CONFIG"] = str(config)
    with running(pg_root) as server:
        kinds: dict[str, tuple[str | None, tuple[str, ...]]] = {
            "empty textual app": (None, (console_pty.EMPTY,)),
            "console app, SQLite": (None, (console_pty.CONSOLE, data_dir, agent)),
            "console app, PostgreSQL": (server.url(), (console_pty.CONSOLE, data_dir, agent)),
            "omnitui console, SQLite": (None, (command_start.COMMAND, agent)),
            "omnitui console, PostgreSQL": (server.url(), (command_start.COMMAND, agent)),
        }
        walls: dict[str, list[float]] = {k: [] for k in kinds}
        cpus: dict[str, list[float]] = {k: [] for k in kinds}
        for round_no in range(starts + 1):
            for label, (url, argv) in kinds.items():
                with database_env(url):
                    term, ms, cpu = console_pty.start(*argv)
                term.close()
                if round_no:  # the first round only fills the bytecode and page caches
                    walls[label].append(ms)
                    cpus[label].append(cpu)
    print(f"cold start to first painted inbox ({console_pty.size(sqlite)}), median of "
          f"{starts}, ratio to the empty app")
    empty_wall = statistics.median(walls["empty textual app"])
    empty_cpu = statistics.median(cpus["empty textual app"])
    for label in kinds:
        ms, cpu = statistics.median(walls[label]), statistics.median(cpus[label])
        print(f"  {label:<28} wall {ms:6.0f} ms {ms / empty_wall:5.2f}x   "
              f"CPU {cpu:6.0f} ms {cpu / empty_cpu:5.2f}x")


def run_fanout(rounds: int, consoles: int, messages: int, idle: float) -> None:
    server = PgServer(Path(tempfile.mkdtemp(prefix="omnitui-pg-fanout-")))
    server.init()
    server.start()
    try:
        for round_no in range(1, rounds + 1):
            for engine in ("SQLite", "PostgreSQL"):
                url = None
                if engine == "PostgreSQL":
                    name = f"fanout_{round_no}"
                    with server.admin() as admin:
                        admin.execute(f"CREATE DATABASE {name}")
                    url = server.url(name)
                print(f"round {round_no}, {engine}:", flush=True)
                with database_env(url):
                    asyncio.run(console_fanout.run(consoles, messages, idle))
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("starts", "fanout"))
    parser.add_argument("--sqlite", type=Path, help="the big SQLite store (starts)")
    parser.add_argument("--pg-root", type=Path, default=Path("/tmp/omnitui-pg-big"))
    parser.add_argument("--agent", default="agent1")
    parser.add_argument("--starts", type=int, default=9)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--consoles", type=int, default=10)
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument("--pycache", type=Path, default=Path(__file__).parent / "out" / "pycache")
    args = parser.parse_args()
    console_pty.PYCACHE = args.pycache.resolve()
    if args.what == "starts":
        if args.sqlite is None:
            raise SystemExit("starts needs --sqlite, the store bench/pg_big_store.py copied.")
        run_starts(args.sqlite.resolve(), args.pg_root, args.agent, args.starts)
    else:
        run_fanout(args.rounds, args.consoles, args.messages, args.idle)


if __name__ == "__main__":
    main()
