"""Cold start of the `omnitui console` command itself, beside an empty Textual app.

bench/console_pty.py starts the console's App class directly; agents start the command, which
also reads the config, checks the data dir and the agent, and imports the CLI. This measures
that whole path to the first painted inbox, in a pseudo-terminal, interleaved with an empty app.

Both run as from an installed package, as in bench/console_pty.py: bytecode cached (under
`--pycache`) and one untimed start of each first. Without it omnitui's modules were compiled from
source on every start (PYTHONDONTWRITEBYTECODE=1 in the environment) while Textual's came cached.

    python bench/command_start.py --config /path/to/omnitui.toml --agent anna [--starts 5]
    python bench/command_start.py ... --versus /tmp/before   # beside another checkout's command
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import console_pty
from console_pty import EMPTY, Term

COMMAND = ("import sys; sys.argv = ['omnitui', 'console', '--agent', sys.argv[1]]; "
           "from omnitui.cli import main; main()")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--pycache", type=Path, default=Path(__file__).parent / "out" / "pycache",
                        help="bytecode cache of the children (default bench/out/pycache)")
    parser.add_argument("--versus", type=Path,
                        help="another checkout (e.g. a git worktree of older code) whose command "
                             "is started in the same rounds")
    args = parser.parse_args()
    os.environ["OMNITUI_CONFIG"] = str(args.config)
    console_pty.PYCACHE = args.pycache.resolve()
    kinds: list[tuple[str, tuple[str, ...], Path | None]] = [
        ("empty textual app", (EMPTY,), None),
        ("omnitui console", (COMMAND, args.agent), None)]
    if args.versus:
        kinds.append((f"versus {args.versus.name}", (COMMAND, args.agent), args.versus.resolve()))
    times: dict[str, list[float]] = {name: [] for name, _, _ in kinds}
    for round_ in range(args.starts + 1):
        for name, term_args, checkout in kinds:
            began = time.perf_counter()
            term = Term(*term_args, checkout=checkout)
            term.read_until(b"Inbox", timeout=60)
            if round_:  # the first round only fills the bytecode cache
                times[name].append((time.perf_counter() - began) * 1000)
            term.close()
    empty = statistics.median(times["empty textual app"])
    for name, spent in times.items():
        print(f"{name:24s} median {statistics.median(spent):6.0f} ms  "
              f"{statistics.median(spent) / empty:4.2f}x")


if __name__ == "__main__":
    main()
