"""Finding and creating customers and their identities, and linking identities across channels.

An email address or phone number a customer gives on one channel (a chat `hello` with an email, a
Telegram contact), or a deep-link token, ties that identity to the customer already known, so the
timeline is one story whatever the channel.

Of the three, only the email is unchecked: a deep-link token was made by the shop and sent to the
customer, and a Telegram phone is accepted only as the sender's own contact (telegram/parse.py),
but anyone can claim any address in a chat widget. So each identity that joins an existing
customer this way keeps how (`identity.linked_via`), and the console shows the unverified ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from omnitui.channels.base import META_TYPED_EMAIL, Inbound
from omnitui.core.sanitize import clean_line
from omnitui.store.db import Tx

if TYPE_CHECKING:
    from omnitui.core.ingest_reads import BatchReads

Insert = Callable[[str, dict[str, Any]], int]  # (table, values) → the new row's id

# `identity.linked_via`: how an identity came to a customer already known (None: on its own).
LINKED_BY_EMAIL = "email"  # an address given in a chat `hello`: anybody can claim any address
LINKED_BY_TOKEN = "link"  # a deep-link token the shop made and sent to the customer
LINKED_BY_PHONE = "phone"  # the sender's own Telegram contact
# Added by an agent (core.added_identities), or a Telegram account joined because its username
# is one an agent added: an agent vouched for it, so it is not shown as unverified.
LINKED_BY_AGENT = "agent"
# An email identity made from an address a chat visitor gave: mail from that address later
# joins this customer, though nothing showed the visitor owns the mailbox.
CLAIMED_IN_CHAT = "claimed"
UNVERIFIED_NOTES = {LINKED_BY_EMAIL: "unverified: linked by an email given in chat",
                    CLAIMED_IN_CHAT: "unverified: address given in chat"}


def customer_for(
    tx: Tx, item: Inbound, cache: dict[tuple[str, str], tuple[int, int]],
    known: BatchReads | None = None, insert: Insert | None = None,
) -> tuple[int, int, bool]:
    """(identity id, customer id, created) for the sender of `item`, creating them if new.
    `known`: the batch's identities read up front (core.ingest_reads); one it lacks is read
    here, and a merge this causes makes the batch forget what it read. `insert`: how a new
    customer and identity are written (a batch's row buffers), `tx.insert` without it."""
    item = _cleaned(item)
    key = (item.kind, item.address)
    hit = cache.get(key)
    if hit is None:
        row = known.identities.get(key) if known is not None else None
        if row is None and not (known is not None and key in known.missing):
            row = tx.one(
                "SELECT i.id, i.customer_id, c.merged_into, i.channel FROM identity i "
                "JOIN customer c ON c.id = i.customer_id WHERE i.kind = ? AND i.address = ?",
                key,
            )
        if row is not None:
            hit = (row[0], row[1])
            if row[3] != item.channel:  # replies go where the customer was last heard
                tx.execute("UPDATE identity SET channel = ? WHERE id = ?", (item.channel, row[0]))
            if row[2] is not None:  # defensive: identities move on merge, but follow the chain
                hit = (row[0], _survivor(tx, row[1]))
    created = False
    linked = _linked_customer(tx, item)
    if hit is None:
        if linked is not None:
            customer_id, linked_via = linked
        else:
            customer_id, linked_via = _create_customer(tx, item, insert or tx.insert), None
            created = True
        hit = (_add_identity(tx, customer_id, item.kind, item.address, item.channel,
                             item.display_name, linked_via, insert), customer_id)
    elif linked is not None and linked[0] != hit[1] and _is_lone(tx, hit[1]):
        merge_lone_customer(tx, survivor=linked[0], merged=hit[1], linked_via=linked[1])
        if known is not None:
            known.forget()
        hit = (hit[0], linked[0])
    cache[key] = hit
    _remember_contact(tx, hit[1], item)
    return hit[0], hit[1], created


def sender_key(item: Inbound) -> tuple[str, str]:
    """(kind, address) of the identity `customer_for` looks up for `item`."""
    item = _cleaned(item)
    return item.kind, item.address


def _cleaned(item: Inbound) -> Inbound:
    """Names and addresses are untrusted one-line text like any other."""
    name = clean_line(item.display_name)
    address = (clean_line(item.address) or "").strip()
    if not address:  # mail so broken no sender survives: one findable customer per channel
        address = f"unknown-sender@{item.channel}"
        name = name or "Unknown sender"
    if name == item.display_name and address == item.address:
        return item
    return replace(item, display_name=name, address=address)


def _survivor(tx: Tx, customer_id: int) -> int:
    seen = set()
    while customer_id not in seen:
        seen.add(customer_id)
        nxt = tx.scalar("SELECT merged_into FROM customer WHERE id = ?", (customer_id,))
        if nxt is None:
            return customer_id
        customer_id = nxt
    return customer_id


def _create_customer(tx: Tx, item: Inbound, insert: Insert) -> int:
    name = item.display_name or item.address
    # A typed address is kept by `_remember_contact`, and only when nobody else owns it.
    email = item.address if item.kind == "email" else (
        None if typed_email(item) else item.link_email)
    email = email.strip().lower() if email else None
    return insert(
        "customer",
        {"name": name, "email": email, "phone": item.link_phone, "created_at": tx.now},
    )


def _add_identity(tx: Tx, customer_id: int, kind: str, address: str, channel: str,
                  display_name: str | None, linked_via: str | None,
                  insert: Insert | None = None) -> int:
    return (insert or tx.insert)(
        "identity",
        {
            "customer_id": customer_id,
            "kind": kind,
            "address": address,
            "channel": channel,
            "display_name": display_name,
            "linked_via": linked_via,
            "created_at": tx.now,
        },
    )


def _linked_customer(tx: Tx, item: Inbound) -> tuple[int, str] | None:
    """The existing customer this message's contact details point at, if any, and which detail
    did it (LINKED_BY_TOKEN, LINKED_BY_EMAIL or LINKED_BY_PHONE)."""
    if item.link_token:
        found = tx.scalar("SELECT id FROM customer WHERE link_token = ?", (item.link_token,))
        if found is not None:
            return _survivor(tx, found), LINKED_BY_TOKEN
    if item.link_email and item.kind != "email" and not typed_email(item):
        addr = item.link_email.strip().lower()
        found = tx.scalar(
            "SELECT customer_id FROM identity WHERE kind = 'email' AND address = ?", (addr,)
        )
        if found is None:
            found = tx.scalar(
                "SELECT id FROM customer WHERE email = ? AND merged_into IS NULL "
                "ORDER BY id LIMIT 1",
                (addr,),
            )
        if found is not None:
            return _survivor(tx, found), LINKED_BY_EMAIL
    if item.kind == "telegram" and item.meta.get("username"):
        found = tx.scalar(
            "SELECT customer_id FROM identity WHERE kind = 'telegram_username' AND address = ?",
            (str(item.meta["username"]).lower(),),
        )
        if found is not None:
            return _survivor(tx, found), LINKED_BY_AGENT
    if item.link_phone:
        phone = normalise_phone(item.link_phone)
        found = tx.scalar(
            "SELECT id FROM customer WHERE phone = ? AND merged_into IS NULL ORDER BY id LIMIT 1",
            (phone,),
        )
        if found is not None:
            return _survivor(tx, found), LINKED_BY_PHONE
    return None


def _remember_contact(tx: Tx, customer_id: int, item: Inbound) -> None:
    """Keep an email address or phone the customer gave, and make the email reachable."""
    if item.link_email and item.kind != "email":
        addr = item.link_email.strip().lower()
        if typed_email(item) and tx.one(
            "SELECT 1 FROM identity WHERE kind = 'email' AND address = ? AND customer_id != ?",
            (addr, customer_id),
        ):
            return  # somebody else's address typed into a chat: an agent decides, not ingest
        tx.execute(
            "UPDATE customer SET email = ? WHERE id = ? AND email IS NULL", (addr, customer_id)
        )
        if tx.one("SELECT 1 FROM identity WHERE kind = 'email' AND address = ?", (addr,)) is None:
            _add_identity(tx, customer_id, "email", addr, "", item.display_name, CLAIMED_IN_CHAT)
    if item.link_phone:
        tx.execute(
            "UPDATE customer SET phone = ? WHERE id = ? AND phone IS NULL",
            (normalise_phone(item.link_phone), customer_id),
        )


def typed_email(item: Inbound) -> bool:
    """Whether `link_email` was found in the message text rather than given by the shop's own
    backend (chat `hello`). Anybody can type any address, so a typed one only makes this
    customer reachable by email when no other customer owns it; it never merges customers."""
    return bool(item.meta.get(META_TYPED_EMAIL))


def _is_lone(tx: Tx, customer_id: int) -> bool:
    return (
        tx.scalar("SELECT count(*) FROM identity WHERE customer_id = ?", (customer_id,)) or 0
    ) <= 1


def merge_lone_customer(tx: Tx, *, survivor: int, merged: int, linked_via: str) -> None:
    """Fold a customer we only knew by one identity into the one it turned out to be, marking
    its identities with the contact detail that said so (`linked_via`)."""
    before = {
        r[0]: r[1]
        for r in tx.all("SELECT id, linked_via FROM identity WHERE customer_id = ?", (merged,))
    }
    conversation_ids = [
        r[0] for r in tx.all("SELECT id FROM conversation WHERE customer_id = ?", (merged,))
    ]
    tx.execute("UPDATE identity SET linked_via = ? WHERE customer_id = ?", (linked_via, merged))
    move_customer(tx, survivor=survivor, merged=merged)
    tx.insert(
        "customer_merge",
        {
            "survivor_id": survivor,
            "merged_id": merged,
            "identity_ids": json.dumps(list(before)),
            "conversation_ids": json.dumps(conversation_ids),
            "linked_via_before": json.dumps(before),
            "created_at": tx.now,
        },
    )
    tx.event("customer_merged", customer_id=survivor, merged=merged, automatic=True)


def restore_linked_via(tx: Tx, linked_via_before: str | None) -> None:
    """Undo the re-labelling of an automatic fold (its `customer_merge.linked_via_before`);
    agents' merges re-label nothing and record None."""
    for identity_id, value in json.loads(linked_via_before or "{}").items():
        tx.execute("UPDATE identity SET linked_via = ? WHERE id = ?", (value, int(identity_id)))


def unverified_note(linked_via: str | None) -> str | None:
    """What an agent should be told about an identity linked this way, if anything."""
    return UNVERIFIED_NOTES.get(linked_via or "")


def move_customer(tx: Tx, *, survivor: int, merged: int) -> None:
    tx.execute("UPDATE identity SET customer_id = ? WHERE customer_id = ?", (survivor, merged))
    tx.execute("UPDATE conversation SET customer_id = ? WHERE customer_id = ?", (survivor, merged))
    tx.execute("UPDATE message SET customer_id = ? WHERE customer_id = ?", (survivor, merged))
    tx.execute("UPDATE customer SET merged_into = ? WHERE id = ?", (survivor, merged))
    from omnitui.core.suggestions import mark_pair_merged

    mark_pair_merged(tx, survivor, merged)


def normalise_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return ("+" + digits) if digits else phone.strip()
