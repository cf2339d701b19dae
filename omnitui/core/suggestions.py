"""Suggestions that two customers are one person: stored, listed, dismissed, marked merged.

A suggestion never merges anything; an agent does (`omnitui customer merge`). Each row names the
customer whose message led to it (`customer_id`, the new one), the known customer it probably is
(`candidate_id`), the reasons (structured, and worded as hints: a name or an address can be typed
by anybody) and a score. One row per pair, whichever side was new.

Remembering a decision: a dismissed pair is not suggested again unless a reason of a kind it did
not have when dismissed turns up (say it was dismissed on the name alone, and then the same phone
number appears); more of the same kind (another order number) stays quiet. A merge marks the pair
merged, and an unmerge leaves it so: after an agent split them, the same rule as for a dismissal
applies. Every change writes a `suggestion` event so consoles refresh.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from omnitui.core.agents import AgentRow
from omnitui.core.errors import ActionError, NotFound
from omnitui.core.permissions import agent_write
from omnitui.store.db import Store, Tx

OPEN, DISMISSED, MERGED = "open", "dismissed", "merged"
WEIGHTS = {"phone": 0.9, "reply": 0.9, "quote": 0.85, "ref": 0.7, "name": 0.6, "local": 0.5}
REASON_ORDER = ("name", "phone", "ref", "local", "reply", "quote")
MARKS_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Reason:
    kind: str  # name | phone | ref | local | reply | quote
    detail: str  # what matched (a number, an address's local part, a name)
    hint: str  # how an agent reads it: "same name", "order 4412"


@dataclass(frozen=True, slots=True)
class Suggestion:
    id: int
    customer_id: int  # the customer the suggestion is about (the new one, or the one asked for)
    candidate_id: int  # the customer they probably are
    candidate_name: str
    reasons: list[str]  # hints, strongest kind first
    created_at: float
    customer_name: str = ""
    score: float = 0.0
    details: list[dict[str, str]] = field(default_factory=list)  # {kind, detail, hint}
    updated_at: float = 0.0


def suggestion_label(s: Suggestion) -> str:
    """One line for an inbox row or a side panel:
    "probably Anna Kowalska: same name, order 4412"."""
    return label_for(s.candidate_name, s.reasons)


def label_for(candidate_name: str, hints: Sequence[str]) -> str:
    return f"probably {candidate_name}: {', '.join(hints)}" if hints else \
        f"probably {candidate_name}"


def score_of(reasons: Iterable[Reason]) -> float:
    """1 − Π(1 − weight): more independent reasons, more confidence; never 1."""
    miss = 1.0
    for reason in reasons:
        miss *= 1.0 - WEIGHTS.get(reason.kind, 0.3)
    return round(1.0 - miss, 4)


def ordered(reasons: Iterable[Reason]) -> list[Reason]:
    unique = {(r.kind, r.detail): r for r in reasons}
    return sorted(unique.values(), key=lambda r: (REASON_ORDER.index(r.kind)
                                                  if r.kind in REASON_ORDER else 99, r.detail))


def open_suggestions(store: Store, customer_id: int | None = None) -> list[Suggestion]:
    """Open suggestions, most certain first. With `customer_id`: those about that customer on
    either side, turned so that `customer_id` is that customer and the candidate the other."""
    where, params = "s.state = 'open'", []
    if customer_id is not None:
        where += " AND (s.customer_id = ? OR s.candidate_id = ?)"
        params = [customer_id, customer_id]
    rows = store.conn.execute(
        "SELECT s.id, s.customer_id, s.candidate_id, s.reasons, s.score, s.created_at,"
        " s.updated_at, a.name AS customer_name, b.name AS candidate_name FROM match_suggestion s"
        " JOIN customer a ON a.id = s.customer_id JOIN customer b ON b.id = s.candidate_id"
        f" WHERE {where} AND a.merged_into IS NULL AND b.merged_into IS NULL"
        " ORDER BY s.score DESC, s.id DESC", params).fetchall()
    found = []
    for row in rows:
        details = json.loads(row["reasons"])
        mine, other = row["customer_id"], row["candidate_id"]
        names = (row["customer_name"], row["candidate_name"])
        if customer_id is not None and other == customer_id:
            mine, other, names = other, mine, (names[1], names[0])
        found.append(Suggestion(
            id=row["id"], customer_id=mine, candidate_id=other, candidate_name=names[1],
            reasons=[d["hint"] for d in details], created_at=row["created_at"],
            customer_name=names[0], score=row["score"], details=details,
            updated_at=row["updated_at"]))
    return found


def suggestion_marks(store: Store, customer_ids: Iterable[int]) -> dict[int, str]:
    """{customer id: label of its best open suggestion} for the customers of inbox rows: one
    indexed lookup per 500 ids (ix_match_suggestion_open), however large the store."""
    ids = list(dict.fromkeys(customer_ids))
    marks: dict[int, str] = {}
    best: dict[int, float] = {}
    for start in range(0, len(ids), MARKS_CHUNK):
        chunk = ids[start:start + MARKS_CHUNK]
        rows = store.conn.execute(
            "SELECT s.customer_id, s.label, s.score FROM match_suggestion s"
            " JOIN customer b ON b.id = s.candidate_id"
            f" WHERE s.state = 'open' AND s.customer_id IN ({','.join('?' * len(chunk))})"
            " AND b.merged_into IS NULL", chunk).fetchall()
        for customer_id, label, score in rows:
            if score > best.get(customer_id, -1.0):
                best[customer_id], marks[customer_id] = score, label
    return marks


def get_suggestion(store: Store, suggestion_id: int) -> dict[str, Any]:
    row = store.conn.execute(
        "SELECT id, customer_id, candidate_id, state, label FROM match_suggestion WHERE id = ?",
        (suggestion_id,)).fetchone()
    if row is None:
        raise NotFound(f"There is no suggestion {suggestion_id}.")
    return dict(row)


def dismiss_suggestion(store: Store, suggestion_id: int, agent: AgentRow) -> None:
    """The agent says these two are not one person; remembered (see the module's docstring)."""
    with agent_write(store, agent) as tx:
        row = tx.one("SELECT customer_id, candidate_id, state, reasons FROM match_suggestion"
                     " WHERE id = ?", (suggestion_id,))
        if row is None:
            raise NotFound(f"There is no suggestion {suggestion_id}.")
        if row["state"] != OPEN:
            raise ActionError(f"Suggestion {suggestion_id} is already {row['state']}.")
        kinds = sorted({d["kind"] for d in json.loads(row["reasons"])})
        tx.execute("UPDATE match_suggestion SET state = ?, dismissed_kinds = ?, decided_by = ?,"
                   " decided_at = ?, updated_at = ? WHERE id = ?",
                   (DISMISSED, json.dumps(kinds), agent.username, tx.now, tx.now, suggestion_id))
        tx.event("suggestion", customer_id=row["customer_id"], suggestion=suggestion_id,
                 candidate=row["candidate_id"], state=DISMISSED)


def _pair_is(tx: Tx) -> str:
    """The pair (smaller id, larger id) as the unique index ux_match_suggestion_pair has it."""
    return (f"{tx.sql.smaller('customer_id', 'candidate_id')} = ? AND "
            f"{tx.sql.larger('customer_id', 'candidate_id')} = ?")


def mark_pair_merged(tx: Tx, a: int, b: int) -> None:
    """Two customers were merged: their suggestion (either way round) is done, for good."""
    row = tx.one("SELECT id, customer_id, candidate_id, reasons, state FROM match_suggestion"
                 f" WHERE {_pair_is(tx)}",
                 (min(a, b), max(a, b)))
    if row is None or row["state"] == MERGED:
        return
    kinds = sorted({d["kind"] for d in json.loads(row["reasons"])})
    tx.execute("UPDATE match_suggestion SET state = ?, dismissed_kinds = ?, decided_by = ?,"
               " decided_at = ?, updated_at = ? WHERE id = ?",
               (MERGED, json.dumps(kinds), tx.actor, tx.now, tx.now, row["id"]))
    tx.event("suggestion", customer_id=row["customer_id"], suggestion=row["id"],
             candidate=row["candidate_id"], state=MERGED)


def save_suggestion(tx: Tx, customer_id: int, candidate_id: int,
                    reasons: Sequence[Reason]) -> int | None:
    """Open or refresh the suggestion that `customer_id` is `candidate_id`; returns its id, or
    None when a decision about the pair stands (see the module's docstring)."""
    reasons = ordered(reasons)
    if not reasons or customer_id == candidate_id:
        return None
    details = json.dumps([{"kind": r.kind, "detail": r.detail, "hint": r.hint} for r in reasons],
                         ensure_ascii=False)
    name = tx.scalar("SELECT name FROM customer WHERE id = ?", (candidate_id,)) or ""
    label = label_for(name, [r.hint for r in reasons])
    score = score_of(reasons)
    row = tx.one("SELECT id, state, reasons, dismissed_kinds FROM match_suggestion"
                 f" WHERE {_pair_is(tx)}",
                 (min(customer_id, candidate_id), max(customer_id, candidate_id)))
    if row is None:
        suggestion_id = tx.insert("match_suggestion", {
            "customer_id": customer_id, "candidate_id": candidate_id, "reasons": details,
            "label": label, "score": score, "state": OPEN, "created_at": tx.now,
            "updated_at": tx.now})
    elif row["state"] == OPEN:
        suggestion_id = row["id"]
        if row["reasons"] == details:
            return suggestion_id
        tx.execute("UPDATE match_suggestion SET reasons = ?, label = ?, score = ?, updated_at = ?"
                   " WHERE id = ?", (details, label, score, tx.now, suggestion_id))
    else:
        decided = set(json.loads(row["dismissed_kinds"] or "[]"))
        if not {r.kind for r in reasons} - decided:
            return None
        suggestion_id = row["id"]
        tx.execute("UPDATE match_suggestion SET customer_id = ?, candidate_id = ?, reasons = ?,"
                   " label = ?, score = ?, state = ?, updated_at = ? WHERE id = ?",
                   (customer_id, candidate_id, details, label, score, OPEN, tx.now,
                    suggestion_id))
    tx.event("suggestion", customer_id=customer_id, suggestion=suggestion_id,
             candidate=candidate_id, state=OPEN)
    return suggestion_id
