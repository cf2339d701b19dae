"""Starting a conversation from the shop's side: to an email address, or to a customer on a
channel they can be reached on.

It becomes an ordinary conversation: the first message is queued like any reply (outbox,
Message-ID and reply token, so the customer's answer threads into it), it is assigned to the agent
who started it, and `conversation.started_by` keeps that the shop wrote first, so no
first-response clock runs (no customer waited) and reports do not count it as the customer coming
back. Each channel's own limit is said in one sentence before anything is stored: Telegram's Bot
API lets a bot write only to people who wrote to it first, and a chat message only reaches a
visitor whose browser is connected now.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from omnitui.core.agents import AgentRow
from omnitui.core.errors import ActionError, NotFound
from omnitui.core.outgoing_files import FileLimits, read_all
from omnitui.core.permissions import agent_write
from omnitui.core.reply import MAX_REPLY_CHARS, queue_reply_in, target_identity_in
from omnitui.core.sanitize import clean_line, clean_text
from omnitui.core.signatures import Signing
from omnitui.store.db import Store, Tx
from omnitui.store.files import keep_blobs

KINDS = ("email", "telegram", "chat")
KIND_WORDS = {"email": "email", "telegram": "Telegram", "chat": "website chat"}
MAX_SUBJECT_CHARS = 200
# An address a mail server accepts and a person means: a local part, a dotted domain with a
# letter-only top label. Not RFC 5322 in full: quoted local parts and IP literals are refused.
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


@dataclass(frozen=True, slots=True)
class Target:
    """One way to reach a customer: an identity on a configured channel."""

    kind: str  # email | telegram | chat
    channel: str  # the configured channel's name
    identity_id: int | None  # None: a new email address, created on send
    address: str
    label: str  # what the agent reads: "olga@example.org", "Telegram Olga (5512)", …
    online: bool = True  # chat: the visitor is connected now


@dataclass(frozen=True, slots=True)
class Started:
    conversation_id: int
    message_id: int
    customer_id: int
    identity_id: int
    channel: str
    new_customer: bool


def is_email(text: str) -> bool:
    return len(text) <= 254 and _EMAIL.fullmatch(text) is not None


def target_label(kind: str, address: str, display_name: str | None) -> str:
    """How the composer names where a message goes (untrusted parts cleaned to one line)."""
    address = clean_line(address) or ""
    name = clean_line(display_name) or ""
    if kind == "email":
        return f"email {address}"
    if kind == "telegram":
        return f"Telegram {name or address}"
    return f"website chat {name}".rstrip() if name and name != address else "website chat"


def find_customer(tx: Tx, who: str) -> int:
    """A customer by id (`12` or `#12`) or by their exact name (case-insensitive); NotFound or
    ActionError in one sentence otherwise (an address is `_resolve`'s)."""
    who = who.strip()
    if who.lstrip("#").isdigit():
        row = tx.one("SELECT id, merged_into FROM customer WHERE id = ?", (int(who.lstrip("#")),))
        if row is None:
            raise NotFound(f"There is no customer {who.lstrip('#')}.")
        return _survivor(tx, row[0])
    rows = tx.all("SELECT id FROM customer WHERE merged_into IS NULL AND lower(name) = lower(?) "
                  "ORDER BY id", (who,))
    if not rows:
        raise NotFound(f"There is no customer called {clean_line(who)!r}; give an email "
                       "address or a customer id (omnitui customer list).")
    if len(rows) > 1:
        raise ActionError(f"{len(rows)} customers are called {clean_line(who)!r} (ids "
                          f"{', '.join(str(r[0]) for r in rows[:5])}); give the id.")
    return int(rows[0][0])


def _survivor(tx: Tx, customer_id: int) -> int:
    for _ in range(50):
        nxt = tx.scalar("SELECT merged_into FROM customer WHERE id = ?", (customer_id,))
        if nxt is None:
            return customer_id
        customer_id = int(nxt)
    return customer_id


def targets_in(tx: Tx, customer_id: int, channels: Mapping[str, str]) -> list[Target]:
    """Every identity of the customer on a configured channel kind, the latest heard first.
    `channels`: configured channel name → kind."""
    by_kind = _first_channel_of_kind(channels)
    rows = tx.all(
        "SELECT i.id, i.kind, i.address, i.channel, i.display_name, "
        "coalesce((SELECT max(m.id) FROM message m WHERE m.identity_id = i.id AND "
        "m.kind = 'inbound'), 0) AS heard, p.since FROM identity i LEFT JOIN chat_presence p "
        "ON i.kind = 'chat' AND p.visitor = i.address AND p.channel = i.channel "
        "WHERE i.customer_id = ? ORDER BY heard DESC, i.id DESC", (customer_id,))
    out = []
    for r in rows:
        kind = r["kind"]
        channel = r["channel"] if channels.get(r["channel"]) == kind else by_kind.get(kind)
        if kind not in KINDS or channel is None:
            continue
        out.append(Target(kind, channel, r["id"], r["address"],
                          target_label(kind, r["address"], r["display_name"]),
                          online=kind != "chat" or r["since"] is not None))
    return out


def reply_target(store: Store, conversation_id: int,
                 via_identity: int | None = None) -> Target:
    """Where a reply to this conversation goes now (the composer says it before sending)."""
    with store.read() as tx:
        ident = target_identity_in(tx, conversation_id, via_identity)
        name = tx.scalar("SELECT display_name FROM identity WHERE id = ?", (ident["id"],))
        online = ident["kind"] != "chat" or tx.one(
            "SELECT 1 FROM chat_presence WHERE channel = ? AND visitor = ?",
            (ident["channel"], ident["address"])) is not None
    kind, address = str(ident["kind"]), str(ident["address"])
    return Target(kind, str(ident["channel"]), int(ident["id"]),  # type: ignore[call-overload]
                  address, target_label(kind, address, name), online)


def targets(store: Store, customer_id: int, channels: Mapping[str, str]) -> list[Target]:
    with store.read() as tx:
        return targets_in(tx, customer_id, channels)


def _first_channel_of_kind(channels: Mapping[str, str]) -> dict[str, str]:
    first: dict[str, str] = {}
    for name, kind in channels.items():
        first.setdefault(kind, name)
    return first


def start_conversation(
    store: Store,
    agent: AgentRow,
    to: str,
    text: str,
    *,
    channels: Mapping[str, str],
    via: str | None = None,
    subject: str | None = None,
    signing: Signing | None = None,
    signature: str | None = None,
    hub_running: bool = True,
    via_identity: int | None = None,
    attachments: Sequence[Path] = (),
    attachments_dir: Path | None = None,
    file_limits: FileLimits | None = None,
) -> Started:
    """Start a conversation with `to` (an email address, or a customer: id, address or name)
    and queue `text` as its first message; nothing is stored when any check fails.

    `via`: a channel kind (email, telegram, chat) or a configured channel's name; without it,
    email for an address, else the channel the customer was last heard on; `via_identity`: one
    identity of the customer's (the console's pick). `hub_running`: chat visitors are online
    only while a hub serves them. `attachments` are checked as a reply's are (core/reply.py).
    """
    text = clean_text(text).strip("\n")
    if not text.strip():
        raise ActionError("A new conversation needs some text.")
    if len(text) > MAX_REPLY_CHARS:
        raise ActionError(f"A message can be at most {MAX_REPLY_CHARS} characters.")
    to = clean_line(to).strip() if to else ""
    if not to:
        raise ActionError("Say whom to write to: an email address or a customer.")
    want_kind, want_channel = _wanted(via, channels)
    limits = file_limits or FileLimits()
    outgoing = read_all(attachments, attachments_dir, limits)
    with agent_write(store, agent) as tx:
        customer_id, target, new_customer = _resolve(tx, to, want_kind, want_channel, channels,
                                                     via_identity)
        if target.kind == "chat" and (not hub_running or not target.online):
            raise ActionError(f"{_name(tx, customer_id)} is not on the website chat now, and a "
                              "chat message only reaches a visitor who is online"
                              f"{_other_ways(tx, customer_id, channels, 'chat')}.")
        if target.kind == "email":
            subject = clean_line(subject).strip() if subject else ""
            subject = (subject or _subject_from(text))[:MAX_SUBJECT_CHARS]
        else:
            subject = None
        identity_id = target.identity_id
        if identity_id is None:
            identity_id = _new_email_identity(tx, customer_id, target)
        conversation_id = tx.insert("conversation", {
            "customer_id": customer_id, "status": "open", "channel": target.channel,
            "subject": subject, "assignee_id": agent.id, "started_by": agent.id,
            "created_at": tx.now, "last_message_at": tx.now,
        })
        tx.event("conversation_started", conversation_id=conversation_id,
                 customer_id=customer_id, channel=target.channel, agent=agent.username,
                 new_customer=new_customer)
        queued = queue_reply_in(tx, conversation_id, text, agent, via_identity=identity_id,
                                default_channel=target.channel, signing=signing,
                                signature=signature, subject=subject,
                                files=outgoing,  # each has StoredFile's fields
                                check_files=limits.checker(outgoing) if outgoing else None)
        if outgoing:
            keep_blobs(tx, attachments_dir, [f.data for f in outgoing])  # type: ignore[arg-type]
    return Started(conversation_id, queued.message_id, customer_id, identity_id,
                   queued.channel, new_customer)


def _wanted(via: str | None, channels: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(kind, channel name) asked for with --via; one sentence for a name that is neither."""
    if not via:
        return None, None
    via = via.strip()
    if via in channels:
        return channels[via], via
    if via in KINDS:
        if via not in channels.values():
            raise ActionError(f"No {KIND_WORDS[via]} channel is configured.")
        return via, None
    names = ", ".join([*KINDS, *(n for n in channels if n not in KINDS)])
    raise ActionError(f"'{clean_line(via)}' is neither a channel kind nor a configured channel; "
                      f"use one of {names}.")


def _resolve(tx: Tx, to: str, kind: str | None, channel: str | None,
             channels: Mapping[str, str], via_identity: int | None = None,
             ) -> tuple[int, Target, bool]:
    """(customer id, where to write, whether the customer is new)."""
    address = to.lower() if "@" in to and not to.lstrip("#").isdigit() else None
    if address is not None and not is_email(address):
        raise ActionError(f"'{to}' is not a valid email address.")
    if address is not None:
        known = tx.scalar("SELECT customer_id FROM identity WHERE kind = 'email' AND "
                          "address = ?", (address,))
        if known is None:
            if kind not in (None, "email"):
                raise ActionError(f"{address} is a new address: it can only be written to by "
                                  "email.")
            email_channel = channel or _first_channel_of_kind(channels).get("email")
            if email_channel is None:
                raise ActionError("No email channel is configured.")
            customer_id = tx.insert("customer", {"name": address, "email": address,
                                                 "created_at": tx.now})
            return customer_id, Target("email", email_channel, None, address, address), True
        customer_id = _survivor(tx, int(known))
        kind = kind or "email"
    else:
        customer_id = find_customer(tx, to)
    options = targets_in(tx, customer_id, channels)
    if address is not None:  # the very address asked for, before the customer's others
        options.sort(key=lambda t: t.address != address)
    chosen = [t for t in options if (kind is None or t.kind == kind)
              and (channel is None or t.channel == channel)
              and (via_identity is None or t.identity_id == via_identity)]
    if not chosen:
        name = _name(tx, customer_id)
        if kind == "telegram":
            raise ActionError(f"{name} has no Telegram identity: a bot can only write to people "
                              "who have written to it first.")
        if kind == "chat":
            raise ActionError(f"{name} has never written on the website chat, so there is no "
                              "visitor to write to.")
        if kind is not None:
            raise ActionError(f"{name} cannot be reached on {channel or KIND_WORDS[kind]}.")
        raise ActionError(f"{name} has no address on any configured channel.")
    if kind is None:
        online = [t for t in chosen if t.online]
        chosen = online or chosen
    return customer_id, chosen[0], False


def _name(tx: Tx, customer_id: int) -> str:
    return clean_line(tx.scalar("SELECT name FROM customer WHERE id = ?", (customer_id,))) or \
        f"Customer {customer_id}"


def _other_ways(tx: Tx, customer_id: int, channels: Mapping[str, str], but: str) -> str:
    kinds = sorted({t.kind for t in targets_in(tx, customer_id, channels) if t.kind != but})
    return f"; write by {' or '.join(KIND_WORDS[k] for k in kinds)}" if kinds else ""


def _new_email_identity(tx: Tx, customer_id: int, target: Target) -> int:
    return tx.insert("identity", {
        "customer_id": customer_id, "kind": "email", "address": target.address,
        "channel": target.channel, "display_name": None, "linked_via": None,
        "created_at": tx.now,
    })


def _subject_from(text: str) -> str:
    """An email needs a subject: the first line of the text, cut at a word."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first) <= 60:
        return first
    cut = first[:60].rsplit(" ", 1)[0]
    return f"{cut}…"


@dataclass(frozen=True, slots=True)
class CustomerMatch:
    customer_id: int
    name: str
    addresses: tuple[str, ...]  # "email olga@example.org", "Telegram 5512", …


def customer_matches(store: Store, query: str, limit: int = 8) -> list[CustomerMatch]:
    """Customers for the console's "To" box, best first: fuzzy over names and addresses (typos
    forgiven), among those whose name or address contains a word typed and the most recently
    active ones, so a large shop is never read whole."""
    from rapidfuzz import fuzz, process, utils

    words = [w for w in query.lower().split() if len(w) >= 2]
    wanted = int(query.strip().lstrip("#")) if query.strip().lstrip("#").isdigit() else None
    with store.read() as tx:
        ids = {r[0] for r in tx.all(
            "SELECT customer_id FROM conversation WHERE merged_into IS NULL "
            "ORDER BY last_message_at DESC LIMIT 1000")}
        for word in words[:3]:
            like = f"%{word}%"
            ids.update(r[0] for r in tx.all(
                "SELECT id FROM customer WHERE lower(name) LIKE ? LIMIT 300", (like,)))
            ids.update(r[0] for r in tx.all(
                "SELECT customer_id FROM identity WHERE lower(address) LIKE ? LIMIT 300",
                (like,)))
        if wanted is not None:
            ids.add(wanted)
        found: dict[int, CustomerMatch] = {}
        addresses = tx.sql.joined("i.kind || ' ' || i.address", "\n")
        chunk = sorted(ids)
        for start in range(0, len(chunk), 400):
            part = chunk[start:start + 400]
            marks = ",".join("?" * len(part))
            for r in tx.all(
                    f"SELECT c.id, c.name, {addresses} "
                    "FROM customer c LEFT JOIN identity i ON i.customer_id = c.id WHERE c.id IN "
                    f"({marks}) AND c.merged_into IS NULL GROUP BY c.id, c.name", tuple(part)):
                found[r[0]] = CustomerMatch(r[0], clean_line(r[1]) or f"Customer {r[0]}",
                                            tuple(clean_line(a) or "" for a in
                                                  (r[2] or "").split("\n") if a))
    matches = list(found.values())
    if wanted is not None:
        return [found[wanted]] if wanted in found else []
    if not query.strip():
        return matches[:limit]
    keys = [f"{m.name} {' '.join(a.split(' ', 1)[-1] for a in m.addresses)}" for m in matches]
    ranked = process.extract(query, keys, scorer=fuzz.WRatio, limit=limit,
                             processor=utils.default_process, score_cutoff=50)
    return [matches[i] for _key, _score, i in ranked]
