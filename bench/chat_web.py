"""Website chat under load: 1,000 WebSocket visitors through the gateway, and the same load over
the Unix socket in the same run as the baseline.

    python bench/chat_web.py                        # 1,000 visitors, one message / 5 s, 60 s
    python bench/chat_web.py --duration 15 --visitors 300   # a quick run

Each phase starts its own hub (`python -m omnitui --config … serve`) on a fresh data dir, with
the follower on the change feed and the agent process of `bench/chat_latency.py` (reused, not
copied). The visitors run in this process: over WebSocket, aiohttp clients that get a token
from `POST /chat/session` and speak JSON frames; over the Unix socket, `chat_latency.Visitor`.

- visitor → stored: a visitor sends → the follower sees the `message_in` event (committed);
- reply → visitor: the agent process calls `reply()` → the visitor's socket receives it;
- lost / doubled: as in chat_latency.py (stored rows per client id, replies pushed twice);
- memory: the hub's resident set with every visitor connected and idle (after `welcome`),
  minus before anybody connected, divided by the number of visitors.

Targets (website chat): visitor → stored p99 <= 100 ms, reply → visitor p99 <= 150 ms, 0 lost,
0 doubled, <= 50 KB of hub memory per connected idle visitor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import chat_latency as base  # noqa: E402 - the Unix baseline, follower and agent

ORIGIN = "https://bench.example"
SETTLE = 3.0  # seconds with everybody connected and idle before memory is read


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process: what the load costs the hub, whatever else runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class WebVisitor:
    """What the widget does on the wire: token, WebSocket, hello, messages acked by id."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.name = f"web-{index:04d}"
        self.address = ""
        self.sent: dict[str, float] = {}
        self.acked: dict[str, float] = {}
        self.received: dict[str, float] = {}
        self.duplicates = 0
        self.errors: list[str] = []
        self._acks: dict[str, asyncio.Future[None]] = {}
        self.ws: Any = None

    async def connect(self, http: Any, url: str) -> None:
        async with http.post(f"{url}/chat/session", headers={"Origin": ORIGIN}) as resp:
            issued = await resp.json()
        self.address = issued["visitor"]
        self.ws = await http.ws_connect(f"{url}/chat/ws", params={"token": issued["token"]},
                                        headers={"Origin": ORIGIN}, autoping=True)
        await self.ws.send_str(json.dumps({"type": "hello", "name": self.name}))
        while True:
            frame = json.loads((await self.ws.receive(30)).data)
            if frame["type"] == "welcome":
                return

    async def run(self, rate: float, start: float, until: float) -> None:
        reader = asyncio.create_task(self._receive())
        n = 0
        next_at = start + (self.index % 1000) / 1000 / rate  # spread the visitors out
        try:
            while next_at < until:
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
                msg_id = f"{self.name}-{n}"
                n += 1
                future = asyncio.get_running_loop().create_future()
                self._acks[msg_id] = future
                self.sent[msg_id] = time.monotonic()
                await self.ws.send_str(json.dumps({"type": "message", "id": msg_id,
                                                   "text": f"message {n} from {self.name}"}))
                try:
                    await asyncio.wait_for(future, 10)
                    self.acked[msg_id] = time.monotonic()
                except TimeoutError:
                    self.errors.append(f"{msg_id}: no ack")
                next_at += 1 / rate
            await asyncio.sleep(max(0.0, until + base.GRACE - 1 - time.monotonic()))
        finally:
            reader.cancel()
            await self.ws.close()

    async def _receive(self) -> None:
        async for msg in self.ws:
            obj = json.loads(msg.data)
            kind = obj.get("type")
            if kind == "ack":
                future = self._acks.pop(str(obj.get("id")), None)
                if future is not None and not future.done():
                    future.set_result(None)
            elif kind == "message":
                hub_id = str(obj["id"])
                if hub_id in self.received:
                    self.duplicates += 1
                    continue
                self.received[hub_id] = time.monotonic()
                await self.ws.send_str(json.dumps({"type": "delivered", "id": hub_id}))
            elif kind == "error":
                self.errors.append(str(obj.get("code")))


async def unix_phase(sock: Path, n: int, rate: float, start: float, until: float,
                     hub_pid: int, memory: dict[str, Any]) -> list[Any]:
    from omnitui.channels.chat.client import ChatClient

    crowd = [base.Visitor(f"visitor-{i:04d}") for i in range(n)]
    memory["before_kb"] = rss_kb(hub_pid)
    clients = []
    for chunk in range(0, n, 100):
        opened = await asyncio.gather(*(ChatClient.connect(sock, timeout=30)
                                        for _ in crowd[chunk:chunk + 100]))
        await asyncio.gather(*(c.hello(v.name, name=v.name, timeout=30)
                               for c, v in zip(opened, crowd[chunk:chunk + 100], strict=True)))
        clients += opened
    await asyncio.sleep(SETTLE)
    memory["idle_kb"] = rss_kb(hub_pid)
    for client in clients:  # chat_latency.Visitor opens its own connection
        await client.close()

    async def mark_start() -> None:  # after every visitor's own connect and hello
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        memory["cpu_start"] = cpu_seconds(hub_pid)
        memory["client_start"] = cpu_seconds(os.getpid())

    await asyncio.gather(mark_start(), *(v.run(sock, rate, start, until) for v in crowd))
    memory["cpu_end"] = cpu_seconds(hub_pid)
    memory["client_end"] = cpu_seconds(os.getpid())
    return crowd


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def phase(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix=f"ocw-{kind}-", dir="/tmp"))
    port = free_port()
    config = root / "config.toml"
    config.write_text(
        f'[omnitui]\ndata_dir = "{root}"\ntimezone = "UTC"\n\n[channels.chat]\nkind = "chat"\n'
        f'rate_limit = 1000\nweb = "127.0.0.1:{port}"\nweb_origins = ["{ORIGIN}"]\n'
        f'web_address_limit = 100000\nweb_connections_per_address = 100000\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "omnitui", "--config", str(config), "init"],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    hub_log = (root / "hub.stderr").open("wb")
    hub = subprocess.Popen([sys.executable, "-m", "omnitui", "--config", str(config), "serve"],
                           stdout=subprocess.DEVNULL, stderr=hub_log, env=env)
    helpers: list[subprocess.Popen[bytes]] = []
    memory: dict[str, Any] = {}
    db = root / "omnitui.db"
    try:
        base.wait_for_socket(root / "chat.sock", hub)
        time.sleep(0.5)
        connect_time = max(10.0, args.visitors / 50)
        start = time.monotonic() + connect_time + SETTLE + 2.0
        until = start + args.duration
        me = str(Path(__file__).resolve())
        helpers.append(subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "chat_latency.py"), "--_follower", str(db),
             str(until + base.GRACE), str(root / "f.json")], env=env))
        names_file = root / "names.json"
        if kind == "web":
            crowd = asyncio.run(_web_with_agent(args, root, db, start, until, hub.pid, memory,
                                                names_file, me, env, helpers, port))
        else:
            names = [f"visitor-{i:04d}" for i in range(args.visitors)]
            names_file.write_text(json.dumps(names))
            helpers.append(_agent(me, db, names_file, args, start, until, root, env))
            crowd = asyncio.run(unix_phase(root / "chat.sock", args.visitors, args.rate, start,
                                           until, hub.pid, memory))
        for proc in helpers:
            proc.wait(120)
        figures = base.report(crowd, root, db, args)
        per = (memory["idle_kb"] - memory["before_kb"]) * 1024 / args.visitors / 1000
        figures["memory"] = {**memory, "per_idle_visitor_kb": round(per, 1)}
        sent = max(1, sum(len(v.sent) for v in crowd))
        cpu_ms = (memory["cpu_end"] - memory["cpu_start"]) * 1000 / sent
        client_ms = (memory["client_end"] - memory["client_start"]) * 1000 / sent
        figures["hub_cpu_ms_per_message"] = round(cpu_ms, 2)
        figures["visitors_cpu_ms_per_message"] = round(client_ms, 2)
        print(f"{kind}: hub memory per connected idle visitor {per:.1f} KB "
              f"({memory['before_kb']} → {memory['idle_kb']} KiB resident); hub CPU "
              f"{cpu_ms:.2f} ms per visitor message (replies and everything else included), "
              f"the visitors' process {client_ms:.2f} ms; "
              f"load average {os.getloadavg()[0]:.1f}")
        return figures
    finally:
        for proc in helpers:
            if proc.poll() is None:
                proc.kill()
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(15)
        except subprocess.TimeoutExpired:
            hub.kill()
        hub_log.close()
        shutil.rmtree(root, ignore_errors=True)


def _agent(me: str, db: Path, names_file: Path, args: argparse.Namespace, start: float,
           until: float, root: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, me, "--_agent", str(db), str(names_file), str(1 / args.reply_rate),
         str(start + 1.0), str(until), str(root / "a.json")], env=env)


async def _web_with_agent(args: argparse.Namespace, root: Path, db: Path, start: float,
                          until: float, hub_pid: int, memory: dict[str, Any], names_file: Path,
                          me: str, env: dict[str, str], helpers: list[Any],
                          port: int) -> list[WebVisitor]:
    """The web visitors learn their addresses from the gateway, so the agent starts after."""
    import aiohttp

    url = f"http://127.0.0.1:{port}"
    crowd = [WebVisitor(i) for i in range(args.visitors)]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        memory["before_kb"] = rss_kb(hub_pid)
        for chunk in range(0, len(crowd), 100):
            await asyncio.gather(*(v.connect(http, url) for v in crowd[chunk:chunk + 100]))
        await asyncio.sleep(SETTLE)
        memory["idle_kb"] = rss_kb(hub_pid)
        names_file.write_text(json.dumps([v.address for v in crowd]))
        helpers.append(_agent(me, db, names_file, args, start, until, root, env))
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        memory["cpu_start"] = cpu_seconds(hub_pid)
        memory["client_start"] = cpu_seconds(os.getpid())
        await asyncio.gather(*(v.run(args.rate, start, until) for v in crowd))
        memory["cpu_end"] = cpu_seconds(hub_pid)
        memory["client_end"] = cpu_seconds(os.getpid())
    return crowd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0.2, help="messages/s per visitor")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of sending")
    parser.add_argument("--reply-rate", type=float, default=10.0,
                        help="agent replies/s in total (round robin over the visitors)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    results = {}
    for kind in ("unix", "web"):
        print(f"--- {kind} ---", flush=True)
        results[kind] = phase(kind, args)
    u, w = results["unix"], results["web"]
    print("--- web vs unix (p99) ---")
    for way in ("inbound", "outbound"):
        ratio = w[way]["p99_ms"] / u[way]["p99_ms"] if u[way]["p99_ms"] else float("nan")
        print(f"{way}: web {w[way]['p99_ms']:.1f} ms, unix {u[way]['p99_ms']:.1f} ms, "
              f"ratio {ratio:.2f}")
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--_agent":
        base.agent(Path(sys.argv[2]), json.loads(Path(sys.argv[3]).read_text()),
                   float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), Path(sys.argv[7]))
    else:
        main()
