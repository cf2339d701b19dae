"""Customer recognition end to end: email and chat ingest through the real channels, with
`[recognition] suggestions` on beside off, at 25,000 customers.

The shop is bench/recognition.py's (same generator, same seed): 25,000 customers with Polish,
Russian and English names, phones, addresses and order numbers. The new messages are that
bench's stream: a quarter (`--share`) from senders the shop has not seen, whose name, phone or
order number may be a known customer's, the rest from known customers writing again on the
channel they used before. Then, each round, on and off taking turns (which goes first
alternating), each on its own fresh copy of the seeded store:

- email: the same mails, put once into a real Dovecot's maildir, are pulled over IMAP by
  `EmailChannel.sync` through the hub's own context (bench/email_ingest.py's `phase_omnitui`),
  each sync in its own process: msg/s of the whole sync and that process's CPU per mail;
- chat: a real hub (`omnitui serve`) on the copy; each chat sender connects to its Unix socket,
  says hello with its name, sends its message and waits for the ack (stored and committed);
  eight senders at a time. Measured: msg/s from the first connect to the last ack, and the
  hub process's CPU per message (from /proc, so the senders' own CPU is not counted).

Both start warm: what recognition and the mail parser load on first use (phonenumbers'
metadata and the rest, a few tenths of a second once) is loaded before the clock starts, on and
off alike, as in a hub that has run a while.

The suggestions each "on" run made are counted and compared with what `core.ingest` makes of
the same messages on another copy, so the "on" figures are of real work; "off" must make none.
With `--core-rounds N`, bench/recognition.py's core-level comparison (no IMAP, no sockets) runs
in the same process afterwards, for both levels side by side.

    python bench/recognition_ingest.py [--customers 25000] [--messages 1000] [--rounds 5]
                                       [--share 0.25] [--core-rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from chat_latency import wait_for_socket
from email_ingest import phase_omnitui
from recognition import ON, Person, build, ingest_costs, raw_mail, stream

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "email"))

from mailservers import Dovecot

from omnitui.channels.base import Inbound
from omnitui.channels.chat.client import ChatClient
from omnitui.core.ingest import ingest, ingest_batch
from omnitui.store.db import Store

MAIL_BATCH = 200  # the email bench's IMAP batch
CHAT_SENDERS_AT_ONCE = 8
TICKS = os.sysconf("SC_CLK_TCK")


def suggestions(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM match_suggestion").fetchone()[0]
    finally:
        conn.close()


def recognition_table(on: bool) -> dict[str, object]:
    return {"suggestions": on, "phone_region": "PL"}


# --- what core.ingest makes of the same messages: the count each "on" run must reach ----------


def expected_suggestions(base: Path, work: Path, mails: list[bytes],
                         chats: list[Inbound]) -> tuple[int, int]:
    from omnitui.channels.email.inbound import to_inbound

    counts = []
    for label, feed in (("mail", mails), ("chat", chats)):
        copy = work / f"expected-{label}.db"
        shutil.copy(base, copy)
        store = Store.open(copy)
        if label == "mail":
            for start in range(0, len(feed), MAIL_BATCH):
                ingest_batch(store, [to_inbound(raw, "mail", "support@shop.test")
                                     for raw in feed[start:start + MAIL_BATCH]], recognition=ON)
        else:
            for item in feed:
                ingest(store, item, recognition=ON)
        store.close()
        counts.append(suggestions(copy) - suggestions(base))
        copy.unlink()
    return counts[0], counts[1]


# --- email: a real Dovecot, EmailChannel.sync -------------------------------------------------


def warm_up_imports() -> None:
    """Load what recognition (phonenumbers' metadata, anyascii, rapidfuzz) and the mail parser
    load on first use, on and off alike: a hub that has run for a while has, and a few tenths of
    a second once would otherwise count as tenths of a millisecond a mail in a run of 1,000."""
    import phonenumbers
    from anyascii import anyascii
    from rapidfuzz.fuzz import ratio

    import omnitui.core.recognition  # noqa: F401
    from omnitui.channels.email.inbound import to_inbound

    phonenumbers.is_valid_number(phonenumbers.parse("600 100 200", "PL"))
    ratio(anyascii("Анна Ковальская"), "Anna Kowalska")
    to_inbound(raw_mail(warm_up_chats()[0], random.Random(3)), "mail", "support@shop.test")


def put_in_maildir(server: Dovecot, user: str, mails: list[bytes]) -> None:
    root = server.maildir(user)
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i, raw in enumerate(mails):
        (root / "cur" / f"{1700000000 + i}.M{i}P1.bench,S={len(raw)}:2,").write_bytes(raw)
    if os.geteuid() == 0:
        for path in [root, *root.rglob("*")]:
            shutil.chown(path, server.mail_user, server.mail_user)
    os.sync()


def email_round(server: Dovecot, base: Path, work: Path, on: bool) -> dict[str, float]:
    data = work / f"mail-{'on' if on else 'off'}"
    data.mkdir()
    shutil.copy(base, data / "omnitui.db")
    user = "user1"
    job = {"port": server.port, "user": user, "password": server.users[user],
           "data": str(data), "on": on}
    out = subprocess.run([sys.executable, __file__, "--email-phase", json.dumps(job)],
                         capture_output=True, text=True, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    made = suggestions(data / "omnitui.db") - suggestions(base)
    shutil.rmtree(data)
    return {"msg_s": got["count"] / got["elapsed"], "cpu_ms": got["cpu_s"] * 1000 / got["count"],
            "count": got["count"], "suggestions": made}


# --- chat: a real hub, its Unix socket ----------------------------------------------------------


def hub_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def warm_up_chats() -> list[Inbound]:
    """Three new senders with a name, an order number and a phone, before the clock starts,
    so that what recognition loads on first use is loaded (on and off alike)."""
    rnd = random.Random(3)
    chats = []
    for n in range(3):
        first = Person(rnd, 3 * 10**6 + n).first_message()
        chats.append(Inbound(channel="chat", kind="chat", external_id=f"warm-{n}",
                             address=f"warm-{n}", display_name=first.display_name,
                             text=f"{first.text} Order 4412, phone 600 100 200."))
    return chats


async def send_all(socket: Path, chats: list[Inbound]) -> int:
    queue = list(reversed(chats))
    acked = 0

    async def sender() -> None:
        nonlocal acked
        while queue:
            item = queue.pop()
            client = await ChatClient.connect(socket, timeout=60)
            try:
                await client.hello(item.address, name=item.display_name, timeout=60)
                await client.send(item.text, item.external_id, timeout=60)
                acked += 1
            finally:
                await client.close()

    await asyncio.gather(*(sender() for _ in range(CHAT_SENDERS_AT_ONCE)))
    return acked


def chat_round(base: Path, work: Path, chats: list[Inbound], on: bool) -> dict[str, float]:
    root = work / f"chat-{'on' if on else 'off'}"
    root.mkdir()
    shutil.copy(base, root / "omnitui.db")
    config = root / "config.toml"
    config.write_text(f'[omnitui]\ndata_dir = "{root}"\ntimezone = "UTC"\n\n'
                      '[channels.chat]\nkind = "chat"\nrate_limit = 1000\n\n'
                      f'[recognition]\nsuggestions = {"true" if on else "false"}\n'
                      'phone_region = "PL"\n')
    log = (root / "hub.stderr").open("wb")
    hub = subprocess.Popen([sys.executable, "-m", "omnitui", "--config", str(config), "serve"],
                           stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_for_socket(root / "chat.sock", hub, timeout=120)
        asyncio.run(send_all(root / "chat.sock", warm_up_chats()))
        time.sleep(2.0)  # the hub's start-up work and first use of recognition are not ingest
        before = suggestions(root / "omnitui.db")
        cpu0, began = hub_cpu_seconds(hub.pid), time.perf_counter()
        acked = asyncio.run(send_all(root / "chat.sock", chats))
        elapsed, cpu = time.perf_counter() - began, hub_cpu_seconds(hub.pid) - cpu0
    finally:
        hub.terminate()
        hub.wait(30)
        log.close()
    made = suggestions(root / "omnitui.db") - before
    shutil.rmtree(root)
    return {"msg_s": acked / elapsed, "cpu_ms": cpu * 1000 / acked, "count": acked,
            "suggestions": made}


# --- the run -------------------------------------------------------------------------------------


def alternate(rounds: int, run: object) -> dict[str, list[dict[str, float]]]:
    """`run(on)` for on and off each round, which goes first alternating."""
    results: dict[str, list[dict[str, float]]] = {"on": [], "off": []}
    for n in range(rounds):
        for on in (True, False) if n % 2 == 0 else (False, True):
            results["on" if on else "off"].append(run(on))  # type: ignore[operator]
    return results


def summary(name: str, results: dict[str, list[dict[str, float]]], expected: int) -> None:
    med = {label: {key: statistics.median(r[key] for r in rs) for key in ("msg_s", "cpu_ms")}
           for label, rs in results.items()}
    made = {label: sorted({int(r["suggestions"]) for r in rs}) for label, rs in results.items()}
    counts = sorted({int(r["count"]) for rs in results.values() for r in rs})
    print(f"{name}: {counts} messages a run, {len(results['on'])} rounds each")
    print(f"  msg/s   on {med['on']['msg_s']:.0f}, off {med['off']['msg_s']:.0f}, "
          f"time per message on/off {med['off']['msg_s'] / med['on']['msg_s']:.3f}")
    print(f"  CPU/msg on {med['on']['cpu_ms']:.3f} ms, off {med['off']['cpu_ms']:.3f} ms, "
          f"on/off {med['on']['cpu_ms'] / med['off']['cpu_ms']:.3f}")
    paired = [on["cpu_ms"] / off["cpu_ms"] for on, off in zip(results["on"], results["off"],
                                                               strict=True)]
    print(f"  CPU/msg on/off of each round's pair (run back to back): median "
          f"{statistics.median(paired):.3f}, {[round(x, 3) for x in paired]}")
    for label in ("on", "off"):
        print(f"    {label:<3} msg/s  {[round(r['msg_s']) for r in results[label]]}")
        print(f"    {label:<3} CPU ms {[round(r['cpu_ms'], 3) for r in results[label]]}")
    print(f"  suggestions made: on {made['on']}, off {made['off']}; core.ingest makes {expected}"
          f" of the same messages")
    if made["off"] != [0] or made["on"] != [expected]:
        print("  WARNING: the suggestions made differ from core.ingest's", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=25000)
    parser.add_argument("--messages", type=int, default=1000, help="mails, and as many chats")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--share", type=float, default=0.25,
                        help="share of messages from senders the shop has not seen")
    parser.add_argument("--core-rounds", type=int, default=0,
                        help="also run bench/recognition.py's core-level comparison")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--skip", choices=["email", "chat"], help="leave one channel out")
    parser.add_argument("--email-phase", help=argparse.SUPPRESS)  # one sync, in a child
    args = parser.parse_args()
    if args.email_phase:
        job = json.loads(args.email_phase)
        warm_up_imports()
        print(json.dumps(phase_omnitui(job["port"], job["user"], job["password"],
                                       Path(job["data"]), MAIL_BATCH,
                                       extra={"recognition": recognition_table(job["on"])})))
        return
    rnd = random.Random(args.seed)
    people = [Person(rnd, n) for n in range(args.customers)]
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="omnitui-bench-recognition-") as tmp:
        work = Path(tmp)
        base = work / "base.db"
        started = time.perf_counter()
        build(base, people)
        print(f"built {args.customers} customers in {time.perf_counter() - started:.0f} s")
        mails, chats = stream(rnd, people, 0, 2 * args.messages, args.share)
        want_mail, want_chat = expected_suggestions(base, work, mails, chats)
        if args.skip != "email":
            server = Dovecot()
            server.start()
            try:
                put_in_maildir(server, "user1", mails)
                email = alternate(args.rounds, lambda on: email_round(server, base, work, on))
            finally:
                server.close()
            loads.append(os.getloadavg()[0])
            summary("email, IMAP from Dovecot -> EmailChannel.sync (CPU: the syncing process)",
                    email, want_mail)
        if args.skip != "chat":
            chat = alternate(args.rounds, lambda on: chat_round(base, work, chats, on))
            loads.append(os.getloadavg()[0])
            summary("chat, Unix socket -> hub (CPU: the hub process)", chat, want_chat)
        if args.core_rounds:
            costs = ingest_costs(base, people, rnd, args.core_rounds, 400, args.share)
            loads.append(os.getloadavg()[0])
            print(f"core.ingest, {args.core_rounds} rounds of 400 (bench/recognition.py):")
            for kind in ("mail", "chat"):
                on = statistics.median(costs[f"{kind}-on"]) * 1000
                off = statistics.median(costs[f"{kind}-off"]) * 1000
                print(f"  {kind} CPU/msg on {on:.3f} ms, off {off:.3f} ms, on/off {on / off:.3f}")
    print(f"load average (1 min) at start and after each part: {[round(x, 1) for x in loads]}")


if __name__ == "__main__":
    main()
