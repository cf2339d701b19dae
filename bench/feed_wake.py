"""From a commit in another process to a follower of the change feed seeing it.

    python bench/feed_wake.py                   # 6 rounds x 2 schedules x 200 commits
    python bench/feed_wake.py --rounds 2 --commits 100

A writer process commits one event every few milliseconds (as a console queueing a reply, or
the hub storing a chat message) and notes the monotonic time each COMMIT returned. This process
follows the feed with `core.feed.follow_events` (inotify wake, then re-checks) and notes when
each event arrives. The wake comes with the commit's WAL write, a moment before the WAL index
makes it visible, so how soon the follower looks again after a wake that found nothing
(`core.wake.RECHECK_DELAYS`) could decide the tail. Rounds alternate the shipped schedule
and a denser one in the same run, each on the same database and writer: if the denser one
does not shorten the tail, the tail is the machine's scheduling, not the re-checks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DENSER = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1)  # looks again 1 ms after a wake


def writer(db: Path, commits: int, interval: float, out: Path) -> None:
    """Commit `commits` events, one every `interval` s; their event id → commit time."""
    from omnitui.store.db import Store

    store = Store(db)
    times: dict[int, float] = {}
    for n in range(commits):
        time.sleep(interval)
        with store.write("bench") as tx:
            event_id = tx.event("bench", n=n)
        times[event_id] = time.monotonic()
    store.close()
    out.write_text(json.dumps(times))


async def follow_round(db: Path, commits: int, interval: float) -> list[float]:
    """Latencies (ms) of one writer's commits as this process's follower saw them."""
    from omnitui.core.feed import follow_events
    from omnitui.store.db import connect

    conn = connect(db)
    after = int(conn.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0])
    conn.close()
    seen: dict[int, float] = {}
    out = db.parent / "times.json"
    proc = subprocess.Popen([sys.executable, __file__, "--_writer", str(db), str(commits),
                             str(interval), str(out)])
    async with contextlib.aclosing(follow_events(db, after=after)) as batches:
        async for events in batches:
            now = time.monotonic()
            for event in events:
                seen.setdefault(event.id, now)
            if len(seen) >= commits:
                break
    proc.wait(30)
    committed = {int(k): v for k, v in json.loads(out.read_text()).items()}
    return [(seen[i] - t) * 1000 for i, t in committed.items() if i in seen]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between commits")
    args = parser.parse_args()
    from omnitui.core import feed, wake
    from omnitui.store.db import Store

    shipped = wake.RECHECK_DELAYS
    db = Path(tempfile.mkdtemp(prefix="ofw-", dir="/tmp")) / "omnitui.db"
    Store.open(db).close()
    results: dict[str, list[dict[str, float]]] = {"shipped": [], "denser": []}
    for n in range(args.rounds):
        for name, delays in (("shipped", shipped), ("denser", DENSER)):
            feed.RECHECK_DELAYS = delays  # what follow_events reads at each wake
            lat = asyncio.run(follow_round(db, args.commits, args.interval))
            row = {"p50": statistics.median(lat), "p99": pct(lat, 99), "max": max(lat)}
            results[name].append(row)
            print(f"round {n + 1} {name:8s} {delays}: p50 {row['p50']:.2f} ms, "
                  f"p99 {row['p99']:.2f} ms, max {row['max']:.2f} ms ({len(lat)} commits)",
                  flush=True)
    print("medians of the rounds:")
    for name, rows in results.items():
        p50 = statistics.median(r["p50"] for r in rows)
        p99 = statistics.median(r["p99"] for r in rows)
        print(f"  {name:8s} p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    s99 = statistics.median(r["p99"] for r in results["shipped"])
    d99 = statistics.median(r["p99"] for r in results["denser"])
    print(f"  p99 denser / shipped: {d99 / s99:.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_writer":
        writer(Path(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), Path(sys.argv[5]))
    else:
        main()
