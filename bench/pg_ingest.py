"""Ingest throughput on PostgreSQL beside SQLite: core.ingest against each engine's bare floor.

The same 100k chat-sized messages from 5k customers (bench/ingest_core.py's) go through
`core.ingest.ingest_batch` into a migrated store on each engine. Each engine's floor writes the
same message rows into the same migrated schema and nothing else: on SQLite bare `sqlite3`
executemany in batched transactions; on PostgreSQL bare psycopg, both `executemany` (pipelined)
and COPY, one transaction per batch, all rows into one conversation of one customer. A third
PostgreSQL floor COPYs exactly the message rows core ingest stored in the same round (every
column, spread over the same customers, identities and conversations, put in first untimed):
the same rows, as the target names them. Rounds alternate every phase; medians reported.

The PostgreSQL server is a throwaway cluster under /tmp with the settings a small production
server keeps (fsync and synchronous commit on), started for the run and removed after it.

    python bench/pg_ingest.py [--messages 100000] [--customers 5000] [--batch 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import psycopg
from ingest_core import make_messages, run_floor
from pg_big_store import PgServer

from omnitui.channels.base import Inbound
from omnitui.core.ingest import ingest_batch
from omnitui.store.database import Database
from omnitui.store.db import Store, upgrade

TEMPLATE = "ingest_template"
FLOOR_SQL = ("INSERT INTO message (conversation_id, customer_id, kind, channel, external_id, "
             "text, created_at) VALUES (1, 1, 'inbound', 'chat', %s, %s, %s)")
FLOOR_COPY = ("COPY message (conversation_id, customer_id, kind, channel, external_id, text, "
              "created_at) FROM STDIN")


def run_ours(messages: list[Inbound], batch: int, where: Database) -> float:
    store = Store.open(where)
    began = time.perf_counter()
    for start in range(0, len(messages), batch):
        chunk = messages[start : start + batch]
        ingest_batch(store, chunk, cursor=("chat", str(start + len(chunk))))
    elapsed = time.perf_counter() - began
    count = store.conn.execute("SELECT count(*) FROM message").fetchone()[0]
    assert count == len(messages), count
    store.close()
    return elapsed


def _floor_conn(url: str) -> psycopg.Connection[tuple[object, ...]]:
    conn = psycopg.connect(url)
    conn.execute("INSERT INTO customer (id, name, created_at) VALUES (1, 'x', 0)")
    conn.execute("INSERT INTO conversation (id, customer_id, channel, created_at, "
                 "last_message_at) VALUES (1, 1, 'chat', 0, 0)")
    conn.commit()
    return conn


def run_pg_executemany(messages: list[Inbound], batch: int, url: str) -> float:
    conn = _floor_conn(url)
    now = time.time()
    began = time.perf_counter()
    for start in range(0, len(messages), batch):
        with conn.cursor() as cur:
            cur.executemany(FLOOR_SQL, [(m.external_id, m.text, now)
                                        for m in messages[start : start + batch]])
        conn.commit()
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed


def run_pg_copy(messages: list[Inbound], batch: int, url: str) -> float:
    conn = _floor_conn(url)
    now = time.time()
    began = time.perf_counter()
    for start in range(0, len(messages), batch):
        with conn.cursor() as cur, cur.copy(FLOOR_COPY) as copy:
            for m in messages[start : start + batch]:
                copy.write_row((1, 1, "inbound", "chat", m.external_id, m.text, now))
        conn.commit()
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed


PARENTS = ("customer", "identity", "conversation")


def stored_rows(url: str) -> dict[str, tuple[list[str], list[tuple[object, ...]]]]:
    """What `pg omnitui` stored: {table: (columns, rows in id order)} for the message rows and
    the rows they point at."""
    out = {}
    with psycopg.connect(url) as conn:
        for table in (*PARENTS, "message"):
            cur = conn.execute(f"SELECT * FROM {table} ORDER BY id")
            columns = [d.name for d in cur.description or []]
            out[table] = (columns, cur.fetchall())
    return out


def run_pg_same_rows(stored: dict[str, tuple[list[str], list[tuple[object, ...]]]],
                     batch: int, url: str) -> float:
    """COPY of exactly the message rows core ingest stored (every column, the same customers,
    identities and conversations, which are put in first and not timed), a transaction per
    batch: the floor of "the same rows"."""
    conn = psycopg.connect(url)
    with conn.cursor() as cur:
        for table in PARENTS:
            columns, rows = stored[table]
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    conn.commit()
    columns, rows = stored["message"]
    began = time.perf_counter()
    for start in range(0, len(rows), batch):
        with conn.cursor() as cur, \
                cur.copy(f"COPY message ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows[start : start + batch]:
                copy.write_row(row)
        conn.commit()
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    messages = make_messages(args.messages, args.customers)
    server = PgServer(Path(tempfile.mkdtemp(prefix="omnitui-pg-ingest-")))
    server.init()
    server.start()
    try:
        with server.admin() as admin:
            admin.execute(f"CREATE DATABASE {TEMPLATE}")
        upgrade(server.url(TEMPLATE))
        counter = iter(range(1, 1_000_000))

        def fresh_pg() -> str:
            name = f"ingest_{next(counter)}"
            with server.admin() as admin:
                admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
            return server.url(name)

        last: list[str] = []

        def last_pg(url: str) -> str:
            last[:] = [url]  # the same-rows floor copies what this run stored
            return url

        def on_sqlite(fn: Callable[[list[Inbound], int, Path], float]) -> float:
            with tempfile.TemporaryDirectory() as tmp:
                return fn(messages, args.batch, Path(tmp))

        phases: dict[str, Callable[[], float]] = {
            "sqlite floor": lambda: on_sqlite(run_floor),
            "sqlite omnitui": lambda: on_sqlite(
                lambda m, b, root: run_ours(m, b, Database.at(root / "omnitui.db"))),
            "pg floor executemany": lambda: run_pg_executemany(messages, args.batch, fresh_pg()),
            "pg floor COPY": lambda: run_pg_copy(messages, args.batch, fresh_pg()),
            "pg omnitui": lambda: run_ours(messages, args.batch, Database.at(last_pg(fresh_pg()))),
            "pg floor same rows": lambda: run_pg_same_rows(stored_rows(last[0]), args.batch,
                                                           fresh_pg()),
        }
        times: dict[str, list[float]] = {name: [] for name in phases}
        for rnd in range(args.rounds):
            for name, phase in phases.items():
                secs = phase()
                times[name].append(secs)
                print(f"round {rnd + 1} {name:22s} {args.messages / secs:9.0f} msg/s", flush=True)
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
    rate = {name: args.messages / statistics.median(t) for name, t in times.items()}
    pg_floor = max(rate["pg floor executemany"], rate["pg floor COPY"])
    print("medians (msg/s): " + ", ".join(f"{n} {r:.0f}" for n, r in rate.items()))
    print(f"SQLite: omnitui {rate['sqlite omnitui'] / rate['sqlite floor']:.1%} of its floor; "
          f"PostgreSQL: omnitui {rate['pg omnitui'] / pg_floor:.1%} of the faster one-"
          f"conversation floor, {rate['pg omnitui'] / rate['pg floor same rows']:.1%} of the "
          f"same rows' COPY (target >= 25%)")


if __name__ == "__main__":
    main()
