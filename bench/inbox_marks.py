"""What the inbox's suggestion marks cost: loading a page of rows with and without them.

The inbox list reads a page of rows at a time (`inbox_page`) and, since customers can be
recognised, the labels of open suggestions for that page's customers (`suggestion_marks`, one
indexed query). This runs both, interleaved in the same process on a warm connection, against a
store made by bench/make_big_store.py (1M messages), after adding `--suggestions` open
suggestions among its customers (on a copy: the store passed in is changed).

    python bench/make_big_store.py --out /tmp/big/omnitui.db
    python bench/inbox_marks.py --db /tmp/big/omnitui.db [--runs 300] [--suggestions 2000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from omnitui.core.suggestions import suggestion_marks
from omnitui.store.db import Store
from omnitui.store.inbox_query import InboxView, inbox_page

PAGE = 40  # rows per page, as the console reads them


def add_suggestions(store: Store, count: int, seed: int = 3) -> int:
    """Open suggestions between random pairs of customers, as recognition would leave them."""
    have = store.conn.execute("SELECT count(*) FROM match_suggestion").fetchone()[0]
    if have >= count:
        return int(have)
    rnd = random.Random(seed)
    top = store.conn.execute("SELECT max(id) FROM customer").fetchone()[0]
    reasons = json.dumps([{"kind": "name", "detail": "x", "hint": "same name"}])
    pairs = {(rnd.randint(1, top), rnd.randint(1, top)) for _ in range(count * 2)}
    rows = [(a, b, reasons, f"probably Customer {b}: same name", 0.6, "open", 0.0, 0.0)
            for a, b in pairs if a < b][:count - have]
    with store.write("bench") as tx:
        tx.executemany(
            "INSERT OR IGNORE INTO match_suggestion (customer_id, candidate_id, reasons, label, "
            "score, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return int(store.conn.execute("SELECT count(*) FROM match_suggestion").fetchone()[0])


def timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--suggestions", type=int, default=2000)
    args = parser.parse_args()
    store = Store.open(args.db)
    total = add_suggestions(store, args.suggestions)
    views = {"all, first page": (InboxView(status="any"), 0),
             "all, page at 25,000": (InboxView(status="any"), 25_000),
             "needs reply, first page": (InboxView(scope="needs_reply", agent_id=1), 0)}
    print(f"{args.db}: {total} suggestions; median (p95) ms of {args.runs} page loads each, "
          "interleaved")
    for name, (view, offset) in views.items():
        before: list[float] = []
        after: list[float] = []

        def rows_only(view: InboxView = view, offset: int = offset) -> object:
            return inbox_page(store, view, offset, PAGE)

        def rows_and_marks(view: InboxView = view, offset: int = offset) -> object:
            page = inbox_page(store, view, offset, PAGE)
            return suggestion_marks(store, [r.customer_id for r in page])

        for _ in range(args.runs):
            before.append(timed(rows_only))
            after.append(timed(rows_and_marks))
        b, a = statistics.median(before), statistics.median(after)
        p95 = int(args.runs * 0.95) - 1
        print(f"  {name:26} rows {b:6.2f} ({sorted(before)[p95]:6.2f})   rows+marks "
              f"{a:6.2f} ({sorted(after)[p95]:6.2f})   ratio {a / b:4.2f}")


if __name__ == "__main__":
    main()
