"""Evidence about who a customer is, normalised into keys that an index can look up.

Recognising a customer among tens of thousands must cost milliseconds, so nothing is compared at
lookup time that could be normalised once: each customer's names, phone numbers, address local
parts, order numbers and the openings of the shop's replies become `match_key` rows, found by
`(kind, key)`. What the customer or agent wrote is never changed; keys are for matching only.

Names are compared across scripts: `anyascii` turns "Анна Ковальская" into "Anna Koval'skaya",
then each word is folded so that spellings of one name meet:
- lower case, apostrophes dropped, other marks split words;
- Russian-style surname endings become the Polish/Czech ones they are written as in Latin letters:
  -skaya/-skaia → -ska, -tskaya/-ckaya → -cka, -skiy/-skii/-skij/-sky → -ski, -tskiy/-tsky → -cki
  (the feminine and masculine forms stay apart: Kowalska is not Kowalski);
- sch, sz and sh → s; zh → z; cz, ch and kh → h; ts → c; w → v; j and y → i; ci → c; ie → e;
  a doubled letter → one.
So "Анна Ковальская", "Anna Kowalska" and "anna kowalska" all become "ana kovalska",
"Войцеховская" and "Wojciechowska" both "voicehovska", "Вишневская" and "Wiśniewska" both
"visnevska".
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

KIND_NAME = "name"  # key: the starts of two words of a name; detail: the whole folded name
NAME_START = 4  # letters of a word's start in a name key (a typo later on still meets)
KIND_PHONE = "phone"  # key: E.164
KIND_LOCAL = "local"  # key: an email address's local part (before @, without +tag)
KIND_REF = "ref"  # key: an order or reference number; detail: its word; with conversation_id
KIND_SENT = "sent"  # key: hash of the opening of a reply the shop sent to this customer

_ENDINGS = (
    ("tskaya", "cka"), ("tskaia", "cka"), ("ckaya", "cka"), ("skaya", "ska"), ("skaia", "ska"),
    ("tskiy", "cki"), ("tskii", "cki"), ("tsky", "cki"),
    ("skiy", "ski"), ("skii", "ski"), ("skij", "ski"), ("sky", "ski"),
)
_LETTERS = (("sch", "s"), ("sz", "s"), ("sh", "s"), ("zh", "z"), ("cz", "ch"), ("kh", "h"),
            ("ch", "h"), ("ts", "c"), ("w", "v"), ("j", "i"), ("y", "i"), ("ci", "c"), ("ie", "e"))
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_DOUBLE = re.compile(r"(.)\1+")

# Mailboxes that many people share or that say nothing about who writes.
GENERIC_LOCAL_PARTS = frozenset({
    "admin", "billing", "biuro", "contact", "email", "hello", "help", "info", "kontakt", "mail",
    "noreply", "no-reply", "office", "orders", "post", "postmaster", "sales", "shop", "sklep",
    "support", "team", "webmaster", "zakaz", "service", "customer", "account", "accounts",
})
LOCAL_PART_MIN = 8  # a shorter local part counts only with a dot, dash, underscore or digit

# An order or reference number: a word that announces it, then letters and at least 4 digits.
_REF_WORDS = {
    "order": "order", "zamowienie": "order", "zamowienia": "order", "zamówienie": "order",
    "zamówienia": "order", "заказ": "order", "заказа": "order", "заказу": "order",
    "заказом": "order", "заказе": "order", "bestellung": "order", "commande": "order",
    "pedido": "order", "ordine": "order", "#": "order", "nr": "order", "no": "order",
    "№": "order", "invoice": "invoice", "faktura": "invoice", "faktury": "invoice",
    "счет": "invoice", "счёт": "invoice", "ref": "reference", "reference": "reference",
    "ticket": "reference", "tracking": "tracking",
}
_REF_NUMBER = re.compile(r"(?<![\w-])([A-Za-z]{0,4}-?\d[\d-]{2,18}\d)(?![\w-])")
# What stands before a number that makes it an order number: its word, then "no."/"nr"/"номер"
# and a colon or "#" as people write them ("order 4412", "Zamówienie nr 4412", "заказ №4412").
_REF_BEFORE = re.compile(
    r"(?:(?<![\w#№])(" + "|".join(sorted((re.escape(w) for w in _REF_WORDS if w not in "#№"),
                                        key=len, reverse=True)) + r")\b\.?|([#№]))"
    r"\s*(?:(?:no|nr|number|numer|номер|n°)\b\.?\s*)?[:#№]?\s*$",
    re.IGNORECASE,
)
REF_LOOKBEHIND = 32  # characters before a number searched for its word
# Fewer digits in a row: neither a phone nor an order number. Written as \d\d\d\d* rather than
# \d{3,} (the same runs): the engine tries it at every letter of a mail a third faster.
_DIGIT_RUN = re.compile(r"\d\d\d\d*")
WINDOW_BEFORE, WINDOW_AFTER = 40, 24  # text around digit runs that the patterns read
_PHONEISH = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d \-().]{5,18}\d(?!\w)")
QUOTE_PREFIX = 40  # normalised characters of a reply's opening that identify it
QUOTE_LINES = 12  # line starts of a quote tried as the opening of the shop's reply


@dataclass(frozen=True, slots=True)
class Key:
    kind: str
    key: str
    detail: str | None = None
    conversation_id: int | None = None


@lru_cache(maxsize=8192)
def fold_word(word: str) -> str:
    """One word of a name folded (module docstring); cached, as first names recur."""
    for ending, replacement in _ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 1:
            word = word[: -len(ending)] + replacement
            break
    for old, new in _LETTERS:
        word = word.replace(old, new)
    return _DOUBLE.sub(r"\1", word)


def name_words(name: str | None) -> list[str]:
    """The folded words of a name, in order ("Анна Ковальская" → ["ana", "kovalska"])."""
    if not name:
        return []
    if name.isascii():
        text = name.lower()
    else:
        from anyascii import anyascii

        text = anyascii(name).lower()
    text = text.replace("'", "").replace("`", "")
    return [fold_word(w) for w in _NOT_WORD.split(text) if w and not w.isdigit()]


def name_keys(name: str | None) -> list[Key]:
    """One key per pair of words (of two letters or more): their first letters, in alphabetical
    order, so "Kowalska Anna", "Анна Ковальская" and the typo "Anna Kowalksa" all have the key
    "ana kova". Each carries the whole folded name, which decides (core.recognition)."""
    words = list(dict.fromkeys(w for w in name_words(name) if len(w) >= 2))
    if len(words) < 2 or "@" in (name or ""):
        return []  # a first name alone, or an address used as a name, says nothing
    return [Key(KIND_NAME, key, " ".join(words)) for key in pair_keys(words)]


def pair_keys(words: list[str]) -> list[str]:
    starts = [w[:NAME_START] for w in words]
    keys = {" ".join(sorted((a, b))) for i, a in enumerate(starts) for b in starts[i + 1:]}
    return sorted(keys)


@lru_cache(maxsize=4096)
def phone_e164(text: str | None, region: str | None) -> str | None:
    """`text` as an E.164 number when it is a valid phone number, else None. Without a region
    only international numbers (+48…, 0048…) are understood."""
    import phonenumbers

    if not text:
        return None
    raw = text.strip()
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if not raw.startswith("+") and region is None:
        return None
    try:
        number = phonenumbers.parse(raw, None if raw.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def digit_windows(text: str | None) -> list[str]:
    """The parts of a text around its runs of 3+ digits, overlapping ones joined: the patterns
    below read only these, so a long mail costs one fast scan, not a pattern at every letter."""
    if not text:
        return []
    windows: list[list[int]] = []
    for run in _DIGIT_RUN.finditer(text):
        start, end = max(0, run.start() - WINDOW_BEFORE), run.end() + WINDOW_AFTER
        if windows and start <= windows[-1][1]:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    return [text[start:end] for start, end in windows]


def phones_in(text: str | None, region: str | None, windows: list[str] | None = None,
              known: Mapping[str, str] | None = None) -> list[Key]:
    """Phone numbers written anywhere in a message, in any common format (`windows`: its
    `digit_windows`, when the caller has them; `known`: numbers as the customer wrote them
    before → their E.164, so a signature repeated in every mail is not parsed again)."""
    found: dict[str, str] = {}
    for window in digit_windows(text) if windows is None else windows:
        _phones_into(found, window, region, known or {})
    return [Key(KIND_PHONE, e164, written) for e164, written in found.items()]


def _phones_into(found: dict[str, str], text: str, region: str | None,
                 known: Mapping[str, str]) -> None:
    for match in _PHONEISH.finditer(text):
        written = match.group(0).strip()
        if sum(ch.isdigit() for ch in written) < 7:
            continue
        e164 = known.get(written) or phone_e164(written, region)
        if e164 is not None:
            found.setdefault(e164, written)


def refs_in(text: str | None, conversation_id: int | None,
            windows: list[str] | None = None) -> list[Key]:
    """Order, invoice and reference numbers a message mentions ("order 4412", "#A-1093")."""
    found: dict[str, str] = {}
    for window in digit_windows(text) if windows is None else windows:
        for match in _REF_NUMBER.finditer(window):
            number = match.group(1).upper().replace("-", "")
            if sum(ch.isdigit() for ch in number) < 4:
                continue
            before = _REF_BEFORE.search(window, max(0, match.start() - REF_LOOKBEHIND),
                                        match.start())
            if before is not None:
                word = (before.group(1) or before.group(2) or "").lower()
                found.setdefault(number, _REF_WORDS.get(word, "reference"))
    return [Key(KIND_REF, number, word, conversation_id) for number, word in found.items()]


def local_part(address: str | None) -> str | None:
    """The part of an email address that names a person, when it could name only one."""
    if not address or "@" not in address:
        return None
    local = address.rsplit("@", 1)[0].strip().lower().split("+", 1)[0]
    if local in GENERIC_LOCAL_PARTS:
        return None
    telling = any(ch in ".-_" or ch.isdigit() for ch in local)
    if len(local) < LOCAL_PART_MIN and not (telling and len(local) >= 5):
        return None
    return local


def local_keys(address: str | None) -> list[Key]:
    local = local_part(address)
    return [Key(KIND_LOCAL, local, address)] if local else []


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def sent_key(text: str | None) -> Key | None:
    """The key of a reply the shop sent, when its opening is long enough to tell it apart."""
    letters = _letters(text or "")
    if len(letters) < QUOTE_PREFIX:
        return None
    return Key(KIND_SENT, _hash(letters[:QUOTE_PREFIX]))


def quote_keys(quoted: str | None) -> list[str]:
    """Keys a quote would have if the shop's reply started at one of its first lines (the
    attribution line "On Monday … wrote:" and blank lines come before it)."""
    if not quoted:
        return []
    lines = [line.lstrip("> \t") for line in quoted.splitlines()]
    lines = [line for line in lines if line.strip()]
    keys: list[str] = []
    for start in range(min(QUOTE_LINES, len(lines))):
        letters = _letters(" ".join(lines[start : start + 8]))
        if len(letters) >= QUOTE_PREFIX:
            keys.append(_hash(letters[:QUOTE_PREFIX]))
    return list(dict.fromkeys(keys))


_INSERT_KEY = ("INSERT INTO match_key (customer_id, kind, key, detail, conversation_id,"
               " created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")

# A stored key's identity, as the unique index ux_match_key sees it.
KeyId = tuple[str, str, int]


def key_id(key: Key) -> KeyId:
    return key.kind, key.key, key.conversation_id or 0


def add_keys(conn: sqlite3.Connection, customer_id: int, keys: Iterable[Key],
             now: float) -> list[Key]:
    """Store keys for a customer; returns those it did not have (the new evidence)."""
    added = []
    for key in keys:
        cur = conn.execute(_INSERT_KEY, (customer_id, key.kind, key.key, key.detail,
                                         key.conversation_id, now))
        if cur.rowcount:
            added.append(key)
    return added


def stored_keys(conn: sqlite3.Connection, customer_id: int) -> dict[KeyId, str | None]:
    """A customer's keys → their detail, read in one indexed query, so that what a message
    brings is compared in memory rather than by an insert per key."""
    return {(kind, key, conversation_id): detail for kind, key, conversation_id, detail in
            conn.execute("SELECT kind, key, coalesce(conversation_id, 0), detail FROM match_key"
                         " WHERE customer_id = ?", (customer_id,))}


def add_new_keys(conn: sqlite3.Connection, customer_id: int, keys: Iterable[Key],
                 stored: dict[KeyId, str | None], now: float) -> list[Key]:
    """`add_keys` for a caller holding the customer's `stored_keys` (kept up to date here):
    only keys not among them are written, in one statement; returns those."""
    fresh: dict[KeyId, Key] = {}
    for key in keys:
        ident = key_id(key)
        if ident not in stored and ident not in fresh:
            fresh[ident] = key
    if fresh:
        conn.executemany(_INSERT_KEY, [(customer_id, k.kind, k.key, k.detail, k.conversation_id,
                                        now) for k in fresh.values()])
        stored.update((ident, k.detail) for ident, k in fresh.items())
    return list(fresh.values())


BACKFILL_BATCH = 5000


def backfill(conn: Any, region: str | None = None, *, sent_days: float = 90.0) -> None:
    """Keys for the customers a database already holds (run once, by the migration): names,
    phones, address local parts, numbers mentioned in live conversations, and the openings of
    replies sent in the last `sent_days`. Written in batches (one round trip per batch on
    PostgreSQL, not one per key); a key already stored is skipped."""
    import time

    now = time.time()
    pending: list[tuple[Any, ...]] = []

    def keep(customer_id: int, keys: Iterable[Key]) -> None:
        pending.extend((customer_id, k.kind, k.key, k.detail, k.conversation_id, now)
                       for k in keys)
        if len(pending) >= BACKFILL_BATCH:
            conn.executemany(_INSERT_KEY, pending)
            pending.clear()

    rows = conn.execute("SELECT id, name, phone FROM customer").fetchall()
    for customer_id, name, phone in rows:
        keys = name_keys(name)
        e164 = phone_e164(phone, region)
        if e164:
            keys.append(Key(KIND_PHONE, e164, phone))
        keep(customer_id, keys)
    for customer_id, kind, address, display_name in conn.execute(
            "SELECT customer_id, kind, address, display_name FROM identity").fetchall():
        keys = name_keys(display_name)
        if kind == "email":
            keys += local_keys(address)
        keep(customer_id, keys)
    for customer_id, conversation_id, text, subject in conn.execute(
            "SELECT m.customer_id, m.conversation_id, m.text, m.subject FROM message m "
            "JOIN conversation c ON c.id = m.conversation_id WHERE m.kind = 'inbound' "
            "AND c.status IN ('open', 'pending', 'snoozed') AND c.merged_into IS NULL"
    ).fetchall():
        body = f"{subject or ''}\n{text or ''}"
        keep(customer_id, refs_in(body, conversation_id) + phones_in(text, region))
    for customer_id, text in conn.execute(
            "SELECT customer_id, text FROM message WHERE kind = 'outbound' AND created_at > ?",
            (now - sent_days * 86400,)).fetchall():
        key = sent_key(text)
        if key is not None:
            keep(customer_id, [key])
    if pending:
        conn.executemany(_INSERT_KEY, pending)
