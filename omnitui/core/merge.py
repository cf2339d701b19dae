"""Merging customers who turned out to be one person, and undoing it.

A merge records exactly which identities and conversations moved, so `unmerge` puts back those
and nothing else (conversations the survivor had before stay with it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from omnitui.core.agents import AgentRow
from omnitui.core.errors import ActionError, NotFound
from omnitui.core.fold import FoldPlan, fold, plan_fold, unfold
from omnitui.core.identities import move_customer, restore_linked_via
from omnitui.core.permissions import agent_write
from omnitui.store.db import Store, Tx


@dataclass(frozen=True, slots=True)
class MergePreview:
    survivor_id: int
    merged_id: int
    survivor_name: str
    merged_name: str
    identities: list[str]  # "kind:address" that move
    conversations: int
    messages: int
    fold_plan: FoldPlan | None = None  # what `fold_cases=True` would fold (both have a live case)


def _customer(tx: Tx, customer_id: int):  # type: ignore[no-untyped-def]
    row = tx.one("SELECT id, name, merged_into FROM customer WHERE id = ?", (customer_id,))
    if row is None:
        raise NotFound(f"There is no customer {customer_id}.")
    if row["merged_into"] is not None:
        raise ActionError(f"Customer {customer_id} was already merged into {row['merged_into']}.")
    return row


def preview_merge(store: Store, survivor_id: int, merged_id: int) -> MergePreview:
    with store.read() as tx:
        survivor = _customer(tx, survivor_id)
        merged = _customer(tx, merged_id)
        idents = [f"{r[0]}:{r[1]}" for r in tx.all(
            "SELECT kind, address FROM identity WHERE customer_id = ? ORDER BY id", (merged_id,))]
        convs = tx.scalar("SELECT count(*) FROM conversation WHERE customer_id = ?", (merged_id,))
        msgs = tx.scalar("SELECT count(*) FROM message WHERE customer_id = ?", (merged_id,))
        plan = plan_fold(tx, survivor_id, merged_id) if survivor_id != merged_id else None
    return MergePreview(survivor_id, merged_id, survivor["name"], merged["name"], idents,
                        int(convs or 0), int(msgs or 0), plan)


def merge_customers(store: Store, survivor_id: int, merged_id: int, agent: AgentRow, *,
                    fold_cases: bool = False) -> int:
    """Move `merged`'s identities and conversations to `survivor`; returns the merge id.
    `fold_cases`: when both have a live conversation, fold them into one (core.fold)."""
    if survivor_id == merged_id:
        raise ActionError("A customer cannot be merged into itself.")
    with agent_write(store, agent) as tx:
        _customer(tx, survivor_id)
        _customer(tx, merged_id)
        identity_ids = [r[0] for r in tx.all(
            "SELECT id FROM identity WHERE customer_id = ?", (merged_id,))]
        conversation_ids = [r[0] for r in tx.all(
            "SELECT id FROM conversation WHERE customer_id = ?", (merged_id,))]
        plan = plan_fold(tx, survivor_id, merged_id) if fold_cases else None
        move_customer(tx, survivor=survivor_id, merged=merged_id)
        merge_id = tx.insert("customer_merge", {
            "survivor_id": survivor_id, "merged_id": merged_id,
            "identity_ids": json.dumps(identity_ids),
            "conversation_ids": json.dumps(conversation_ids), "created_at": tx.now})
        tx.event("customer_merged", customer_id=survivor_id, merged=merged_id,
                 merge_id=merge_id, folded=[c.id for c in plan.folded] if plan else [])
        if plan is not None:
            fold(tx, merge_id, plan)
    return merge_id


def unmerge_customer(store: Store, merged_id: int, agent: AgentRow) -> int:
    """Undo the latest merge of `merged_id`; returns the survivor it was split from."""
    with agent_write(store, agent) as tx:
        row = tx.one(
            "SELECT id, survivor_id, identity_ids, conversation_ids, linked_via_before "
            "FROM customer_merge "
            "WHERE merged_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1", (merged_id,))
        if row is None:
            raise ActionError(f"Customer {merged_id} is not merged into anyone.")
        identity_ids = json.loads(row["identity_ids"])
        conversation_ids = json.loads(row["conversation_ids"])
        unfold(tx, row["id"])  # first: the folded messages go back to their conversation
        for ident in identity_ids:
            tx.execute("UPDATE identity SET customer_id = ? WHERE id = ?", (merged_id, ident))
        restore_linked_via(tx, row["linked_via_before"])
        for conv in conversation_ids:
            tx.execute("UPDATE conversation SET customer_id = ? WHERE id = ?", (merged_id, conv))
            tx.execute("UPDATE message SET customer_id = ? WHERE conversation_id = ?",
                       (merged_id, conv))
        tx.execute("UPDATE customer SET merged_into = NULL WHERE id = ?", (merged_id,))
        tx.execute("UPDATE customer_merge SET undone_at = ? WHERE id = ?", (tx.now, row["id"]))
        tx.event("customer_unmerged", customer_id=merged_id, survivor=row["survivor_id"])
    return int(row["survivor_id"])


def link_token(store: Store, customer_id: int, actor: str = "cli",
               agent: AgentRow | None = None) -> str:
    """The customer's deep-link token (made once, unguessable): a `/start <token>` from another
    channel links that identity to this customer. `agent`: made by that agent, in their
    checked write (a disabled agent gets none)."""
    import secrets

    with (store.write(actor) if agent is None else agent_write(store, agent)) as tx:
        _customer(tx, customer_id)
        token = tx.scalar("SELECT link_token FROM customer WHERE id = ?", (customer_id,))
        if token is None:
            token = secrets.token_urlsafe(24)
            tx.execute("UPDATE customer SET link_token = ? WHERE id = ?", (token, customer_id))
            tx.event("link_token", customer_id=customer_id)
    return str(token)
