"""A chat message into the socket → visible in the pane of each of 10 running consoles.

Ten consoles in ten pseudo-terminals on one demo shop (the first starts the embedded hub, the
others find it running), each showing the conversation of the chat visitor "visitor-kasia". A
client on the chat socket writes `ping-N`; the clock stops per console when its pty output holds
that text (messages start at least PACE apart, under the chat rate limit). Then the consoles
sit idle (30 s by default): their CPU (hub included) and memory.

    python bench/console_fanout.py [--consoles 10] [--messages 30] [--idle 30] [--busy 1]

`--busy N` runs N busy-looping processes beside the consoles while the messages go out, to
see the tail on a machine that other work keeps busy.
"""

from __future__ import annotations

import argparse
import asyncio
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from console_pty import Term, pct

from omnitui.channels.chat.client import ChatClient
from omnitui.tui.demo import build_demo

PACE = 0.6  # s between messages: the chat channel accepts 20 per visitor per 10 s

CONSOLE = """
import sys
from pathlib import Path
from textual.binding import Binding
from omnitui.config import load_settings
from omnitui.tui.app import OmniConsole
class Bench(OmniConsole):
    BINDINGS = [*OmniConsole.BINDINGS, Binding("f9", "open_kasia", "", show=False)]
    def action_open_kasia(self):
        self.open_conversation(3)
Bench(load_settings(Path(sys.argv[1])), "anna", start_hub=sys.argv[2] == "hub").run()
"""


def wait_all(terms: list[Term], marker: bytes, began: float, timeout: float = 5.0) -> list[float]:
    """Milliseconds from `began` until each terminal's output holds `marker`."""
    seen: dict[int, float] = {}
    start = {id(t): len(t.out) for t in terms}
    deadline = time.perf_counter() + timeout
    while len(seen) < len(terms) and time.perf_counter() < deadline:
        ready, _, _ = select.select([t.fd for t in terms], [], [], 0.01)
        now = time.perf_counter()
        for t in terms:
            if t.fd in ready:
                t._read(0)
            if id(t) not in seen and marker in t.out[max(0, start[id(t)] - 64):]:
                seen[id(t)] = (now - began) * 1000
    return [seen.get(id(t), float("inf")) for t in terms]


async def run(consoles: int, messages: int, idle: float, busy: int = 0) -> None:
    root = Path(tempfile.mkdtemp(prefix="omnitui-fanout-"))
    settings = build_demo(root / "shop")
    terms = [Term(CONSOLE, str(settings.path), "hub" if n == 0 else "no")
             for n in range(consoles)]
    for t in terms:
        t.read_until(b"Inbox", timeout=60)
    socket = settings.data_dir / "chat.sock"
    while not socket.exists():
        await asyncio.sleep(0.05)
    for t in terms:
        t.key("f9")
    for t in terms:
        t.settle(0.3)
    client = await ChatClient.connect(socket)
    await client.hello("visitor-kasia")
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(busy)]
    latencies: list[float] = []
    cpu_before = [t.cpu_seconds() for t in terms]
    for n in range(messages):
        marker = f"ping-{n:04d}"
        began = time.perf_counter()
        await client.send(marker)
        got = await asyncio.to_thread(wait_all, terms, marker.encode(), began)
        latencies.extend(got)
        for t in terms:
            t.settle(0.02)
        await asyncio.sleep(max(0.2, began + PACE - time.perf_counter()))
    await client.close()
    for spinner in spinners:
        spinner.kill()
        spinner.wait()
    per_message = [(t.cpu_seconds() - c) / messages * 1000
                   for t, c in zip(terms, cpu_before, strict=True)]
    lost = sum(1 for x in latencies if x == float("inf"))
    seen = [x for x in latencies if x != float("inf")]
    print(f"chat message → visible in {consoles} consoles ({len(latencies)} samples, {lost} "
          f"never seen, {busy} busy-looping processes beside them)")
    print(f"  p50 {pct(seen, 50):.0f} ms   p95 {pct(seen, 95):.0f} ms   p99 {pct(seen, 99):.0f} ms"
          f"   max {max(seen):.0f} ms")
    print(f"  CPU per message: hub's console {per_message[0]:.1f} ms, each other console "
          f"median {statistics.median(per_message[1:]):.1f} ms (10 ms ticks, over "
          f"{messages} messages)")
    for t in terms:
        t.settle(0.5)
    cpu0 = [t.cpu_seconds() for t in terms]
    t0 = time.perf_counter()
    time.sleep(idle)
    elapsed = time.perf_counter() - t0
    cpu = [(t.cpu_seconds() - c) / elapsed * 100 for t, c in zip(terms, cpu0, strict=True)]
    rss = [t.rss_mb() for t in terms]
    print(f"idle {idle:.0f} s: {sum(cpu):.2f} % of one core for {consoles} consoles + the hub "
          f"(the hub's console {cpu[0]:.2f} %, others median {statistics.median(cpu[1:]):.2f} %)")
    print(f"RSS: hub's console {rss[0]:.0f} MB, others median {statistics.median(rss[1:]):.0f} MB")
    for t in terms:
        t.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consoles", type=int, default=10)
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--idle", type=float, default=30.0,
                        help="seconds of idle CPU measurement (CPU time is counted in 10 ms "
                             "ticks: 10 s resolves only 0.1 %% per process)")
    parser.add_argument("--busy", type=int, default=0,
                        help="processes that busy-loop during the messages: a loaded machine")
    args = parser.parse_args()
    asyncio.run(run(args.consoles, args.messages, args.idle, args.busy))


if __name__ == "__main__":
    main()
