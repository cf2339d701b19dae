"""Search-as-you-type on PostgreSQL beside SQLite: the first page of hits, same store, same run.

The SQLite store comes from bench/make_big_store.py and the PostgreSQL one from
bench/pg_big_store.py (the same rows copied). Each case is the console's search: the first page
of `search_messages` for what is typed so far, on a warm connection as in a running console,
the two engines measured in turns (case by case) so a busy machine weighs on both alike.

Typed text covers the common prefixes of the corpus (its 30-word vocabulary makes each term
match about half of the messages), Polish, Russian and Arabic words, seven common words at once
(about 1 message in 100 has them all: PostgreSQL's hardest case, few hits among its newest
messages and long index lists), a customer's address and name (found through the customer
index), and a word nothing contains (no hit at all).

    python bench/make_big_store.py --out /tmp/big1m/omnitui.db
    python bench/pg_big_store.py build --sqlite /tmp/big1m/omnitui.db --root /tmp/omnitui-pg-big
    python bench/search_pg.py --db /tmp/big1m/omnitui.db --pg-root /tmp/omnitui-pg-big
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pg_big_store import running

from omnitui.store import queries
from omnitui.store.db import Store

PAGE = 40
TYPED = ("de", "del", "deli", "delivery par", "za", "zamów", "дост", "заказ доставка", "شح",
         "order delivery parcel refund size colour thanks",
         "c4242@example", "marek nowak", "kowalska 24999", "xyzzy")
TARGET_P95_MS = 50.0


def timings(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        out.append((time.perf_counter() - began) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="the SQLite big store")
    parser.add_argument("--pg-root", type=Path, required=True,
                        help="the cluster bench/pg_big_store.py built")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5,
                        help="turns per case: each turn runs --runs/--rounds on each engine")
    args = parser.parse_args()
    sqlite_store = Store.open(args.db, migrate=False)
    with running(args.pg_root) as server:
        pg_store = Store.open(server.url(), migrate=False)
        stores = {"sqlite": sqlite_store, "postgresql": pg_store}
        counts = {name: s.conn.execute("SELECT count(*) FROM message").fetchone()[0]
                  for name, s in stores.items()}
        print(f"messages: {counts}; {args.runs} runs per case and engine, first page "
              f"{PAGE} hits")
        print(f"{'typed':18s} {'hits':>5s} {'SQLite p50':>11s} {'p95':>7s} "
              f"{'PG p50':>8s} {'p95':>7s} {'PG/SQLite p95':>14s}")
        worst = 0.0
        for typed in TYPED:
            results = {name: queries.search_messages(s, typed, limit=PAGE)
                       for name, s in stores.items()}
            same = ([h.message_id for h in results["sqlite"]]
                    == [h.message_id for h in results["postgresql"]])
            times: dict[str, list[float]] = {name: [] for name in stores}
            for _ in range(args.rounds):
                for name, s in stores.items():
                    times[name] += timings(
                        lambda s=s, typed=typed: queries.search_messages(s, typed, limit=PAGE),
                        max(1, args.runs // args.rounds))
            sq, pg = times["sqlite"], times["postgresql"]
            worst = max(worst, p95(pg))
            print(f"{typed[:18]:18s} {len(results['postgresql']):5d} {statistics.median(sq):11.2f} "
                  f"{p95(sq):7.2f} {statistics.median(pg):8.2f} {p95(pg):7.2f} "
                  f"{p95(pg) / p95(sq):14.2f}{'' if same else '  (hits differ!)'}")
        verdict = "met" if worst <= TARGET_P95_MS else "NOT met"
        print(f"worst PostgreSQL p95 {worst:.2f} ms: target {TARGET_P95_MS:.0f} ms {verdict}")
        pg_store.close()
    sqlite_store.close()


if __name__ == "__main__":
    main()
