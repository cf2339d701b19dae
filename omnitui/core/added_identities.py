"""Identities an agent adds to a customer: what the customer said on a call or in a message.

An agent who hears "I also write from anna.k@example.org" or "my number is 600 123 456" tells
omnitui, and from then on mail from that address joins the customer's timeline, a Telegram
account with that username joins it on its first message, and the number is evidence for
recognising her (core.recognition). Such identities are marked `linked_via = "agent"`: an agent
vouched for them, so they are not shown as unverified.

What the agent typed is stored as typed (an email address in lower case, as every address is);
a phone number's E.164 form is only a key for matching (core.match_keys).
"""

from __future__ import annotations

import re

from omnitui.core.agents import AgentRow
from omnitui.core.errors import ActionError, NotFound
from omnitui.core.identities import LINKED_BY_AGENT
from omnitui.core.match_keys import KIND_PHONE, Key, add_keys, local_keys, phone_e164
from omnitui.core.permissions import agent_write
from omnitui.core.sanitize import clean_line
from omnitui.store.db import Store, Tx

KINDS = ("email", "phone", "telegram")
TELEGRAM_USERNAME = "telegram_username"  # identity.kind of a Telegram @username an agent added
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]{2,}$")
_TELEGRAM = re.compile(r"^[a-z][a-z0-9_]{3,31}$")


def add_identity(store: Store, customer_id: int, kind: str, value: str, agent: AgentRow, *,
                 phone_region: str | None = None) -> tuple[int, bool]:
    """Add an email address, phone number or Telegram username to a customer; returns the
    identity's id and whether it is new (the customer may have it already). Refused in one
    sentence when the value is not valid or belongs to another customer (naming them and the
    merge command)."""
    with agent_write(store, agent) as tx:
        return add_identity_in(tx, customer_id, kind, value, phone_region=phone_region)


def add_identity_in(tx: Tx, customer_id: int, kind: str, value: str, *,
                    phone_region: str | None = None) -> tuple[int, bool]:
    """`add_identity` inside the caller's transaction: (identity id, whether it is new). Adding
    what the customer already has is not an error (a call from a number on file)."""
    customer = tx.one("SELECT id, name, merged_into FROM customer WHERE id = ?", (customer_id,))
    if customer is None:
        raise NotFound(f"There is no customer {customer_id}.")
    if customer["merged_into"] is not None:
        raise ActionError(f"Customer {customer_id} was merged into {customer['merged_into']}; "
                          "add the identity there.")
    written = (clean_line(value) or "").strip()
    keys: list[Key]
    if kind == "email":
        address = written.lower().removeprefix("mailto:")
        if not _EMAIL.match(address):
            raise ActionError(f"'{written}' is not an email address such as anna@example.org.")
        stored_kind, keys = "email", local_keys(address)
        owner = _owner(tx, "email", address)
    elif kind == "phone":
        e164 = phone_e164(written, phone_region)
        if e164 is None:
            if phone_region:
                raise ActionError(f"'{written}' is not a phone number such as +48 600 123 456.")
            raise ActionError(f"'{written}' is not a phone number with its country code, such "
                              "as +48 600 123 456.")
        address, stored_kind = written, "phone"
        keys = [Key(KIND_PHONE, e164, written)]
        owner = _phone_owner(tx, e164, phone_region, customer_id)
    elif kind == "telegram":
        address = written.removeprefix("https://").removeprefix("t.me/").lstrip("@").lower()
        if not _TELEGRAM.match(address):
            raise ActionError(f"'{written}' is not a Telegram username such as @anna_k (letters, "
                              "digits and _, 4 to 32 characters).")
        stored_kind, keys = TELEGRAM_USERNAME, []
        owner = _owner(tx, TELEGRAM_USERNAME, address)
    else:
        raise ActionError(f"'{kind}' is not a kind of identity; use one of {', '.join(KINDS)}.")
    if owner is not None and owner[0] == customer_id:
        return owner[1], False
    if owner is not None:
        name = tx.scalar("SELECT name FROM customer WHERE id = ?", (owner[0],)) or ""
        raise ActionError(
            f"{written} already belongs to {name} (customer {owner[0]}); if they are one person, "
            f"run 'omnitui customer merge {customer_id} {owner[0]}'.")
    identity_id = tx.insert("identity", {
        "customer_id": customer_id, "kind": stored_kind, "address": address, "channel": "",
        "display_name": None, "linked_via": LINKED_BY_AGENT, "created_at": tx.now})
    if stored_kind == "email":
        tx.execute("UPDATE customer SET email = ? WHERE id = ? AND email IS NULL",
                   (address, customer_id))
    tx.event("identity_added", customer_id=customer_id, identity=identity_id,
             identity_kind=stored_kind)
    added = add_keys(tx.conn, customer_id, keys, tx.now)
    if added:
        from omnitui.core.recognition import suggest_from

        suggest_from(tx, customer_id, added)
    return identity_id, True


def _owner(tx: Tx, kind: str, address: str) -> tuple[int, int] | None:
    """(customer, identity) holding this identity, following merges."""
    row = tx.one("SELECT customer_id, id FROM identity WHERE kind = ? AND address = ?",
                 (kind, address))
    return None if row is None else (_survivor(tx, row[0]), row[1])


def _phone_owner(tx: Tx, e164: str, region: str | None,
                 customer_id: int) -> tuple[int, int] | None:
    """The customer whose phone identity is this number however it was written; else another
    customer whose Telegram contact shared it (`customer.phone`; identity id 0)."""
    for owner_id, identity_id, address in tx.all(
            "SELECT customer_id, id, address FROM identity WHERE kind = 'phone'"):
        if phone_e164(address, region) == e164:
            return _survivor(tx, owner_id), identity_id
    found = tx.scalar("SELECT id FROM customer WHERE phone = ? AND merged_into IS NULL "
                      "AND id != ? ORDER BY id LIMIT 1", (e164, customer_id))
    return None if found is None else (found, 0)


def _survivor(tx: Tx, customer_id: int) -> int:
    for _ in range(50):
        merged_into = tx.scalar("SELECT merged_into FROM customer WHERE id = ?", (customer_id,))
        if merged_into is None:
            return customer_id
        customer_id = merged_into
    return customer_id
