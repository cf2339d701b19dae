"""Read-model latency behind the console: the queries each keystroke waits for.

Against a store made by bench/make_big_store.py: the first inbox page, a page down deep in the
list, the end of the list, the counts in the header, a 500-message timeline, and the first page
of search-as-you-type for growing prefixes. p50/p95 over many runs, each on a warm connection as
in a running console.

    python bench/console_queries.py --db /tmp/big1m/omnitui.db [--runs 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from omnitui.store import queries
from omnitui.store.db import Store

PAGE = 40


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    store = Store.open(args.db, migrate=False)
    view_all = queries.InboxView(status="any")
    view_active = queries.InboxView()
    mine = queries.InboxView(scope="mine", agent_id=3)
    total = queries.inbox_count(store, view_all)
    long_customer = store.conn.execute(
        "SELECT customer_id FROM conversation WHERE message_count >= 500 LIMIT 1").fetchone()[0]
    cases: list[tuple[str, Callable[[], object]]] = [
        ("inbox first page (active)", lambda: queries.inbox_page(store, view_active, 0, PAGE)),
        ("inbox first page (all)", lambda: queries.inbox_page(store, view_all, 0, PAGE)),
        ("inbox page down at 25,000", lambda: queries.inbox_page(store, view_all, 25_000, PAGE)),
        ("inbox end", lambda: queries.inbox_page(store, view_all, max(0, total - PAGE), PAGE)),
        ("inbox mine first page", lambda: queries.inbox_page(store, mine, 0, PAGE)),
        ("inbox counts (3 views)", lambda: [queries.inbox_count(store, v)
                                            for v in (view_all, view_active, mine)]),
        ("timeline 500 messages", lambda: queries.customer_timeline(store, long_customer,
                                                                     limit=500)),
    ]
    for prefix in ("de", "del", "deli", "delivery par"):
        cases.append((f"search '{prefix}' first page",
                      lambda p=prefix: queries.search_messages(store, p, limit=PAGE)))
    messages = store.conn.execute("SELECT count(*) FROM message").fetchone()[0]
    print(f"store: {messages} messages, {total} conversations; {args.runs} runs each")
    print(f"{'query':34s} {'p50 ms':>8s} {'p95 ms':>8s}")
    for name, fn in cases:
        p50, p95 = measure(fn, args.runs)
        print(f"{name:34s} {p50:8.2f} {p95:8.2f}")


if __name__ == "__main__":
    main()
