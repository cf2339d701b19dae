"""Generate a large, realistic store for the console benchmarks.

1,000,000 messages in 50,000 conversations of 25,000 customers by default, written with bulk
inserts into a database created by omnitui's own migrations (so the FTS index, triggers and
indexes are the real ones). About 1 in 100 conversations is a long one (500 messages) so a
500-message timeline exists (`--long-every`).

    python bench/make_big_store.py --out /tmp/big/omnitui.db [--messages 1000000]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from omnitui.store.db import Store, connect

WORDS = ("order delivery parcel refund size colour thanks please when where invoice courier "
         "hello payment address return exchange shoes jacket today tomorrow week zamówienie "
         "dostawa заказ доставка طلب شحن").split()
CHANNELS = (("chat", "chat"), ("mail", "email"), ("bot", "telegram"))
NAMES = ("Olga Petrova", "Marek Nowak", "Amina Haddad", "Emma Johnson", "Ivan Sidorov",
         "Zofia Kowalska", "Noah Williams", "Layla Hassan", "Piotr Zielinski", "Sofia Rossi")


def build(out: Path, messages: int, conversations: int, customers: int, seed: int = 1,
          long_every: int = 100) -> None:
    rnd = random.Random(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    Store.open(out).close()
    conn = connect(out)
    conn.execute("PRAGMA foreign_keys = OFF")  # bulk load: conversations after their messages
    # A bulk load wants a big page cache, and the FTS index built once at the end (one pass
    # over the messages) instead of row by row through the trigger, whose segment merges
    # grow with the index.
    conn.execute("PRAGMA cache_size = -1000000")
    trigger = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                           "AND name = 'message_fts_insert'").fetchone()[0]
    conn.execute("DROP TRIGGER message_fts_insert")
    now = time.time()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO agent (id, username, name, role, disabled, created_at) "
                     "VALUES (?, ?, ?, 'agent', 0, ?)",
                     [(i, f"agent{i}", f"Agent {i}", now) for i in range(1, 11)])
    conn.executemany(
        "INSERT INTO customer (id, name, email, created_at) VALUES (?, ?, ?, ?)",
        [(i, f"{rnd.choice(NAMES)} {i}", f"c{i}@example.org", now)
         for i in range(1, customers + 1)])
    conn.executemany(
        "INSERT INTO identity (id, customer_id, kind, address, channel, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(i, i, CHANNELS[i % 3][1], f"addr-{i}", CHANNELS[i % 3][0], now)
         for i in range(1, customers + 1)])
    long_ones = set(range(1, conversations + 1, long_every)) if long_every else set()
    per_conv = {}
    remaining = messages - len(long_ones) * 500
    base = max(1, remaining // (conversations - len(long_ones)))
    for c in range(1, conversations + 1):
        per_conv[c] = 500 if c in long_ones else base
    start = now - 90 * 86400
    conv_rows = []
    msg_id = 0
    batch: list[tuple] = []
    for c in range(1, conversations + 1):
        cust = (c - 1) % customers + 1
        channel = CHANNELS[cust % 3][0]
        t = start + rnd.random() * 80 * 86400
        status = rnd.choices(("open", "pending", "resolved"), (3, 1, 6))[0]
        for k in range(per_conv[c]):
            msg_id += 1
            t += rnd.random() * 600
            inbound = k % 2 == 0
            text = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(5, 40)))
            batch.append((msg_id, c, cust, "inbound" if inbound else "outbound", channel,
                          cust, None if inbound else 1 + c % 10, f"x{msg_id}" if inbound else None,
                          text, None if inbound else "delivered", t))
            if len(batch) >= 20_000:
                _flush(conn, batch)
        waiting = t if status == "open" and rnd.random() < 0.6 else None
        conv_rows.append((c, cust, status, channel, text[:200], 1 + c % 10 if c % 3 else None,
                          start, t, t, waiting, per_conv[c], msg_id))
    conn.executemany(
        "INSERT INTO conversation (id, customer_id, status, channel, preview, assignee_id, "
        "created_at, last_message_at, last_inbound_at, waiting_since, message_count, "
        "last_message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", conv_rows)
    _flush(conn, batch)
    conn.execute("INSERT INTO message_fts(rowid, body, subject) "
                 "SELECT id, text, subject FROM message")
    conn.execute(trigger)
    conn.execute("COMMIT")
    conn.close()
    stats = Store(out)
    stats.optimize()  # planner statistics, as the hub keeps them
    stats.close()


def _flush(conn, batch: list[tuple]) -> None:  # type: ignore[no-untyped-def]
    conn.executemany(
        "INSERT INTO message (id, conversation_id, customer_id, kind, channel, identity_id, "
        "agent_id, external_id, text, delivery_state, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
    batch.clear()
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("BEGIN")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--customers", type=int, default=25_000)
    parser.add_argument("--long-every", type=int, default=100,
                        help="every Nth conversation has 500 messages (0: none)")
    args = parser.parse_args()
    began = time.perf_counter()
    build(args.out, args.messages, args.conversations, args.customers,
          long_every=args.long_every)
    print(f"built {args.out}: {args.messages} messages, {args.conversations} conversations "
          f"in {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
