"""The hub's service-level work per chat message, beside another checkout's in the same run.

    python bench/hub_sla.py --baseline /tmp/before     # a worktree of the code to compare
    python bench/hub_sla.py --conversations 1000 --rounds 7

What `bench/chat_web.py` puts on the hub's database thread besides ingest, without the network
and the processes around it, so that the figure holds on a shared machine: 1,000 chat
conversations whose customers each write one message every 5 s (one feed batch of 40 messages
every 0.2 s, as the hub's follower sees them) while an agent answers 10 a second, and the 5 s
timer pass. Measured: the CPU time of `ServiceLevels.on_events` over those batches and of one
`on_timer` pass, per customer message; each checkout runs in its own interpreter
(`PYTHONPATH`), the rounds alternate, medians are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BATCH = 40  # customer messages per feed batch (200 a second, a batch each 0.2 s)


def one_round(conversations: int) -> dict[str, float]:
    """Run in the interpreter of the checkout under test (its `omnitui` comes first)."""
    from omnitui.channels.base import Inbound
    from omnitui.config import parse_settings
    from omnitui.core import actions
    from omnitui.core.agents import add_agent
    from omnitui.core.feed import Feed
    from omnitui.core.ingest import ingest_batch
    from omnitui.core.service_levels import ServiceLevels
    from omnitui.store.db import Store

    root = Path(tempfile.mkdtemp(prefix="ohs-", dir="/tmp"))
    settings = parse_settings({"omnitui": {"data_dir": str(root), "timezone": "UTC"},
                               "channels": {"chat": {"kind": "chat"}}}, None)
    store = Store.open(settings.db_path)
    ann = add_agent(store, "ann", "Ann")

    def write(n: int, visitors: range) -> None:
        ingest_batch(store, [Inbound(channel="chat", kind="chat", external_id=f"v{v}:{n}",
                                     address=f"v{v}", text=f"message {n}") for v in visitors])

    write(0, range(conversations))  # everybody has written once: every case is waiting
    convs = [r[0] for r in store.conn.execute("SELECT id FROM conversation ORDER BY id")]
    feed = Feed(settings.db_path)
    service = ServiceLevels(settings)
    now = datetime.now(UTC)
    service.on_events(store, feed.poll(force=True), now)
    service.on_timer(store, now)  # the first pass replays everything, in both checkouts
    events_cpu = 0.0
    sent = 0
    for start in range(0, conversations, BATCH):  # 5 s of traffic
        write(1, range(start, min(conversations, start + BATCH)))
        actions.reply(store, convs[(start // BATCH) % len(convs)], "answer", ann)
        actions.reply(store, convs[(start // BATCH + 7) % len(convs)], "answer", ann)
        events = feed.poll()
        began = time.process_time()
        service.on_events(store, events, now)
        events_cpu += time.process_time() - began
        sent += min(conversations, start + BATCH) - start
    began = time.process_time()
    service.on_timer(store, now)
    timer_cpu = time.process_time() - began
    feed.close()
    store.close()
    return {"events_ms_per_message": events_cpu * 1000 / sent,
            "timer_ms": timer_cpu * 1000, "timer_ms_per_message": timer_cpu * 1000 / sent,
            "total_ms_per_message": (events_cpu + timer_cpu) * 1000 / sent}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True,
                        help="a checkout (git worktree) of the code to compare with")
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    trees = {"baseline": args.baseline.resolve(), "this": ROOT}
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for n in range(args.rounds):
        for name, tree in trees.items():
            out = subprocess.run(
                [sys.executable, __file__, "--_round", str(args.conversations)],
                env={**os.environ, "PYTHONPATH": str(tree)}, check=True,
                capture_output=True, text=True).stdout
            rows[name].append(json.loads(out))
            r = rows[name][-1]
            print(f"round {n + 1} {name:8s}: on_events {r['events_ms_per_message']:.3f} ms, "
                  f"timer pass {r['timer_ms']:.1f} ms, together "
                  f"{r['total_ms_per_message']:.3f} ms per customer message", flush=True)
    print(f"medians of {args.rounds} rounds ({args.conversations} conversations, load "
          f"{os.getloadavg()[0]:.1f}):")
    med = {name: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
           for name, rs in rows.items()}
    for name, m in med.items():
        print(f"  {name:8s}: on_events {m['events_ms_per_message']:.3f} ms/message, timer pass "
              f"{m['timer_ms']:.1f} ms, together {m['total_ms_per_message']:.3f} ms/message")
    ratio = med["this"]["total_ms_per_message"] / med["baseline"]["total_ms_per_message"]
    print(f"  this / baseline: {ratio:.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--_round":
        sys.path.insert(0, os.environ.get("PYTHONPATH", str(ROOT)))
        print(json.dumps(one_round(int(sys.argv[2]))))
    else:
        main()
