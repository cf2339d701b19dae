"""Email ingest: backfill throughput from a real Dovecot and IDLE push latency, beside a floor.

Backfill: N messages (90% ~5 KB text+HTML, 10% with a 50 KB–2 MB attachment, log-uniform) are
written into a Dovecot maildir (seeding is not measured), then `EmailChannel.sync` pulls them over
IMAP into a fresh store through the hub's own context (parse, flag, route, attachments to disk,
cursor per batch). The floor, in the same run, reads the same files from disk, parses them with the
stdlib (`email.message_from_bytes` + `get_body`) and inserts one row each with raw sqlite3 — no
IMAP, no routing. Each phase runs in its own process so peak RSS is its own.

Push: a hub runs in another process with IDLE; this process APPENDs one message at a time and
waits until the `message_in` event for it is visible in the store from here. p50/p95 over 100.

    python bench/email_ingest.py [--messages 20000] [--batch 200] [--push 100] [--work DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import logging
import math
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "email"))

from mailservers import Dovecot

WORDS = "order delivery parcel refund size colour thanks please when where invoice courier".split()


def make_message(i: int, rnd: random.Random) -> bytes:
    """~5 KB multipart/alternative, or the same with one attachment of 50 KB–2 MB."""
    text = " ".join(rnd.choice(WORDS) for _ in range(330))  # ~2.3 KB
    html = "<html><body><p>" + text.replace(" order ", " <b>order</b> ") + "</p></body></html>"
    head = (
        f"From: Customer {i % 3000} <c{i % 3000}@customer.test>\r\nTo: support@shop.test\r\n"
        f"Subject: Question {i}\r\nMessage-ID: <bench{i}@customer.test>\r\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
    )
    alt = (
        'Content-Type: multipart/alternative; boundary="ALT"\r\n\r\n'
        f"--ALT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        f"--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--ALT--\r\n"
    )
    if i % 10 != 9:
        return (head + alt).encode()
    size = int(math.exp(rnd.uniform(math.log(50_000), math.log(2_000_000))))
    blob = rnd.randbytes(size)
    import base64

    b64 = base64.encodebytes(blob).decode().replace("\n", "\r\n")
    return (
        head + 'Content-Type: multipart/mixed; boundary="MIX"\r\n\r\n--MIX\r\n' + alt
        + '--MIX\r\nContent-Type: application/pdf; name="f.pdf"\r\n'
        'Content-Disposition: attachment; filename="f.pdf"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--MIX--\r\n"
    ).encode()


def seed_maildir(server: Dovecot, user: str, n: int) -> tuple[Path, int]:
    """Write the messages as maildir files in cur/ (Dovecot assigns UIDs on first SELECT)."""
    root = server.maildir(user)
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    rnd = random.Random(7)
    total = 0
    for i in range(n):
        raw = make_message(i, rnd)
        total += len(raw)
        (root / "cur" / f"{1700000000 + i}.M{i}P1.bench,S={len(raw)}:2,").write_bytes(raw)
    if os.geteuid() == 0:
        for path in [root, *root.rglob("*")]:
            shutil.chown(path, server.mail_user, server.mail_user)
    return root / "cur", total


def phase_omnitui(port: int, user: str, password: str, data_dir: Path, batch: int,
                  extra: dict | None = None) -> dict:
    """`extra`: more config tables (e.g. `recognition`), for benches that compare settings."""
    from omnitui.channels.email import EmailChannel
    from omnitui.config import parse_settings
    from omnitui.hub_context import Database, HubContext
    from omnitui.store.db import Store

    os.environ["BENCH_PW"] = password
    table = {
        "kind": "email", "address": "support@shop.test", "imap_host": "127.0.0.1",
        "imap_port": port, "imap_security": "none", "smtp_host": "127.0.0.1", "smtp_port": 9,
        "smtp_security": "none", "username": user, "password_env": "BENCH_PW",
        "batch_size": batch, "timeout": 120.0,
    }
    settings = parse_settings(
        {"omnitui": {"data_dir": str(data_dir)}, "channels": {"mail": table}, **(extra or {})},
        None,
    )
    data_dir.mkdir(parents=True, exist_ok=True)

    waits: list[tuple[int, float]] = []  # (messages, seconds the commit loop waited on ingest)

    class TimedContext(HubContext):
        async def ingest(self, batch, cursor=None):  # type: ignore[no-untyped-def]
            began = time.perf_counter()
            try:
                return await super().ingest(batch, cursor)
            finally:
                waits.append((len(batch), time.perf_counter() - began))

    usage: list[resource.struct_rusage] = []  # around the sync only: not opening the store

    async def main() -> tuple[float, int]:
        db = Database(Store.open(settings.db_path))
        ctx = TimedContext(settings, db, "mail", "email", logging.getLogger("bench"))
        usage.append(resource.getrusage(resource.RUSAGE_SELF))
        began = time.perf_counter()
        count = await EmailChannel("mail", settings.channels["mail"]).sync(ctx)  # type: ignore[arg-type]
        elapsed = time.perf_counter() - began
        usage.append(resource.getrusage(resource.RUSAGE_SELF))
        db.close()
        return elapsed, count

    elapsed, count = asyncio.run(main())
    cpu0, cpu1 = usage
    per_2k: list[float] = []  # ingest wait per 2,000 messages, to see whether it grows
    done, acc = 0, 0.0
    for n, wait in waits:
        done, acc = done + n, acc + wait
        if done >= 2000 * (len(per_2k) + 1):
            per_2k.append(round(acc, 1))
            acc = 0.0
    return {"elapsed": elapsed, "count": count, "maxrss_mb": _maxrss_mb(),
            "ingest_wait": round(sum(w for _, w in waits), 1), "ingest_wait_per_2k": per_2k,
            "cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 2)}


def phase_floor(cur: Path, db_path: Path) -> dict:
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, ext TEXT UNIQUE, sender TEXT, "
                 "subject TEXT, text TEXT, raw BLOB)")
    began = time.perf_counter()
    files = sorted(cur.iterdir())
    rows = []
    for path in files:
        raw = path.read_bytes()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain", "html"))
        text = body.get_content() if body is not None else ""
        rows.append((str(msg["Message-ID"]), str(msg["From"]), str(msg["Subject"]), text, raw))
        if len(rows) >= 200:
            with conn:
                conn.executemany("INSERT INTO m (ext, sender, subject, text, raw) "
                                 "VALUES (?, ?, ?, ?, ?)", rows)
            rows.clear()
    with conn:
        conn.executemany("INSERT INTO m (ext, sender, subject, text, raw) VALUES (?, ?, ?, ?, ?)",
                         rows)
    elapsed = time.perf_counter() - began
    count = conn.execute("SELECT count(*) FROM m").fetchone()[0]
    conn.close()
    return {"elapsed": elapsed, "count": count, "maxrss_mb": _maxrss_mb()}


HUB = """
import asyncio, sys
from pathlib import Path
from omnitui.config import load_settings
from omnitui.hub import serve
asyncio.run(serve(load_settings(Path(sys.argv[1]))))
"""


def push_latency(server: Dovecot, user: str, work: Path, n: int) -> list[float]:
    data = work / "push-data"
    conf = work / "push.toml"
    conf.write_text(
        f'[omnitui]\ndata_dir = "{data}"\n\n[channels.mail]\nkind = "email"\n'
        f'address = "support@shop.test"\nimap_host = "127.0.0.1"\nimap_port = {server.port}\n'
        'imap_security = "none"\nsmtp_host = "127.0.0.1"\nsmtp_port = 9\n'
        f'smtp_security = "none"\nusername = "{user}"\npassword_env = "BENCH_PW"\n'
        "poll_interval = 600\n"
    )
    env = {**os.environ, "BENCH_PW": server.users[user]}
    hub = subprocess.Popen([sys.executable, "-c", HUB, str(conf)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    latencies: list[float] = []
    try:
        db = data / "omnitui.db"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the hub is up and IDLE once the channel says so
            if db.exists():
                try:
                    conn = sqlite3.connect(db)
                    state = conn.execute("SELECT state FROM channel_state WHERE channel='mail'"
                                         ).fetchone()
                    conn.close()
                    if state and state[0] == "up":
                        break
                except sqlite3.Error:
                    pass
            time.sleep(0.1)
        time.sleep(1.0)
        conn = sqlite3.connect(db)
        imap = server.imap(user)
        rnd = random.Random(1)
        for i in range(n):
            raw = make_message(100_000 + i * 10, rnd)
            msgid = f"<bench{100_000 + i * 10}@customer.test>"
            began = time.perf_counter()
            imap.append("INBOX", None, None, raw)
            while True:
                row = conn.execute("SELECT 1 FROM event e JOIN message m ON m.id = e.message_id "
                                   "WHERE e.kind = 'message_in' AND m.wire_id = ?",
                                   (msgid,)).fetchone()
                if row:
                    break
                if time.perf_counter() - began > 30:
                    raise RuntimeError(f"message {i} never arrived")
                time.sleep(0.002)
            latencies.append(time.perf_counter() - began)
        imap.logout()
        conn.close()
    finally:
        hub.terminate()
        hub.wait(10)
    return latencies


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--push", type=int, default=100)
    ap.add_argument("--work", help="where the maildir and stores go (default: the temp dir)")
    ap.add_argument("--phase", choices=["omnitui", "floor"])
    ap.add_argument("--port", type=int)
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--path")
    args = ap.parse_args()
    if args.phase == "omnitui":
        print(json.dumps(phase_omnitui(args.port, args.user, args.password, Path(args.path),
                                       args.batch)))
        return
    if args.phase == "floor":
        cur, db = args.path.split("::")
        print(json.dumps(phase_floor(Path(cur), Path(db))))
        return

    work = Path(tempfile.mkdtemp(prefix="omnitui-bench-email-", dir=args.work))
    server = Dovecot()
    server.start()
    try:
        t0 = time.perf_counter()
        cur, size = seed_maildir(server, "user1", args.messages)
        os.sync()  # seeding is not measured: its dirty pages must not be flushed by either phase
        print(f"seeded {args.messages} messages ({size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - t0:.1f} s")
        floor = _child(["--phase", "floor", "--path", f"{cur}::{work / 'floor.db'}"])
        ours = _child(["--phase", "omnitui", "--port", str(server.port), "--user", "user1",
                       "--password", server.users["user1"], "--path", str(work / "data"),
                       "--batch", str(args.batch)])
        assert ours["count"] == floor["count"] == args.messages, (ours, floor)
        for name, r in (("floor (stdlib parse + sqlite insert, from disk)", floor),
                        ("omnitui (IMAP → parse → route → store)", ours)):
            print(f"{name}: {r['count'] / r['elapsed']:.0f} msg/s, {r['elapsed']:.1f} s, "
                  f"{size / 1e6 / r['elapsed']:.0f} MB/s, peak RSS {r['maxrss_mb']:.0f} MB")
        print(f"omnitui: CPU {ours['cpu_s']} s in {ours['elapsed']:.1f} s; commit loop waited "
              f"{ours['ingest_wait']} s on ingest; per 2,000: {ours['ingest_wait_per_2k']}")
        if args.push:
            lat = sorted(push_latency(server, "user2", work, args.push))
            p50 = statistics.median(lat)
            p95 = lat[max(0, math.ceil(0.95 * len(lat)) - 1)]
            print(f"push latency over {len(lat)}: p50 {p50 * 1000:.0f} ms, "
                  f"p95 {p95 * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms")
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
