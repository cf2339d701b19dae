"""Small read models only the agent console needs (presence, pickers, the transfer draft).

Kept apart from queries.py so the console can grow without touching the shared read models.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from omnitui.store.db import Store
from omnitui.store.search_sql import matching_customers, search_query

PRESENCE_MAX_AGE = 120.0  # seconds; an agent who left without saying so fades out
# A console re-announces typing at most every TYPING_ANNOUNCE s while keys come; a marker older
# than TYPING_MAX_AGE is shown as plain viewing (a console killed mid-word cannot say so).
TYPING_ANNOUNCE = 2.0
TYPING_MAX_AGE = 5.0
DRAFT_CALLS = 5  # the latest logged calls a transfer draft names
ORDER_NUMBER = re.compile(r"(?:#|№|order\s*(?:no\.?|number)?\s*:?\s*|заказ\w*\s*№?\s*|"
                          r"zamówieni\w*\s*(?:nr\.?)?\s*|طلب\s*)(\d{3,}[\w-]*)",
                          re.IGNORECASE | re.UNICODE)


@dataclass(frozen=True, slots=True)
class Viewer:
    username: str
    name: str
    typing: bool
    updated_at: float = 0.0  # when its console last said so (typing shows until +MAX_AGE)


def viewers_of(store: Store, conversation_id: int, *, exclude_agent_id: int | None,
               now: float) -> list[Viewer]:
    """Other agents looking at (or typing in) a conversation, recently enough to be true."""
    rows = store.conn.execute(
        "SELECT a.username, a.name, p.typing, p.updated_at FROM presence p "
        "JOIN agent a ON a.id = p.agent_id "
        "WHERE p.conversation_id = ? AND p.agent_id != ? AND p.updated_at >= ? "
        "ORDER BY a.username",
        (conversation_id, exclude_agent_id or -1, now - PRESENCE_MAX_AGE)).fetchall()
    written = float(store.clock())  # typing marks age by the clock that wrote them
    return [Viewer(r[0], r[1], bool(r[2]) and r[3] >= written - TYPING_MAX_AGE, float(r[3]))
            for r in rows]


def last_inbound_text(store: Store, conversation_id: int) -> str:
    row = store.conn.execute(
        "SELECT text FROM message WHERE conversation_id = ? AND kind = 'inbound' "
        "ORDER BY id DESC LIMIT 1", (conversation_id,)).fetchone()
    return "" if row is None else str(row[0] or "")


def label_names(store: Store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT name FROM label ORDER BY name")]


def conversation_channels(store: Store) -> list[str]:
    """Channel names that have conversations (a removed channel's history stays visible)."""
    return [r[0] for r in store.conn.execute(
        "SELECT DISTINCT channel FROM conversation WHERE channel IS NOT NULL ORDER BY channel")]


@dataclass(frozen=True, slots=True)
class CustomerHit:
    id: int
    name: str
    addresses: str
    conversations: int


def find_customers(store: Store, text: str, *, exclude: int | None = None,
                   limit: int = 20) -> list[CustomerHit]:
    """Customers whose name or address matches the words typed (for merging)."""
    query = search_query(store.sql, text)
    if query is None:
        return []
    addresses = store.sql.joined("kind || ':' || address")
    rows = store.conn.execute(
        f"SELECT cu.id, cu.name, (SELECT {addresses} FROM identity "
        "WHERE customer_id = cu.id), (SELECT count(*) FROM conversation WHERE customer_id = "
        f"cu.id) FROM ({matching_customers(store.sql)}) hit "
        "JOIN customer cu ON cu.id = hit.id WHERE cu.merged_into IS NULL AND cu.id != ? "
        "ORDER BY cu.id", (query, limit, exclude or -1)).fetchall()
    return [CustomerHit(r[0], r[1] or "", r[2] or "", r[3]) for r in rows]


def transfer_draft(store: Store, conversation_id: int, tz: tzinfo = UTC) -> str:
    """A warm-transfer intro: who, on which channels, order numbers seen, the calls logged and
    the latest question on each channel, so the colleague taking over asks nothing again."""
    conv = store.conn.execute(
        "SELECT c.customer_id, cu.name, c.subject FROM conversation c JOIN customer cu "
        "ON cu.id = c.customer_id WHERE c.id = ?", (conversation_id,)).fetchone()
    if conv is None:
        return ""
    channels = [r[0] for r in store.conn.execute(
        "SELECT channel FROM message WHERE customer_id = ? AND channel IS NOT NULL "
        "GROUP BY channel ORDER BY min(id)", (conv[0],))]
    inbound = [(r[0] or "", r[1] or "") for r in store.conn.execute(
        "SELECT text, channel FROM message WHERE customer_id = ? AND kind = 'inbound' "
        "ORDER BY id DESC LIMIT 200", (conv[0],))]
    calls = store.conn.execute(
        "SELECT m.text, m.created_at, coalesce(a.name, ''), m.meta FROM message m "
        "LEFT JOIN agent a ON a.id = m.agent_id WHERE m.customer_id = ? AND m.kind = 'call' "
        "ORDER BY m.id DESC LIMIT ?", (conv[0], DRAFT_CALLS)).fetchall()[::-1]
    orders: list[str] = []
    for text in [t for t, _ in reversed(inbound)] + [c[0] or "" for c in calls]:
        for m in ORDER_NUMBER.finditer(text):
            if m.group(1) not in orders:
                orders.append(m.group(1))
    lines = [f"Customer: {conv[1]}"]
    if conv[2]:
        lines.append(f"Subject: {conv[2]}")
    if channels:
        lines.append("Channels used: " + ", ".join(channels))
    if orders:
        lines.append("Order numbers: " + ", ".join(orders[:5]))
    for text, at, agent, meta in calls:
        when = datetime.fromtimestamp(at, tz).strftime("%d %b %H:%M")
        phone = json.loads(meta or "{}").get("phone")
        by = f" ({agent}{', ' + phone if phone else ''})" if agent or phone else ""
        lines.append(f"Call {when}{by}: {' '.join((text or '').split())[:300]}")
    by_channel: dict[str, list[str]] = {}
    for text, channel in inbound:
        by_channel.setdefault(channel, []).append(text)
    asked = [(channel, _last_question(texts)) for channel, texts in by_channel.items()]
    asked = [(channel, question) for channel, question in asked if question]
    for channel, question in reversed(asked):  # the channel written on longest ago first
        label = f" ({channel})" if len(asked) > 1 else ""
        lines.append(f"Last question{label}: {question}")
    lines.append("Where we are: ")
    return "\n".join(lines)


def _last_question(texts_newest_first: list[str]) -> str:
    for text in texts_newest_first:
        found = re.findall(r"[^.!?\n؟]*[?؟]", text)
        if found:
            return found[-1].strip()[:300]
    return texts_newest_first[0].strip().splitlines()[0][:300] if texts_newest_first and \
        texts_newest_first[0].strip() else ""


@dataclass(frozen=True, slots=True)
class StatusChange:
    event_id: int
    at: float
    actor: str
    kind: str  # status | assign | label | unlabel
    conversation_id: int
    data: dict[str, Any]


def status_changes(store: Store, customer_id: int, *, since: float,
                   limit: int = 300) -> list[StatusChange]:
    """Status, assignment and label changes of a customer's conversations since `since`, for
    the timeline (they live in the event log, not among the messages)."""
    rows = store.conn.execute(
        "SELECT e.id, e.at, coalesce(a.name, e.actor), e.kind, e.conversation_id, e.data "
        "FROM event e LEFT JOIN agent a ON a.username = e.actor "
        "WHERE e.conversation_id IN (SELECT id FROM conversation WHERE customer_id = ?) "
        "AND e.kind IN ('status', 'assign', 'label', 'unlabel') AND e.at >= ? "
        # An undone change is shown as never made (core.undo).
        f"AND e.id NOT IN (SELECT {store.sql.json_int('u.data', 'undone')} FROM event u "
        "WHERE u.conversation_id = e.conversation_id AND u.kind = 'undo') "
        "ORDER BY e.id DESC LIMIT ?", (customer_id, since, limit)).fetchall()
    return [StatusChange(r[0], r[1], r[2] or "", r[3], r[4], json.loads(r[5] or "{}"))
            for r in reversed(rows)]


def newest_event_id(store: Store) -> int:
    return int(store.conn.execute("SELECT coalesce(max(id), 0) FROM event").fetchone()[0])


@dataclass(frozen=True, slots=True)
class Activity:
    """Another agent's reply, or their start of one, in a conversation."""

    name: str
    replied: bool  # False: started writing a reply
    at: float


def others_since(store: Store, conversation_id: int, username: str,
                 after_event_id: int) -> list[Activity]:
    """What other agents did in a conversation after an event: replies sent and replies
    started (the first typing mark of each), oldest first."""
    rows = store.conn.execute(
        "SELECT e.kind, e.at, a.name FROM event e JOIN agent a ON a.username = e.actor "
        "WHERE e.id > ? AND e.conversation_id = ? AND e.actor != ? AND (e.kind = 'message_out' "
        f"OR (e.kind = 'presence' AND {store.sql.json_flag('e.data', 'typing')} = 1)) "
        "ORDER BY e.id",
        (after_event_id, conversation_id, username)).fetchall()
    seen: set[tuple[str, bool]] = set()
    out = []
    for kind, at, name in rows:
        key = (name, kind == "message_out")
        if key not in seen:
            seen.add(key)
            out.append(Activity(name, key[1], float(at)))
    return out
