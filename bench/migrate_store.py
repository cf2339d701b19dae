"""`omnitui migrate-store`'s copy beside a bare COPY of the same rows, in one run.

A SQLite store of `--messages` messages (bench/make_big_store.py: realistic conversations,
customers, identities and events) is copied into fresh PostgreSQL databases of a throwaway
cluster (tests/pg_cluster.py), each already at the newest schema, so the schema's migrations are
not timed. The rounds alternate:

- omnitui: `copy_store()`, everything the command does after connecting (census, foreign-key
  order, COPY per table in its own transaction with its progress record, id sequences,
  attachment files, the row-count check);
- floor: one psycopg connection copying every table's rows with COPY and nothing else;
- bare: the floor with triggers and foreign keys off (`session_replication_role = replica`, a
  superuser's switch): what the rows cost without the search index the triggers keep.

omnitui and the floor load the same indexes and fire the same triggers (the search index), so
their ratio is what the command's care costs over the least a copy can do; bare shows how much
of both is the search index.

    python bench/migrate_store.py [--messages 100000] [--rounds 3] [--source omnitui.db]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.make_big_store import build
from omnitui.store.copy_plan import NOT_COPIED, quoted
from omnitui.store.copy_store import copy_store
from omnitui.store.database import Database
from tests.pg_cluster import start_cluster


def floor_copy(source: Path, url: str, *, bare: bool = False) -> int:
    """Every table's rows with COPY on one connection, in the target's foreign-key order."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    rows = 0
    with psycopg.connect(url) as pg:
        if bare:
            pg.execute("SET session_replication_role = replica")
        order = [r[0] for r in src.execute(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' "
            "AND name NOT LIKE 'sqlite%'")]
        ordered = ["agent", "customer", "label", "conversation", "identity", "message"]
        tables = [t for t in ordered if t in order] + [
            t for t in sorted(order) if t not in ordered and t not in NOT_COPIED]
        for table in tables:
            columns = ", ".join(quoted(r[1]) for r in src.execute(
                f"PRAGMA table_info({quoted(table)})"))
            cursor = src.execute(f"SELECT {columns} FROM {quoted(table)}")
            with pg.cursor().copy(f"COPY {quoted(table)} ({columns}) FROM STDIN") as copy:
                while chunk := cursor.fetchmany(5000):
                    for row in chunk:
                        copy.write_row(row)
                    rows += len(chunk)
        pg.commit()
    src.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--source", type=Path, help="a store made by an earlier run")
    args = parser.parse_args()
    if args.source is None:
        work = Path(tempfile.mkdtemp(prefix="omnitui-migrate-bench-"))
        source = work / "omnitui.db"
        build(source, args.messages, max(args.messages // 20, 1), max(args.messages // 40, 1))
    else:
        source, work = args.source, args.source.parent
    with sqlite3.connect(source) as conn:
        total = sum(conn.execute(f"SELECT count(*) FROM {quoted(t)}").fetchone()[0]
                    for (t,) in conn.execute(
                        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND "
                        "type = 'table' AND name NOT LIKE 'sqlite%'") if t not in NOT_COPIED)
    print(f"source: {args.messages:,} messages, {total:,} rows in all; load "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    cluster = start_cluster()
    try:
        cluster.make_template()
        times: dict[str, list[float]] = {"omnitui": [], "floor": [], "bare": []}
        for n in range(args.rounds):
            for side, spent in times.items():
                url = cluster.url(cluster.new_database())
                began = time.perf_counter()
                if side == "omnitui":
                    result = copy_store(source, work / "attachments", Database.at(url))
                    assert not result.mismatched and result.rows == total
                else:
                    assert floor_copy(source, url, bare=side == "bare") == total
                spent.append(time.perf_counter() - began)
                cluster.drop_database(url.rsplit("/", 1)[1])
            print(f"round {n + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items())
                  + f", omnitui/floor {times['omnitui'][-1] / times['floor'][-1]:.2f}, load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)
        mine, base, bare = (statistics.median(times[k]) for k in ("omnitui", "floor", "bare"))
        print(f"median: omnitui {mine:.2f} s ({total / mine:,.0f} rows/s, "
              f"{args.messages / mine:,.0f} messages/s), floor {base:.2f} s "
              f"({total / base:,.0f} rows/s), bare {bare:.2f} s; omnitui/floor "
              f"{mine / base:.2f}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
