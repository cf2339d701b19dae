"""How long a console's write waits while the hub's first SLA pass runs (the pass at a hub's
start replays every live conversation).

A thread runs `refresh_due` without a timer state (a hub's first pass) on a copy of the big
store, while the main thread makes the small write a console makes when it opens a
conversation (its presence mark), every 50 ms; printed: the pass's time and the writes'
waits (median, max).

    python bench/sla_write_lock.py --db /tmp/copy-of-big/omnitui.db [--passes 2]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from omnitui.config import parse_settings
from omnitui.core.service_levels import ServiceLevels
from omnitui.core.sla_store import refresh_due
from omnitui.store.db import Store


def one_pass(db: Path) -> tuple[float, list[float]]:
    settings = parse_settings({"omnitui": {"data_dir": str(db.parent)}}, None)
    levels = ServiceLevels(settings)
    hub, console = Store(db), Store(db)
    took: list[float] = []

    def hub_pass() -> None:
        began = time.perf_counter()
        refresh_due(hub, levels.policy, levels.hours, datetime.now(UTC))
        took.append(time.perf_counter() - began)

    thread = threading.Thread(target=hub_pass)
    thread.start()
    waits: list[float] = []
    while thread.is_alive():
        began = time.perf_counter()
        with console.write("bench") as tx:
            tx.execute("UPDATE agent SET name = name WHERE id = (SELECT min(id) FROM agent)")
        waits.append((time.perf_counter() - began) * 1000)
        time.sleep(0.05)
    thread.join()
    hub.close()
    console.close()
    return took[0], waits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a copy: the pass writes due times")
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()
    for n in range(1, args.passes + 1):
        took, waits = one_pass(args.db)
        print(f"pass {n}: {took:.2f} s; {len(waits)} console writes meanwhile, wait median "
              f"{statistics.median(waits):.1f} ms, max {max(waits):.0f} ms")


if __name__ == "__main__":
    main()
