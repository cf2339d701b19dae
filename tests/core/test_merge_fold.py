"""One case stays one case: a merge folds the two customers' live conversations into the older
one, and an unmerge puts back exactly what was there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from omnitui.channels.base import Inbound
from omnitui.core import actions
from omnitui.core.agents import AgentRow
from omnitui.core.ingest import ingest
from omnitui.core.merge import merge_customers, preview_merge, unmerge_customer
from omnitui.store import queries
from omnitui.store.db import Store
from omnitui.store.inbox_query import InboxView, inbox_page


def telegram(ext: str, text: str, user: str = "5512", name: str = "Anna Kowalska") -> Inbound:
    return Inbound(channel="bot", kind="telegram", external_id=ext, address=user, text=text,
                   display_name=name)


def mail(ext: str, text: str, *, refs: tuple[str, ...] = (), token: str | None = None,
         sender: str = "anna.k@post.example") -> Inbound:
    return Inbound(channel="mail", kind="email", external_id=ext, address=sender, text=text,
                   display_name="Anna Kowalska", wire_id=f"<{ext}@post.example>",
                   subject="Order 4412", thread_refs=refs, reply_token=token)


def conversation_rows(store: Store) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in store.conn.execute(
        "SELECT id, customer_id, status, assignee_id, waiting_since, snoozed_until, due_at, "
        "subject, transfer_message_id, message_count, last_message_at, last_message_id, "
        "last_inbound_at, preview, first_response_at, merged_into FROM conversation ORDER BY id")]


def state(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a merge with fold may touch."""
    return {
        "conversation": conversation_rows(store),
        "message": [tuple(r) for r in store.conn.execute(
            "SELECT id, customer_id, conversation_id FROM message ORDER BY id")],
        "identity": [tuple(r) for r in store.conn.execute(
            "SELECT id, customer_id, linked_via FROM identity ORDER BY id")],
        "label": [tuple(r) for r in store.conn.execute(
            "SELECT conversation_id, label_id FROM conversation_label ORDER BY 1, 2")],
        "customer": [tuple(r) for r in store.conn.execute(
            "SELECT id, merged_into FROM customer ORDER BY id")],
    }


@pytest.fixture
def story(store: Store, ann: AgentRow, bob: AgentRow) -> tuple[int, int, int, int]:
    """Anna's Telegram case, called and transferred to bob; then her email from a new address.
    Returns (telegram customer, its conversation, email customer, its conversation)."""
    tg = ingest(store, telegram("t1", "Hi, where is order 4412?"))
    actions.log_call(store, tg.conversation_id, "Anna called about order 4412", ann)
    actions.transfer(store, tg.conversation_id, "bob", "Order 4412 lost by the courier", ann)
    actions.label(store, tg.conversation_id, "courier", ann)
    em = ingest(store, mail("e1", "Still no parcel for order 4412?"))
    actions.label(store, em.conversation_id, "refund", ann)
    assert em.customer_id != tg.customer_id
    return tg.customer_id, tg.conversation_id, em.customer_id, em.conversation_id


def test_preview_says_what_will_fold(store: Store, story: tuple[int, int, int, int]) -> None:
    tg_customer, tg_conv, em_customer, em_conv = story
    plan = preview_merge(store, tg_customer, em_customer).fold_plan
    assert plan is not None
    assert (plan.target_id, plan.assignee, [c.id for c in plan.folded]) == (tg_conv, "bob",
                                                                           [em_conv])
    assert plan.describe() == (f"#{em_conv} (mail, 1 message) folds into the older "
                               f"conversation #{tg_conv} (bot, assigned to bob).")


def test_fold_keeps_the_older_case_its_agent_and_note(store: Store, ann: AgentRow,
                                                      bob: AgentRow,
                                                      story: tuple[int, int, int, int]) -> None:
    tg_customer, tg_conv, em_customer, em_conv = story
    note_id = store.conn.execute("SELECT transfer_message_id FROM conversation WHERE id = ?",
                                 (tg_conv,)).fetchone()[0]
    # The newer customer is the survivor here: the older conversation still wins.
    merge_customers(store, em_customer, tg_customer, bob, fold_cases=True)
    kinds = [(m.kind, m.channel) for m in queries.conversation_messages(store, tg_conv)]
    assert kinds == [("inbound", "bot"), ("call", None), ("transfer", None), ("inbound", "mail")]
    detail = queries.conversation_detail(store, tg_conv)
    assert (detail.assignee, detail.status, detail.customer_id) == ("bob", "open", em_customer)
    assert detail.transfer_note is not None and detail.transfer_note.id == note_id
    assert detail.labels == ("courier", "refund")
    assert detail.subject == "Order 4412"  # an email reply gets the customer's subject
    folded = queries.conversation_detail(store, em_conv)
    assert folded.merged_into == tg_conv
    shown = [r.id for r in inbox_page(store, InboxView(scope="all", agent_id=bob.id), 0, 50)]
    assert tg_conv in shown and em_conv not in shown
    # A reply goes where the customer last wrote: the new email address.
    assert actions.reply(store, tg_conv, "We re-sent it today.", bob).channel == "mail"


def test_later_email_replies_land_in_the_surviving_case(store: Store, bob: AgentRow,
                                                        story: tuple[int, int, int, int]) -> None:
    tg_customer, tg_conv, em_customer, em_conv = story
    queued = actions.reply(store, em_conv, "Looking into it", bob)
    token = store.conn.execute("SELECT reply_token FROM message WHERE id = ?",
                               (queued.message_id,)).fetchone()[0]
    merge_customers(store, tg_customer, em_customer, bob, fold_cases=True)
    by_ref = ingest(store, mail("e2", "any news?", refs=("<e1@post.example>",)))
    by_token = ingest(store, mail("e3", "hello?", token=token))
    assert by_ref.conversation_id == by_token.conversation_id == tg_conv
    again = ingest(store, mail("e2", "any news?", refs=("<e1@post.example>",)))
    assert not again.created  # exactly once still holds
    assert store.conn.execute("SELECT count(*) FROM message WHERE external_id = 'e2'"
                              ).fetchone()[0] == 1


def test_unmerge_undoes_the_fold_exactly(store: Store, bob: AgentRow,
                                         story: tuple[int, int, int, int]) -> None:
    tg_customer, tg_conv, em_customer, _em_conv = story
    actions.snooze(store, tg_conv, bob, until=datetime.now(UTC) + timedelta(hours=1))
    before = state(store)
    merge_customers(store, tg_customer, em_customer, bob, fold_cases=True)
    assert state(store) != before
    assert queries.conversation_detail(store, tg_conv).status == "open"  # Anna waits
    unmerge_customer(store, em_customer, bob)
    assert state(store) == before


def test_unmerge_keeps_what_happened_after_the_fold(store: Store, bob: AgentRow,
                                                    story: tuple[int, int, int, int]) -> None:
    tg_customer, tg_conv, em_customer, em_conv = story
    merge_customers(store, tg_customer, em_customer, bob, fold_cases=True)
    later = actions.note(store, tg_conv, "Refund promised", bob)
    actions.resolve(store, tg_conv, bob)
    unmerge_customer(store, em_customer, bob)
    survivor = queries.conversation_messages(store, tg_conv)
    assert [m.kind for m in survivor] == ["inbound", "call", "transfer", "note"]
    assert survivor[-1].id == later
    assert queries.conversation_detail(store, tg_conv).status == "resolved"
    back = queries.conversation_detail(store, em_conv)
    assert (back.merged_into, back.status, back.customer_id) == (None, "open", em_customer)
    assert [m.text for m in queries.conversation_messages(store, em_conv)] == [
        "Still no parcel for order 4412?"]
    count = store.conn.execute("SELECT message_count FROM conversation WHERE id = ?",
                               (tg_conv,)).fetchone()[0]
    assert count == 4


def test_without_fold_both_cases_stay(store: Store, bob: AgentRow,
                                      story: tuple[int, int, int, int]) -> None:
    tg_customer, _tg_conv, em_customer, em_conv = story
    merge_customers(store, tg_customer, em_customer, bob)
    assert queries.conversation_detail(store, em_conv).merged_into is None
    assert store.conn.execute("SELECT count(*) FROM conversation_fold").fetchone()[0] == 0


def test_nothing_to_fold_when_one_side_has_no_live_case(store: Store, bob: AgentRow,
                                                        story: tuple[int, int, int, int]) -> None:
    tg_customer, _tg_conv, em_customer, em_conv = story
    actions.resolve(store, em_conv, bob)
    assert preview_merge(store, tg_customer, em_customer).fold_plan is None
    merge_customers(store, tg_customer, em_customer, bob, fold_cases=True)
    assert queries.conversation_detail(store, em_conv).merged_into is None


def test_an_unassigned_older_case_takes_the_newer_ones_agent(store: Store, ann: AgentRow,
                                                             bob: AgentRow) -> None:
    tg = ingest(store, telegram("t1", "hello"))
    em = ingest(store, mail("e1", "order 4412?"))
    actions.assign(store, em.conversation_id, "bob", ann)
    plan = preview_merge(store, tg.customer_id, em.customer_id).fold_plan
    assert plan is not None and plan.assignee == "bob"
    merge_customers(store, tg.customer_id, em.customer_id, ann, fold_cases=True)
    assert queries.conversation_detail(store, tg.conversation_id).assignee == "bob"
