"""A customer writing again with what the shop already knows (the same order number, the same
phone in the signature) costs no writes and no phone parsing, yet anything new still counts;
and keys are compared as the unique index compares them."""

from __future__ import annotations

import re

from omnitui.channels.base import Inbound
from omnitui.core import match_keys
from omnitui.core.agents import AgentRow
from omnitui.core.ingest import ingest
from omnitui.core.match_keys import Key, add_new_keys, digit_windows, stored_keys
from omnitui.core.merge import merge_customers
from omnitui.core.recognition_options import RecognitionSettings
from omnitui.core.suggestions import open_suggestions, suggestion_label
from omnitui.store.db import Store

PL = RecognitionSettings(phone_region="PL")


def chat(ext: str, visitor: str, text: str, name: str | None = None) -> Inbound:
    return Inbound(channel="chat", kind="chat", external_id=ext, address=visitor, text=text,
                   display_name=name)


def keys_of(store: Store, customer_id: int) -> list[tuple[str, str, str | None, int | None]]:
    return [tuple(r) for r in store.conn.execute(
        "SELECT kind, key, detail, conversation_id FROM match_key WHERE customer_id = ?"
        " ORDER BY id", (customer_id,))]


def test_a_repeated_signature_is_not_parsed_again_and_writes_nothing(store: Store) -> None:
    text = "Where is my order 4412? Call me: 612 345 678"
    first = ingest(store, chat("1", "v-1", text, "Anna Kowalska"), recognition=PL)
    before = keys_of(store, first.customer_id)
    assert ("phone", "+48612345678", "612 345 678", None) in before
    assert ("ref", "4412", "order", first.conversation_id) in before
    match_keys.phone_e164.cache_clear()  # as in a hub started after her first message
    again = ingest(store, chat("2", "v-1", f"Any news? {text}"), recognition=PL)
    assert again.customer_id == first.customer_id
    assert match_keys.phone_e164.cache_info().misses == 0
    assert keys_of(store, first.customer_id) == before


def test_new_evidence_from_a_known_customer_is_still_stored_and_suggested(store: Store) -> None:
    anna = ingest(store, chat("1", "v-1", "Call me: 612 345 678", "Anna Kowalska"),
                  recognition=PL).customer_id
    other = ingest(store, chat("2", "v-2", "Hello", "Olga Petrova"), recognition=PL)
    # The same number written another way is parsed: it is new text, and it is Anna's number.
    ingest(store, chat("3", "v-2", "My number is +48 612-345-678"), recognition=PL)
    assert ("phone", "+48612345678", "+48 612-345-678", None) in keys_of(store,
                                                                        other.customer_id)
    [s] = open_suggestions(store)
    assert (s.customer_id, s.candidate_id) == (other.customer_id, anna)
    assert suggestion_label(s) == "probably Anna Kowalska: same phone"


def test_keys_are_new_by_kind_key_and_conversation_as_the_unique_index_says(
        store: Store) -> None:
    customer = ingest(store, chat("1", "v-1", "Hello", "Anna Kowalska"),
                      recognition=PL).customer_id
    with store.write("test") as tx:
        stored = stored_keys(tx.conn, customer)
        first = add_new_keys(tx.conn, customer, [
            Key("ref", "4412", "order", 7), Key("ref", "4412", "order", 8),
            Key("ref", "4412", "order", 7), Key("local", "anna.kowalska", "a@x.org")],
            stored, tx.now)
        assert [(k.key, k.conversation_id) for k in first] == [
            ("4412", 7), ("4412", 8), ("anna.kowalska", None)]
        again = add_new_keys(tx.conn, customer, [Key("ref", "4412", "order", 8),
                                                 Key("ref", "4412", "order", 9)], stored, tx.now)
        assert [k.conversation_id for k in again] == [9]
        assert stored == stored_keys(tx.conn, customer)


def test_a_merged_customer_is_found_through_its_survivor(store: Store, ann: AgentRow) -> None:
    anna = ingest(store, chat("1", "v-1", "Call me: 612 345 678", "Anna Kowalska"),
                  recognition=PL).customer_id
    twin = ingest(store, chat("2", "v-2", "Hello", "Jan Nowak"), recognition=PL).customer_id
    merge_customers(store, twin, anna, ann)
    newcomer = ingest(store, chat("3", "v-3", "Call me at 612345678"), recognition=PL)
    [s] = open_suggestions(store)
    assert (s.customer_id, s.candidate_id) == (newcomer.customer_id, twin)


def test_digit_runs_are_the_runs_of_three_digits_or_more() -> None:
    text = "12 abc 123 x 4567890 ٣٤٥٦ y 99 " + "filler words " * 20 + "order 100234"
    windows = digit_windows(text)
    runs = [m.group(0) for w in windows for m in re.finditer(r"\d{3,}", w)]
    assert runs == ["123", "4567890", "٣٤٥٦", "100234"]
