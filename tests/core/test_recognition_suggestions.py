"""Suggestions made by real ingest into a real SQLite file: reasons, near misses, memory of
decisions, merges, the inbox marks and the switch that turns them off."""

from __future__ import annotations

import json
from typing import Any

import pytest

from omnitui.channels.base import Inbound
from omnitui.core.agents import AgentRow
from omnitui.core.errors import ActionError
from omnitui.core.ingest import ingest
from omnitui.core.merge import merge_customers, unmerge_customer
from omnitui.core.recognition_options import RecognitionSettings
from omnitui.core.reply import reply
from omnitui.core.suggestions import (
    dismiss_suggestion,
    open_suggestions,
    suggestion_label,
    suggestion_marks,
)
from omnitui.store.db import Store

PL = RecognitionSettings(phone_region="PL")


def telegram(ext: str, user: str, text: str, name: str) -> Inbound:
    return Inbound(channel="bot", kind="telegram", external_id=ext, address=user, text=text,
                   display_name=name)


def mail(ext: str, sender: str, text: str, name: str | None = None, **kw: Any) -> Inbound:
    return Inbound(channel="mail", kind="email", external_id=ext, address=sender, text=text,
                   display_name=name, wire_id=f"<{ext}@mail.example>", **kw)


def put(store: Store, item: Inbound, settings: RecognitionSettings = PL) -> int:
    return ingest(store, item, recognition=settings).customer_id


def labels(store: Store) -> list[str]:
    return [suggestion_label(s) for s in open_suggestions(store)]


def test_a_new_address_with_the_same_name_and_order_is_suggested_with_both_reasons(
        store: Store) -> None:
    anna = put(store, telegram("1", "5512", "Hi, my order 4412 has not arrived",
                               "Анна Ковальская"))
    new = put(store, mail("m1", "anna.k@example.org", "Hello, any news?", "Anna Kowalska"))
    assert labels(store) == ["probably Анна Ковальская: same name"]
    # The order number comes in a second mail: new evidence, added to the same suggestion.
    put(store, mail("m2", "anna.k@example.org", "It is about order 4412."))
    [s] = open_suggestions(store)
    assert (s.customer_id, s.candidate_id) == (new, anna)
    assert s.reasons == ["same name", "order 4412"]
    assert [d["kind"] for d in s.details] == ["name", "ref"]
    assert suggestion_label(s) == "probably Анна Ковальская: same name, order 4412"
    assert suggestion_marks(store, [new, anna, 999]) == {new: suggestion_label(s)}
    # From the known customer's side, the same suggestion, turned round.
    [mine] = open_suggestions(store, anna)
    assert (mine.customer_id, mine.candidate_id, mine.candidate_name) == (
        anna, new, "Anna Kowalska")
    kinds = [r[0] for r in store.conn.execute(
        "SELECT data FROM event WHERE kind = 'suggestion' ORDER BY id")]
    assert [json.loads(k)["state"] for k in kinds] == ["open", "open"]


NEAR_MISSES = [
    ("another Anna", "Anna Nowak", "Hello"),
    ("a common first name alone", "Anna", "Hello"),
    ("a different order number", "Marta Zielińska", "Where is order 4413?"),
    ("the husband", "Jan Kowalski", "Hello"),
    ("Kowalski, not Kowalska", "Anna Kowalski", "Hello"),
]


@pytest.mark.parametrize(("why", "name", "text"), NEAR_MISSES)
def test_near_misses_suggest_nothing(store: Store, why: str, name: str, text: str) -> None:
    put(store, telegram("1", "5512", "Hi, my order 4412 has not arrived", "Anna Kowalska"))
    put(store, mail("m1", "someone@example.org", text, name))
    assert labels(store) == [], why


def test_the_same_phone_in_another_format_and_the_same_local_part(store: Store) -> None:
    put(store, telegram("1", "5512", "my number is 600 123 456", "Marek N"))
    put(store, mail("m1", "marek.nowak@example.org", "hi", "M."))
    put(store, mail("m2", "x@shop.example", "call +48 (600) 123-456 please", "Somebody"))
    put(store, mail("m3", "marek.nowak@other.example", "hello again", "M. N."))
    assert sorted(labels(store)) == [
        "probably M.: same address at another domain",
        "probably Marek N: same phone",
    ]


def test_an_order_number_counts_only_in_live_conversations(store: Store, ann: AgentRow) -> None:
    from omnitui.core.actions import resolve

    res = ingest(store, telegram("1", "5512", "order 4412 is late", "Olga Petrova"),
                 recognition=PL)
    resolve(store, res.conversation_id, ann)
    put(store, mail("m1", "o@example.org", "about order 4412", "Somebody Else"))
    assert labels(store) == []


def test_a_number_many_customers_mention_is_nobodys(store: Store) -> None:
    for n in range(4):  # the shop's own number, quoted back in signatures
        put(store, mail(f"m{n}", f"person{n}.x@example.org", "your shop: +48 22 123 45 67",
                        f"Person{n} Unique{n}"))
    new = put(store, mail("m9", "new.one@example.org", "tel +48 22 123 45 67", "New One"))
    assert open_suggestions(store, new) == []


def test_a_reply_to_the_shops_mail_to_another_customer(store: Store, ann: AgentRow) -> None:
    res = ingest(store, mail("m1", "olga@example.org", "where is it?", "Olga P"),
                 recognition=PL)
    sent = reply(store, res.conversation_id, "Hello Olga, we have re-sent your parcel today "
                 "with the courier; it should arrive on Thursday.", ann)
    store.conn.execute("UPDATE message SET wire_id = '<reply-1@shop.example>' WHERE id = ?",
                       (sent.message_id,))
    put(store, mail("m2", "olga.work@company.example", "thanks, and the invoice?", "O.",
                    thread_refs=("<reply-1@shop.example>",)))
    put(store, mail("m3", "olga.home@home.example", "and where is it now?", "O. P.",
                    quoted_text="On Monday Shop wrote:\n> Hello Olga, we have re-sent your "
                                "parcel today\n> with the courier; it should arrive on Thursday."))
    assert sorted(labels(store)) == ["probably Olga P: answers our mail to them",
                                     "probably Olga P: quotes our reply to them"]


def test_a_dismissal_is_remembered_until_a_new_kind_of_reason(store: Store,
                                                               ann: AgentRow) -> None:
    put(store, telegram("1", "5512", "order 4412?", "Anna Kowalska"))
    put(store, mail("m1", "anna.k@example.org", "hello", "Anna Kowalska"))
    [s] = open_suggestions(store)
    dismiss_suggestion(store, s.id, ann)
    assert open_suggestions(store) == []
    with pytest.raises(ActionError, match="already dismissed"):
        dismiss_suggestion(store, s.id, ann)
    put(store, mail("m2", "anna.k@example.org", "hello again, Anna Kowalska"))
    assert open_suggestions(store) == []  # the same kind of reason again: quiet
    put(store, mail("m3", "anna.k@example.org", "it is about order 4412"))
    [again] = open_suggestions(store)  # an order number is a new kind: asked again
    assert again.id == s.id and again.reasons == ["same name", "order 4412"]


def test_a_merge_marks_it_merged_and_an_unmerge_does_not_bring_it_back(
        store: Store, ann: AgentRow) -> None:
    anna = put(store, telegram("1", "5512", "order 4412?", "Anna Kowalska"))
    new = put(store, mail("m1", "anna.k@example.org", "order 4412", "Anna Kowalska"))
    merge_customers(store, anna, new, ann)
    assert open_suggestions(store) == []
    assert store.conn.execute("SELECT state FROM match_suggestion").fetchone()[0] == "merged"
    # Mail after the merge joins Anna and suggests nothing about herself.
    assert put(store, mail("m2", "anna.k@example.org", "order 4412 again")) == anna
    assert open_suggestions(store) == []
    unmerge_customer(store, new, ann)
    put(store, mail("m3", "anna.k@example.org", "still about order 4412"))
    assert open_suggestions(store) == []


def test_switched_off_nothing_is_kept_or_suggested(store: Store) -> None:
    off = RecognitionSettings(suggestions=False)
    put(store, telegram("1", "5512", "order 4412?", "Anna Kowalska"), off)
    put(store, mail("m1", "anna.k@example.org", "order 4412", "Anna Kowalska"), off)
    assert labels(store) == []
    assert store.conn.execute("SELECT count(*) FROM match_key").fetchone()[0] == 0


def test_the_upgrade_gives_existing_customers_their_keys(store: Store) -> None:
    from omnitui.core.match_keys import backfill

    off = RecognitionSettings(suggestions=False)
    put(store, telegram("1", "5512", "order 4412? call +48 600 123 456", "Anna Kowalska"), off)
    conn = store.database.connect()  # as the migration runs it: one transaction of its own
    try:
        conn.execute("BEGIN")
        backfill(conn)
        conn.execute("COMMIT")
    finally:
        conn.close()
    assert store.conn.execute("SELECT count(*) FROM match_key").fetchone()[0] > 0
    put(store, mail("m1", "a.k@example.org", "order 4412, tel. +48600123456", "Anna Kowalska"))
    assert labels(store) == ["probably Anna Kowalska: same name, same phone, order 4412"]


def test_a_name_many_customers_share_counts_only_beside_other_evidence(store: Store) -> None:
    for n in range(4):
        put(store, telegram(f"{n}", f"55{n}", f"order 441{n}?", "Anna Nowak"))
    new = put(store, mail("m1", "a.nowak@example.org", "hello", "Anna Nowak"))
    assert open_suggestions(store, new) == []
    put(store, mail("m2", "a.nowak@example.org", "about order 4412"))
    assert [suggestion_label(s) for s in open_suggestions(store, new)] == [
        "probably Anna Nowak: same name, order 4412"]
