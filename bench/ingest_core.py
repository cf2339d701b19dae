"""Ingest throughput: omnitui's core.ingest path beside the raw-sqlite floor, in one run.

100k chat-sized messages from 5k customers. The floor writes the same message rows (with the FTS
index, as omnitui keeps it) using sqlite3 executemany in batched transactions, and nothing else:
no routing, no identities, no conversations, no events. omnitui's path does all of those through
`core.ingest.ingest_batch`, batching where it can. Several rounds, medians reported.

    python bench/ingest_core.py [--messages 100000] [--customers 5000] [--batch 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from omnitui.channels.base import Inbound
from omnitui.core.ingest import ingest_batch
from omnitui.store.db import Store, connect

WORDS = [
    "order",
    "delivery",
    "parcel",
    "refund",
    "size",
    "colour",
    "thanks",
    "please",
    "when",
    "where",
    "invoice",
    "courier",
    "hello",
    "payment",
    "address",
    "return",
    "exchange",
    "shoes",
    "jacket",
    "today",
    "tomorrow",
    "week",
]


def make_messages(n: int, customers: int, seed: int = 7) -> list[Inbound]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        visitor = f"visitor-{rnd.randrange(customers)}"
        text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(5, 30)))
        out.append(
            Inbound(
                channel="chat",
                kind="chat",
                external_id=f"{visitor}:{i}",
                address=visitor,
                text=text,
                display_name=visitor.title(),
            )
        )
    return out


def run_omnitui(messages: list[Inbound], batch: int, root: Path) -> float:
    store = Store.open(root / "omnitui.db")
    began = time.perf_counter()
    for start in range(0, len(messages), batch):
        chunk = messages[start : start + batch]
        ingest_batch(store, chunk, cursor=("chat", str(start + len(chunk))))
    elapsed = time.perf_counter() - began
    count = store.conn.execute("SELECT count(*) FROM message").fetchone()[0]
    assert count == len(messages), count
    store.close()
    return elapsed


def run_floor(messages: list[Inbound], batch: int, root: Path) -> float:
    """Same schema (migrated), same pragmas, same FTS triggers; bare executemany of messages."""
    Store.open(root / "omnitui.db").close()
    conn: sqlite3.Connection = connect(root / "omnitui.db")
    conn.execute("INSERT INTO customer (id, name, created_at) VALUES (1, 'x', 0)")
    conn.execute(
        "INSERT INTO conversation (id, customer_id, channel, created_at, "
        "last_message_at) VALUES (1, 1, 'chat', 0, 0)"
    )
    now = time.time()
    began = time.perf_counter()
    for start in range(0, len(messages), batch):
        chunk = messages[start : start + batch]
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO message (conversation_id, customer_id, kind, channel, external_id, "
            "text, created_at) VALUES (1, 1, 'inbound', 'chat', ?, ?, ?)",
            [(m.external_id, m.text, now) for m in chunk],
        )
        conn.execute("COMMIT")
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
    ours: list[float] = []
    floor: list[float] = []
    for rnd in range(args.rounds):
        for name, fn, sink in (("floor", run_floor, floor), ("omnitui", run_omnitui, ours)):
            with tempfile.TemporaryDirectory() as tmp:
                secs = fn(messages, args.batch, Path(tmp))
            sink.append(secs)
            print(f"round {rnd + 1} {name:8s} {args.messages / secs:10.0f} msg/s")
    ours_rate = args.messages / statistics.median(ours)
    floor_rate = args.messages / statistics.median(floor)
    print(
        f"median omnitui {ours_rate:.0f} msg/s, floor {floor_rate:.0f} msg/s, "
        f"ratio {ours_rate / floor_rate:.1%} (target >= 25%)"
    )


if __name__ == "__main__":
    main()
