"""Telegram ingest through the real hub, a local Bot API server and a feed follower.

    python bench/telegram_ingest.py                      # 10,000 updates from 500 users (issue 5)
    python bench/telegram_ingest.py --bulk 2000 --single 100   # a quick run

Processes: the fake Bot API server (`python -m tests.fakes.telegram_api`), the hub
(`python -m omnitui --config … serve`) polling it with the Telegram channel, and this process,
which queues updates through the server's control endpoint and follows the change feed
(`core.feed.Feed`) as a console would. One machine, so one monotonic clock for all three.

- bulk: all updates queued at once → updates/s until the last `message_in` event is seen;
- single: updates queued one at a time (every 50 ms) → latency from queued to the event seen by
  this other process, p50/p99. Target p99 <= 150 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from omnitui.core.feed import Feed  # noqa: E402
from tests.fakes.telegram_api import TOKEN, hub_config  # noqa: E402


def ctl(port: int, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/_ctl/{path}", data=data,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Follower:
    """Reads `message_in` events and the texts they carry (`seq <n> <t_ns>`)."""

    def __init__(self, db: Path) -> None:
        self.feed = Feed(db)
        self.conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        self.seen: dict[int, float] = {}

    def poll(self) -> None:
        events = self.feed.poll()
        now = time.monotonic()
        ids = [e.message_id for e in events if e.kind == "message_in" and e.message_id]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for (text,) in self.conn.execute(f"SELECT text FROM message WHERE id IN ({marks})",
                                             chunk):
                parts = text.split()
                if len(parts) >= 2 and parts[0] == "seq":
                    self.seen.setdefault(int(parts[1]), now)

    def until(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.seen) < count and time.monotonic() < deadline:
            self.poll()
            time.sleep(0.002)


def run(bulk: int, users: int, single: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="omnitui-tg-bench-"))
    fake = subprocess.Popen([sys.executable, "-m", "tests.fakes.telegram_api", "--port", "0"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    hub: subprocess.Popen[bytes] | None = None
    try:
        port = int(fake.stdout.readline().split()[1])  # type: ignore[union-attr]
        data = tmp / "data"
        config = tmp / "omnitui.toml"
        config.write_text(hub_config(data, port, poll_timeout=25))
        env = {**os.environ, "TG_TOKEN": TOKEN}
        subprocess.run([sys.executable, "-m", "omnitui", "--config", str(config), "init"],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        hub = subprocess.Popen([sys.executable, "-m", "omnitui", "--config", str(config), "serve"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        db = data / "omnitui.db"
        deadline = time.monotonic() + 30
        while not db.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # let the channel reach its first long poll
        follower = Follower(db)

        messages = [{"user_id": 10_000 + i % users, "text": f"seq {i} bulk message {i}"}
                    for i in range(bulk)]
        started = time.monotonic()
        for chunk in range(0, bulk, 1000):
            ctl(port, "push", {"messages": messages[chunk:chunk + 1000]})
        follower.until(bulk, timeout=600)
        elapsed = time.monotonic() - started
        print(f"bulk: {len(follower.seen)}/{bulk} updates from {users} users in {elapsed:.2f} s "
              f"= {len(follower.seen) / elapsed:,.0f} updates/s")

        queued: dict[int, float] = {}
        for k in range(single):
            seq = bulk + k
            queued[seq] = time.monotonic()
            ctl(port, "push", {"messages": [{"user_id": 10_000 + k % users,
                                             "text": f"seq {seq} one at a time"}]})
            wait_until = time.monotonic() + 0.05
            while time.monotonic() < wait_until:
                follower.poll()
                time.sleep(0.001)
        follower.until(bulk + single, timeout=30)
        lat = [(follower.seen[s] - t) * 1000 for s, t in queued.items() if s in follower.seen]
        lost = single - len(lat)
        print(f"single: {len(lat)} updates, p50 {percentile(lat, 50):.1f} ms, "
              f"p99 {percentile(lat, 99):.1f} ms, max {max(lat):.1f} ms, lost {lost}")
        dup = follower.conn.execute(
            "SELECT count(*) - count(DISTINCT external_id) FROM message WHERE kind='inbound'"
        ).fetchone()[0]
        print(f"stored twice: {dup}; pending at the server: {ctl(port, 'state')['pending']}")
    finally:
        for proc in (hub, fake):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Telegram ingest benchmark (issue 5)")
    parser.add_argument("--bulk", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--single", type=int, default=300)
    args = parser.parse_args()
    run(args.bulk, args.users, args.single)


if __name__ == "__main__":
    main()
