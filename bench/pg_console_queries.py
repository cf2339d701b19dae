"""The console's read models on PostgreSQL beside SQLite, on the same 1,000,000-message store.

bench/console_queries.py's inbox and timeline cases, run against the SQLite store from
bench/make_big_store.py and against its copy in PostgreSQL (bench/pg_big_store.py) in the same
run: for each case a warm-up, then SQLite and PostgreSQL in alternating blocks, so both sides see
the same machine. p50/p95 over all runs, each on a warm connection as in a running console.

    python bench/pg_console_queries.py --sqlite /tmp/big1m/omnitui.db \
        --pg-root /tmp/omnitui-pg-big [--runs 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from pg_big_store import running

from omnitui.store import queries
from omnitui.store.db import Store

PAGE = 40
BLOCK = 20


def cases(store: Store) -> list[tuple[str, Callable[[], object]]]:
    """The same read models as bench/console_queries.py (search is measured on its own)."""
    view_all = queries.InboxView(status="any")
    view_active = queries.InboxView()
    mine = queries.InboxView(scope="mine", agent_id=3)
    total = queries.inbox_count(store, view_all)
    long_customer = store.conn.execute(
        "SELECT customer_id FROM conversation WHERE message_count >= 500 "
        "ORDER BY id LIMIT 1").fetchone()[0]
    return [
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


def timed(fn: Callable[[], object], runs: int, into: list[float]) -> None:
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        into.append((time.perf_counter() - began) * 1000)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * q) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", type=Path, required=True)
    parser.add_argument("--pg-root", type=Path, default=Path("/tmp/omnitui-pg-big"))
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with running(args.pg_root) as server:
        lite = Store.open(args.sqlite, migrate=False)
        pg = Store.open(server.url(), migrate=False)
        count = {name: s.conn.execute("SELECT count(*) FROM message").fetchone()[0]
                 for name, s in (("SQLite", lite), ("PostgreSQL", pg))}
        print(f"stores: {count}; {args.runs} runs per case and engine")
        print(f"{'query':28s} {'SQLite p50':>10s} {'p95':>7s} {'PG p50':>8s} {'p95':>7s}")
        for (name, on_lite), (_, on_pg) in zip(cases(lite), cases(pg), strict=True):
            on_lite(), on_pg()  # the first call reads pages in; a running console is warm
            lite_ms: list[float] = []
            pg_ms: list[float] = []
            for _ in range(0, args.runs, BLOCK):
                timed(on_lite, BLOCK, lite_ms)
                timed(on_pg, BLOCK, pg_ms)
            print(f"{name:28s} {pct(lite_ms, 0.5):10.2f} {pct(lite_ms, 0.95):7.2f} "
                  f"{pct(pg_ms, 0.5):8.2f} {pct(pg_ms, 0.95):7.2f}", flush=True)
        lite.close()
        pg.close()


if __name__ == "__main__":
    main()
