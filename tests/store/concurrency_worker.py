"""A worker process for the concurrency test: ingests or acts as fast as it can for N seconds.

Prints one JSON line: how many operations it committed and the ids it expects to find.
"""

from __future__ import annotations

import json
import sys
import time

from omnitui.channels.base import Inbound
from omnitui.core import actions
from omnitui.core.agents import get_agent
from omnitui.core.ingest import ingest_batch
from omnitui.store.db import Store


def main(db: str, role: str, seconds: float) -> None:
    store = Store.open(db, migrate=False)  # a SQLite file's path or a PostgreSQL URL
    deadline = time.monotonic() + seconds
    done: list[object] = []
    errors: list[str] = []
    n = 0
    while time.monotonic() < deadline:
        n += 1
        try:
            if role == "ingest":
                batch = [Inbound(channel="chat", kind="chat", external_id=f"c{n}:{i}",
                                 address=f"visitor{(n * 7 + i) % 200}", text=f"msg {n}.{i}")
                         for i in range(5)]
                ingest_batch(store, batch, cursor=("chat", str(n)))
                done.extend(b.external_id for b in batch)
            else:
                agent = get_agent(store, role)
                conv = store.conn.execute(
                    "SELECT id FROM conversation ORDER BY random() LIMIT 1").fetchone()
                if conv is None:
                    time.sleep(0.01)
                    continue
                kind = n % 4
                if kind == 0:
                    actions.note(store, conv[0], f"{role} note {n}", agent)
                    done.append(f"{role} note {n}")
                elif kind == 1:
                    actions.reply(store, conv[0], f"{role} reply {n}", agent)
                    done.append(f"{role} reply {n}")
                elif kind == 2:
                    actions.label(store, conv[0], f"l{n % 5}", agent)
                else:
                    actions.mark_read(store, conv[0], agent)
        except Exception as exc:  # the test asserts there were none
            errors.append(f"{type(exc).__name__}: {exc}")
    print(json.dumps({"role": role, "done": done, "errors": errors[:5],
                      "error_count": len(errors)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
