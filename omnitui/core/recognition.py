"""Who a sender probably is: known customers that share evidence with them, and why.

Called by ingest for every new inbound message (`recognise_in`, inside its transaction). The
message's evidence becomes keys of its customer (core.match_keys); only evidence the customer did
not have before is looked up, so a customer writing again about the same thing costs one regex
pass. Candidates come from indexed key lookups, never a scan; each candidate is then compared
with the customer on everything both are known by, so a suggestion carries every reason at once
("same name, order 4412"), and a second mail that brings the order number adds it.

The rules (tests/core/test_recognition_rules.py holds a table of them, near misses included):
- name: both names have two words or more, every word of the shorter name meets its own word of
  the other (equal after folding, or of 5+ letters, the same first letter and a rapidfuzz ratio
  of 85 or more), and no pair differs only by a gendered ending (Kowalska/Kowalski,
  Petrova/Petrov). A first name alone, or another Anna with another surname, is no match.
- phone: the same number in E.164, however it was written.
- ref: the same order, invoice or reference number in live conversations of both.
- local: the same address local part at another domain (a generic or short one says nothing).
- reply: an email's In-Reply-To/References names a message the shop sent to the other customer.
- quote: an email quotes the opening of a reply the shop sent to the other customer.
A key that more than `SHARED_BY_MANY` customers have (the shop's own phone number in quoted
signatures, "order 2024") is nobody's in particular and suggests nothing; likewise a name that
many customers share ("Anna Nowak") suggests nothing by itself, though it adds to other reasons.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence

from omnitui.channels.base import Inbound
from omnitui.core.match_keys import (
    KIND_LOCAL,
    KIND_NAME,
    KIND_PHONE,
    KIND_REF,
    KIND_SENT,
    Key,
    KeyId,
    add_keys,
    add_new_keys,
    digit_windows,
    key_id,
    local_keys,
    name_keys,
    pair_keys,
    phone_e164,
    phones_in,
    quote_keys,
    refs_in,
    stored_keys,
)
from omnitui.core.recognition_options import RecognitionSettings
from omnitui.core.suggestions import Reason, save_suggestion
from omnitui.store.db import Tx

SHARED_BY_MANY = 3
NAME_ROWS = 500  # at most this many customers sharing a name key are compared
FUZZY_MIN = 85
LIVE_SQL = "('open', 'pending', 'snoozed')"


def names_match(a: str, b: str) -> bool:
    """Whether two folded names (match_keys.name_words, joined) name the same person."""
    words_a = [w for w in a.split() if len(w) >= 2]
    words_b = [w for w in b.split() if len(w) >= 2]
    if len(words_a) < 2 or len(words_b) < 2:
        return False
    short, long = sorted((words_a, words_b), key=len)
    used: set[int] = set()
    for word in short:
        for i, other in enumerate(long):
            if i not in used and _words_match(word, other):
                used.add(i)
                break
        else:
            return False
    return True


def _words_match(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) < 5 or len(b) < 5 or a[0] != b[0] or _gendered_pair(a, b):
        return False
    if not (a.isalpha() and b.isalpha()):
        return False  # "anna2", "kowalska1990": digits are not typos
    from rapidfuzz.fuzz import ratio

    return ratio(a, b) >= FUZZY_MIN


def _gendered_pair(a: str, b: str) -> bool:
    """Kowalska/Kowalski, Petrova/Petrov: a wife and a husband, not one person's spellings."""
    if a[:-1] == b[:-1] and {a[-1], b[-1]} == {"a", "i"}:
        return True
    return a == b + "a" or b == a + "a"


def evidence_of(item: Inbound, conversation_id: int, new_customer: bool,
                region: str | None, known_phones: dict[str, str] | None = None) -> list[Key]:
    """The keys one inbound message offers about its sender (`known_phones`: numbers as the
    sender wrote them before → E.164, not parsed again)."""
    known_phones = known_phones or {}
    keys: list[Key] = []
    if new_customer:
        keys += name_keys(item.display_name)
        if item.kind == "email":
            keys += local_keys(item.address)
    if item.link_phone:
        e164 = (known_phones.get(item.link_phone) or phone_e164(item.link_phone, region)
                or phone_e164("+" + item.link_phone.lstrip("+"), None))
        if e164:
            keys.append(Key(KIND_PHONE, e164, item.link_phone))
    windows = digit_windows(f"{item.subject or ''}\n{item.text or ''}")
    if windows:
        keys += phones_in(None, region, windows, known_phones)
        keys += refs_in(None, conversation_id, windows)
    return keys


def recognise_in(tx: Tx, settings: RecognitionSettings, *, customer_id: int, item: Inbound,
                 conversation_id: int, new_customer: bool,
                 stored: dict[KeyId, str | None] | None = None,
                 before_writing: Callable[[], None] | None = None) -> list[int]:
    """Keep the message's evidence and open or refresh suggestions for its customer; returns the
    ids of the suggestions touched. The customer's stored keys are read once and compared in
    memory, so a message repeating what is known writes nothing and parses no phone again
    (`new_customer`: created by this message, so it has none yet; `stored`: the keys as the
    caller already holds them, kept up to date here; `before_writing`: called before the
    first key is written or other customers' keys are read, for a caller holding rows back)."""
    if stored is None:
        stored = {} if new_customer else stored_keys(tx.conn, customer_id)
    known_phones = {str(detail): key for (kind, key, _), detail in stored.items()
                    if kind == KIND_PHONE and detail}
    evidence = evidence_of(item, conversation_id, new_customer, settings.phone_region,
                           known_phones)
    if before_writing is not None and any(key_id(k) not in stored for k in evidence):
        before_writing()
    added = add_new_keys(tx.conn, customer_id, evidence, stored, tx.now)
    return suggest_from(tx, customer_id, added, _message_reasons(tx.conn, customer_id, item))


def suggest_from(tx: Tx, customer_id: int, added: Sequence[Key],
                 extra: dict[int, list[Reason]] | None = None) -> list[int]:
    """Open or refresh suggestions from evidence just added to a customer (and reasons found in
    one message, `extra`); returns the ids of the suggestions touched."""
    extra = extra or {}
    if not added and not extra:
        return []
    conn = tx.conn
    candidates = set(extra) | candidates_for(conn, {customer_id}, added)
    if not candidates:
        return []
    family = _family(conn, customer_id)
    touched = []
    for candidate in sorted(_survivors(conn, candidates) - family):
        reasons = pair_reasons(conn, family, _family(conn, candidate)) + extra.get(candidate, [])
        suggestion_id = save_suggestion(tx, customer_id, candidate, reasons)
        if suggestion_id is not None:
            touched.append(suggestion_id)
    return touched


def candidates_for(conn: sqlite3.Connection, family: set[int],
                   evidence: Iterable[Key]) -> set[int]:
    """Customers outside `family` that some of `evidence` points at (names already verified)."""
    found: set[int] = set()
    for name in {k.detail for k in evidence if k.kind == KIND_NAME and k.detail}:
        found |= _same_name(conn, name, family)
    for key in evidence:
        if key.kind in (KIND_PHONE, KIND_LOCAL):
            rows = conn.execute("SELECT DISTINCT customer_id FROM match_key WHERE kind = ?"
                                " AND key = ? LIMIT ?", (key.kind, key.key, SHARED_BY_MANY + 2))
        elif key.kind == KIND_REF:
            rows = conn.execute(
                "SELECT DISTINCT c.customer_id FROM match_key k JOIN conversation c"
                " ON c.id = k.conversation_id WHERE k.kind = 'ref' AND k.key = ?"
                f" AND c.status IN {LIVE_SQL} AND c.merged_into IS NULL LIMIT ?",
                (key.key, SHARED_BY_MANY + 2))
        else:
            continue
        owners = {r[0] for r in rows}
        others = owners - family
        if len(_survivors(conn, owners)) <= SHARED_BY_MANY:
            found |= others
    return found


def _same_name(conn: sqlite3.Connection, name: str, family: set[int]) -> set[int]:
    """Customers outside `family` whose name matches `name` (folded); empty when more than
    `SHARED_BY_MANY` do (a common name is nobody's in particular). One indexed lookup per pair
    of words, so only names sharing the starts of two words are compared."""
    verdicts: dict[str, bool] = {}
    found: set[int] = set()
    for key in pair_keys([w for w in name.split() if len(w) >= 2]):
        for customer_id, detail in conn.execute(
                "SELECT customer_id, detail FROM match_key WHERE kind = 'name' AND key = ?"
                " LIMIT ?", (key, NAME_ROWS)):
            if customer_id in family or customer_id in found:
                continue
            verdict = verdicts.get(detail)
            if verdict is None:
                verdict = verdicts[detail] = names_match(name, detail)
            if verdict:
                found.add(customer_id)
                if len(found) > SHARED_BY_MANY and len(_survivors(conn, found)) > SHARED_BY_MANY:
                    return set()
    return found


def pair_reasons(conn: sqlite3.Connection, ours: set[int], theirs: set[int]) -> list[Reason]:
    """Every key-based reason the two customers (each with those merged into it) share."""
    mine, other = _keys_of(conn, ours), _keys_of(conn, theirs)
    reasons: list[Reason] = []
    their_names = other.get(KIND_NAME, {})
    if any(names_match(a, b) for a in mine.get(KIND_NAME, {}) for b in their_names):
        reasons.append(Reason("name", _name_of(conn, theirs), "same name"))
    for e164 in mine.get(KIND_PHONE, {}).keys() & other.get(KIND_PHONE, {}).keys():
        if _owners(conn, KIND_PHONE, e164) <= SHARED_BY_MANY:
            reasons.append(Reason("phone", e164, "same phone"))
    for number in mine.get(KIND_REF, {}).keys() & other.get(KIND_REF, {}).keys():
        if _owners(conn, KIND_REF, number) <= SHARED_BY_MANY:
            reasons.append(Reason("ref", number, f"{other[KIND_REF][number]} {number}"))
    for local in mine.get(KIND_LOCAL, {}).keys() & other.get(KIND_LOCAL, {}).keys():
        if (mine[KIND_LOCAL][local] != other[KIND_LOCAL][local]
                and _owners(conn, KIND_LOCAL, local) <= SHARED_BY_MANY):
            reasons.append(Reason("local", local, "same address at another domain"))
    return reasons


def _keys_of(conn: sqlite3.Connection, family: set[int]) -> dict[str, dict[str, str]]:
    """{kind: {key: detail}}; order numbers only from live conversations."""
    marks = ",".join("?" * len(family))
    keys: dict[str, dict[str, str]] = {}
    for kind, key, detail in conn.execute(
            f"SELECT k.kind, k.key, k.detail FROM match_key k WHERE k.customer_id IN ({marks})"
            f" AND k.kind != '{KIND_SENT}' AND (k.kind != 'ref' OR EXISTS"
            " (SELECT 1 FROM conversation c WHERE c.id = k.conversation_id AND"
            f" c.merged_into IS NULL AND c.status IN {LIVE_SQL}))", tuple(family)):
        keys.setdefault(kind, {})[key if kind != KIND_NAME else detail] = detail
    return keys


def _owners(conn: sqlite3.Connection, kind: str, key: str) -> int:
    owners = {r[0] for r in conn.execute(
        "SELECT DISTINCT customer_id FROM match_key WHERE kind = ? AND key = ? LIMIT 20",
        (kind, key))}
    return len(_survivors(conn, owners))


def _message_reasons(conn: sqlite3.Connection, customer_id: int,
                     item: Inbound) -> dict[int, list[Reason]]:
    """An email that answers or quotes the shop's mail to somebody else."""
    if item.kind != "email" or not (item.thread_refs or item.quoted_text):
        return {}
    found: dict[int, list[Reason]] = {}
    refs = [r for r in item.thread_refs if r][:50]
    if refs:
        for other, wire_id in conn.execute(
                "SELECT customer_id, wire_id FROM message WHERE wire_id IN"
                f" ({','.join('?' * len(refs))}) AND kind = 'outbound' AND customer_id != ?",
                (*refs, customer_id)):
            found.setdefault(other, [Reason("reply", wire_id, "answers our mail to them")])
    keys = quote_keys(item.quoted_text)
    if keys:
        owners = {r[0] for r in conn.execute(
            f"SELECT DISTINCT customer_id FROM match_key WHERE kind = '{KIND_SENT}' AND key IN"
            f" ({','.join('?' * len(keys))}) LIMIT ?", (*keys, SHARED_BY_MANY + 2))}
        if len(owners) <= SHARED_BY_MANY:
            for other in owners - {customer_id}:
                found.setdefault(other, []).append(
                    Reason("quote", "", "quotes our reply to them"))
    return {_survivor(conn, k): v for k, v in found.items()}


def index_sent_reply(tx: Tx, customer_id: int, text: str) -> None:
    """Remember the opening of a reply, so a customer quoting it from elsewhere is recognised."""
    from omnitui.core.match_keys import sent_key

    key = sent_key(text)
    if key is not None:
        add_keys(tx.conn, customer_id, [key], tx.now)


def _survivor(conn: sqlite3.Connection, customer_id: int) -> int:
    seen: set[int] = set()
    while customer_id not in seen:
        seen.add(customer_id)
        row = conn.execute("SELECT merged_into FROM customer WHERE id = ?",
                           (customer_id,)).fetchone()
        if row is None or row[0] is None:
            return customer_id
        customer_id = row[0]
    return customer_id


def _survivors(conn: sqlite3.Connection, ids: Iterable[int]) -> set[int]:
    """`_survivor` of each id; one query for all, the chain followed only for merged ones."""
    ids = set(ids)
    if not ids:
        return set()
    merged = {r[0] for r in conn.execute(
        f"SELECT id FROM customer WHERE id IN ({','.join('?' * len(ids))})"
        " AND merged_into IS NOT NULL", tuple(ids))}
    return (ids - merged) | {_survivor(conn, i) for i in merged}


def _family(conn: sqlite3.Connection, customer_id: int) -> set[int]:
    """The customer and everyone merged into it (their keys are its evidence too)."""
    return {r[0] for r in conn.execute(
        "WITH RECURSIVE fam(id) AS (SELECT id FROM customer WHERE id = ? UNION SELECT c.id"
        " FROM customer c JOIN fam"
        " ON c.merged_into = fam.id) SELECT id FROM fam", (customer_id,))}


def _name_of(conn: sqlite3.Connection, family: Sequence[int] | set[int]) -> str:
    head = min(family, key=lambda i: (_survivor(conn, i) != i, i))
    row = conn.execute("SELECT name FROM customer WHERE id = ?", (head,)).fetchone()
    return str(row[0]) if row else ""
