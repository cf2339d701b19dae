"""Customer recognition at 25,000 customers: lookup p95, ingest with suggestions on beside off,
and precision/recall on generated near-duplicates and distinct people.

The shop: 25,000 customers who wrote by Telegram, chat or email, with Polish, Russian (Cyrillic)
and English names (10% of surnames common ones, so distinct people share names as in life), a
third mentioning an order number in an open conversation, a third a phone number. Then:

1. Lookup: 400 new senders, half near-duplicates of a known customer (the name in the other
   script, lower case without diacritics, with a typo; the same phone in another format; the same
   order number; the same address local part at another domain), half distinct (new names,
   another Anna, the same surname with another first name, another order number, a first name
   alone). Each sender's message is stored with suggestions off, then `recognise_in` runs for it
   in its own transaction and is timed: the whole cost of finding suggestions for it, in
   wall-clock time (what an agent would wait) and in CPU time of the thread (the cost itself,
   apart from waiting for a core on a shared machine).
2. Precision and recall over those 400: a suggestion naming the customer a near-duplicate was
   made from is right; any other suggestion is wrong.
3. Ingest: two copies of the store take the same new messages, suggestions on in one and off
   in the other, both open at once and taking turns every batch of 50 mails and every 25 chat
   messages, alternating which goes first; medians of the rounds. Email is
   ingested as the channel does it: ~5 KB text+HTML mails through the real parser
   (`channels.email.inbound.to_inbound`) in batches of 50 (no IMAP); chat one message per
   transaction. Two mixes: a quarter of the messages from senders the shop has not seen (the
   rest known customers writing again), and every message from a new sender (the worst case).
   Ingest is timed in CPU seconds of this process (the machine is shared; waiting for a core
   is not ingest's cost); the lookup in wall-clock time, as an agent would wait for it.

    python bench/recognition.py [--customers 25000] [--rounds 5] [--seed 17] [--shares 0.25,1]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from omnitui.channels.base import Inbound
from omnitui.core.ingest import ingest, ingest_batch
from omnitui.core.recognition import recognise_in
from omnitui.core.recognition_options import RecognitionSettings
from omnitui.store.db import Store

ON = RecognitionSettings(suggestions=True, phone_region="PL")
OFF = RecognitionSettings(suggestions=False, phone_region="PL")

FIRST = [("Anna", "Анна"), ("Olga", "Ольга"), ("Marta", "Марта"), ("Irina", "Ирина"),
         ("Jan", "Ян"), ("Piotr", "Пётр"), ("Marek", "Марек"), ("Pawel", "Павел"),
         ("Tomasz", "Томаш"), ("Maria", "Мария"), ("Natalia", "Наталья"), ("Ewa", "Эва"),
         ("Adam", "Адам"), ("Igor", "Игорь"), ("Oleg", "Олег"), ("Daria", "Дарья"),
         ("Elena", "Елена"), ("Zofia", "Зофья"), ("Karol", "Кароль"), ("Roman", "Роман"),
         ("Wiktor", "Виктор"), ("Lena", "Лена"), ("Sergei", "Сергей"), ("Tatiana", "Татьяна")]
COMMON = [("Nowak", "Новак"), ("Kowalska", "Ковальская"), ("Kowalski", "Ковальский"),
          ("Wisniewska", "Вишневская"), ("Zielinska", "Зелинская"), ("Petrova", "Петрова"),
          ("Ivanov", "Иванов"), ("Smirnova", "Смирнова"), ("Lewandowski", "Левандовский")]
# Syllables with their Cyrillic spelling, for surnames that read the same in both scripts.
SYLLABLES = [("ko", "ко"), ("va", "ва"), ("le", "ле"), ("mi", "ми"), ("ra", "ра"), ("no", "но"),
             ("sa", "са"), ("bo", "бо"), ("da", "да"), ("ga", "га"), ("lu", "лу"), ("me", "ме"),
             ("ni", "ни"), ("pe", "пе"), ("ro", "ро"), ("ta", "та"), ("zu", "зу"), ("ve", "ве"),
             ("ka", "ка"), ("po", "по"), ("du", "ду"), ("ba", "ба"), ("li", "ли"), ("mo", "мо"),
             ("ne", "не"), ("ru", "ру"), ("to", "то"), ("za", "за"), ("gi", "ги"), ("fe", "фе")]
ENDINGS = [("nska", "нская"), ("nski", "нский"), ("rova", "рова"), ("rov", "ров"),
           ("tskaya", "цкая"), ("nik", "ник")]
DOMAINS = ["gmail.com", "wp.pl", "yandex.ru", "outlook.com", "onet.pl", "mail.ru"]


class Person:
    def __init__(self, rnd: random.Random, n: int) -> None:
        self.first = rnd.choice(FIRST)
        if rnd.random() < 0.10:
            self.last = rnd.choice(COMMON)
        else:
            parts = [rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 3))]
            end = rnd.choice(ENDINGS)
            latin = "".join(p[0] for p in parts) + end[0]
            self.last = (latin.capitalize(), ("".join(p[1] for p in parts) + end[1]).capitalize())
        self.cyrillic = rnd.random() < 0.4
        self.order = str(100000 + n) if rnd.random() < 0.33 else None
        self.phone = f"6{rnd.randrange(10**7, 10**8)}" if rnd.random() < 0.33 else None
        self.kind = rnd.choice(["telegram", "chat", "email"])
        self.local = f"{self.first[0].lower()}.{self.last[0].lower()}.{n}"
        self.n = n

    def name(self, cyrillic: bool | None = None) -> str:
        script = self.cyrillic if cyrillic is None else cyrillic
        return f"{self.first[script]} {self.last[script]}"

    def first_message(self) -> Inbound:
        text = "Hello, a question about your shop."
        if self.order:
            text += f" Where is my order {self.order}?"
        if self.phone:
            text += f" Call me: {self.phone[:3]} {self.phone[3:6]} {self.phone[6:]}"
        address = (f"{self.local}@{DOMAINS[self.n % len(DOMAINS)]}" if self.kind == "email"
                   else f"{self.kind}-{self.n}")
        return Inbound(channel={"telegram": "bot", "chat": "chat", "email": "mail"}[self.kind],
                       kind=self.kind, external_id=f"seed-{self.n}", address=address, text=text,
                       display_name=self.name())


def build(path: Path, people: list[Person]) -> None:
    store = Store.open(path)
    for start in range(0, len(people), 500):
        ingest_batch(store, [p.first_message() for p in people[start:start + 500]],
                     recognition=ON)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


def near_duplicate(rnd: random.Random, p: Person, i: int) -> tuple[Inbound, str]:
    """A message from a new address by a known person, and how it resembles them."""
    how = rnd.choice(["script", "plain", "typo", "phone", "order", "local"])
    if how == "phone" and not p.phone:
        how = "script"
    if how == "order" and not p.order:
        how = "plain"
    if how == "local" and p.kind != "email":
        how = "typo"
    name, text = p.name(not p.cyrillic), "Hello again."
    local = f"probe{i}.x"
    if how == "plain":
        name = p.name(False).lower().replace("ł", "l")
    elif how == "typo":
        latin = p.name(False)
        cut = len(latin) - 3
        name = latin[:cut] + latin[cut + 1] + latin[cut] + latin[cut + 2:]
    elif how == "phone":
        name, text = "", f"My number: +48 {p.phone[:3]}-{p.phone[3:6]}-{p.phone[6:]}"
    elif how == "order":
        name, text = p.first[0], f"About order {p.order}, please."
    elif how == "local":
        name, local = p.first[0], p.local
    return Inbound(channel="mail", kind="email", external_id=f"probe-{i}",
                   address=f"{local}@probe-{i % 7}.example", text=text,
                   display_name=name or None), how


def distinct(rnd: random.Random, people: list[Person], i: int) -> tuple[Inbound, str]:
    """A message from somebody new: nobody should be suggested."""
    other = rnd.choice(people)
    how = rnd.choice(["new", "another-first", "another-last", "order", "first-only"])
    stranger = Person(rnd, 10**6 + i)
    name, text = stranger.name(), "Hello, a question."
    if how == "another-first":  # same first name, another surname
        name = f"{other.first[0]} {stranger.last[0]}"
    elif how == "another-last":  # same surname, another first name
        firsts = [f for f in FIRST if f != other.first]
        name = f"{rnd.choice(firsts)[0]} {other.last[0]}"
    elif how == "order":
        text = f"Where is my order {900000 + i}?"
    elif how == "first-only":
        name = other.first[0]
    return Inbound(channel="mail", kind="email", external_id=f"probe-{i}",
                   address=f"stranger{i}.z@probe.example", text=text, display_name=name), how


def lookups(path: Path, people: list[Person], rnd: random.Random,
            probes: int) -> dict[str, object]:
    store = Store.open(path)
    ids = dict(store.conn.execute("SELECT external_id, customer_id FROM message "
                                  "WHERE external_id LIKE 'seed-%'"))
    times: list[float] = []
    cpu: list[float] = []
    tp = fp = fn = best_right = best_wrong = 0
    by_how: dict[str, list[int]] = {}
    for i in range(probes):
        if i % 2 == 0:
            target = rnd.choice(people)
            item, how = near_duplicate(rnd, target, i)
            expected: int | None = ids[f"seed-{target.n}"]
        else:
            item, how = distinct(rnd, people, i)
            expected = None
        res = ingest(store, item, recognition=OFF)
        with store.write("bench") as tx:
            started, cpu_started = time.perf_counter(), time.thread_time()
            touched = recognise_in(tx, ON, customer_id=res.customer_id, item=item,
                                   conversation_id=res.conversation_id, new_customer=True)
            times.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - cpu_started)
        found = [(r[0], r[1]) for r in store.conn.execute(
            "SELECT candidate_id, score FROM match_suggestion WHERE customer_id = ? AND "
            f"id IN ({','.join('?' * len(touched))})", (res.customer_id, *touched))]
        if expected is not None and expected not in {c for c, _ in found}:
            fn += 1
        tp += sum(1 for c, _ in found if c == expected)
        fp += sum(1 for c, _ in found if c != expected)
        if found:
            best = max(found, key=lambda f: f[1])[0]
            best_right += best == expected
            best_wrong += best != expected
        stats = by_how.setdefault(f"{'dup' if expected else 'new'}:{how}", [0, 0, 0])
        stats[0] += 1
        stats[1] += any(c == expected for c, _ in found)
        stats[2] += sum(1 for c, _ in found if c != expected)
    store.close()
    times.sort()
    cpu.sort()
    return {
        "p50_ms": statistics.median(times) * 1000,
        "p95_ms": times[int(len(times) * 0.95) - 1] * 1000,
        "max_ms": times[-1] * 1000,
        "cpu_p50_ms": statistics.median(cpu) * 1000,
        "cpu_p95_ms": cpu[int(len(cpu) * 0.95) - 1] * 1000,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "best_precision": best_right / (best_right + best_wrong) if best_right + best_wrong
        else 1.0,
        "by_how": by_how,
    }


FILLER = ("order delivery parcel refund size colour thanks please when where invoice courier "
          "hello payment address return exchange shoes jacket today tomorrow week").split()


def raw_mail(item: Inbound, rnd: random.Random) -> bytes:
    """The message as a mail client sends it: text and HTML, about 5 KB."""
    filler = " ".join(rnd.choice(FILLER) for _ in range(300))
    body = f"{item.text}\r\n\r\n{filler}"
    name = item.display_name or ""
    from email.header import Header

    head = (f"From: {Header(name, 'utf-8').encode()} <{item.address}>\r\n"
            f"To: support@shop.test\r\nSubject: Question\r\n"
            f"Message-ID: <{item.external_id}@customer.test>\r\n"
            "Date: Mon, 30 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/alternative; boundary="ALT"\r\n\r\n')
    return (head + f"--ALT\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
            f"--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>{body}</p>\r\n"
            "--ALT--\r\n").encode()


def stream(rnd: random.Random, people: list[Person], round_n: int, size: int,
           new_share: float) -> tuple[list[bytes], list[Inbound]]:
    """One round's new messages: (raw mails, chat messages); `new_share` of them from senders
    the shop has not seen, the others from known customers writing again."""
    mails: list[bytes] = []
    chats: list[Inbound] = []
    for i in range(size):
        tag = f"r{round_n}-{i}-{new_share}"
        returning = rnd.random() >= new_share
        kind = "chat" if i % 2 else "email"
        if returning:  # a known customer, on the channel they wrote on before
            p = rnd.choice([q for q in rnd.sample(people, 40) if q.kind == kind] or people[:1])
        else:
            p = Person(rnd, 2 * 10**6 + round_n * size + i)
            p.kind = kind
        first = p.first_message()
        text = ("Any news? " if returning else "") + first.text
        if kind == "chat":
            chats.append(Inbound(channel="chat", kind="chat", external_id=f"c-{tag}",
                                 address=first.address, text=text,
                                 display_name=first.display_name))
        else:
            mails.append(raw_mail(Inbound(channel="mail", kind="email", external_id=tag,
                                          address=first.address, text=text,
                                          display_name=first.display_name), rnd))
    return mails, chats


MAIL_BATCH, CHAT_STRETCH = 50, 25  # messages timed at a time, on and off taking turns


def ingest_costs(base: Path, people: list[Person], rnd: random.Random, rounds: int,
                 size: int, new_share: float) -> dict[str, list[float]]:
    """Per-message ingest time with suggestions on and off, per round. Both copies are open at
    once and take turns every mail batch (and every `CHAT_STRETCH` chat messages), which goes
    first alternating, so a change in the machine's load falls on both alike."""
    from omnitui.channels.email.inbound import to_inbound

    settings = {"on": ON, "off": OFF}
    stores = {}
    for label in settings:
        copy = base.with_name(f"{label}-{new_share}.db")
        shutil.copy(base, copy)
        stores[label] = Store.open(copy)
    costs: dict[str, list[float]] = {"mail-on": [], "mail-off": [], "chat-on": [],
                                     "chat-off": []}
    for n in range(rounds):
        mails, chats = stream(rnd, people, n, size, new_share)
        spent = dict.fromkeys(costs, 0.0)
        for turn, start in enumerate(range(0, len(mails), MAIL_BATCH)):
            for label in ("on", "off") if turn % 2 == 0 else ("off", "on"):
                started = time.process_time()
                batch = [to_inbound(raw, "mail", "support@shop.test")
                         for raw in mails[start:start + MAIL_BATCH]]
                ingest_batch(stores[label], batch, recognition=settings[label])
                spent[f"mail-{label}"] += time.process_time() - started
        for turn, start in enumerate(range(0, len(chats), CHAT_STRETCH)):
            for label in ("on", "off") if turn % 2 == 0 else ("off", "on"):
                started = time.process_time()
                for item in chats[start:start + CHAT_STRETCH]:
                    ingest(stores[label], item, recognition=settings[label])
                spent[f"chat-{label}"] += time.process_time() - started
        for label in settings:
            costs[f"mail-{label}"].append(spent[f"mail-{label}"] / len(mails))
            costs[f"chat-{label}"].append(spent[f"chat-{label}"] / len(chats))
    for store in stores.values():
        store.close()
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=25000)
    parser.add_argument("--probes", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--round-size", type=int, default=400)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--shares", default="0.25,1",
                        help="shares of messages from new senders in the ingest runs (0: only "
                             "known customers writing again)")
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    people = [Person(rnd, n) for n in range(args.customers)]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.db"
        started = time.perf_counter()
        build(base, people)
        print(f"built {args.customers} customers in {time.perf_counter() - started:.0f} s")
        costs = {share: ingest_costs(base, people, rnd, args.rounds, args.round_size, share)
                 for share in (float(x) for x in args.shares.split(","))}
        found = lookups(base, people, rnd, args.probes)
    print(f"lookup for a new sender ({args.probes} senders): p50 {found['p50_ms']:.2f} ms, "
          f"p95 {found['p95_ms']:.2f} ms, max {found['max_ms']:.2f} ms wall clock; CPU p50 "
          f"{found['cpu_p50_ms']:.2f} ms, p95 {found['cpu_p95_ms']:.2f} ms; load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"precision {found['precision']:.3f} (best suggestion per sender "
          f"{found['best_precision']:.3f}), recall {found['recall']:.3f}")
    for how, (count, right, wrong) in sorted(found["by_how"].items()):  # type: ignore[attr-defined]
        print(f"  {how:<20} {count:>4} senders  found {right:>4}  wrong suggestions {wrong:>4}")
    for share, measured in costs.items():
        print(f"ingest, {share:.0%} of messages from new senders:")
        for kind in ("mail", "chat"):
            on = statistics.median(measured[f"{kind}-on"]) * 1000
            off = statistics.median(measured[f"{kind}-off"]) * 1000
            print(f"  {kind} per message, median of {args.rounds} rounds: suggestions on "
                  f"{on:.3f} ms, off {off:.3f} ms, on/off {on / off:.3f}")
            print(f"    rounds on  {[round(x * 1000, 3) for x in measured[f'{kind}-on']]}")
            print(f"    rounds off {[round(x * 1000, 3) for x in measured[f'{kind}-off']]}")


if __name__ == "__main__":
    main()
