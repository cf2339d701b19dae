"""Bulk resolve from the inbox, beside its baseline: 500 conversations in one `core.bulk.apply`
against the same 500-conversation job done as 500 single resolves (`core.actions.resolve`, one
transaction each: what the console did before bulk actions), in the same run on the same store.

Works on a copy of the store (each round resolves a fresh set of open conversations), so the
store given is left as it was.

    python bench/make_big_store.py --out /tmp/cb/big/omnitui.db
    python bench/inbox_bulk.py --db /tmp/cb/big/omnitui.db --rounds 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from omnitui.core import actions, bulk
from omnitui.core.agents import get_agent
from omnitui.store.console_queries import newest_event_id
from omnitui.store.db import Store


def run(db: Path, rounds: int, size: int, agent_name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "omnitui.db"
        shutil.copyfile(db, copy)
        store = Store.open(copy)
        agent = get_agent(store, agent_name)
        open_ids = [r[0] for r in store.conn.execute(
            "SELECT id FROM conversation WHERE status = 'open' AND merged_into IS NULL "
            "ORDER BY id LIMIT ?", (2 * rounds * size,))]
        if len(open_ids) < 2 * rounds * size:
            raise SystemExit(f"the store has only {len(open_ids)} open conversations")
        single: list[float] = []
        many: list[float] = []
        for n in range(rounds):
            chunk = open_ids[2 * n * size:(2 * n + 2) * size]
            baseline, bulk_ids = chunk[0::2], chunk[1::2]  # interleaved: the same mix of rows
            began = time.perf_counter()
            for conversation_id in baseline:
                actions.resolve(store, conversation_id, agent)
            single.append(time.perf_counter() - began)
            marked = dict.fromkeys(bulk_ids, newest_event_id(store))  # what the inbox keeps
            began = time.perf_counter()
            result = bulk.apply(store, agent, marked, "resolve")
            many.append(time.perf_counter() - began)
            assert len(result.changed) == size and not result.skipped
        store.close()
    print(f"resolve {size} conversations ({rounds} rounds, median; {db})")
    base, new = statistics.median(single), statistics.median(many)
    print(f"  {size} single resolves (baseline)   {base * 1000:8.0f} ms")
    print(f"  one bulk resolve                  {new * 1000:8.0f} ms   {base / new:5.1f}x faster")
    print(f"  per round, bulk: {', '.join(f'{t * 1000:.0f}' for t in many)} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--agent", default="agent1")
    args = parser.parse_args()
    run(args.db, args.rounds, args.size, args.agent)


if __name__ == "__main__":
    main()
