"""The matching rules of customer recognition, one table per rule, near misses included."""

from __future__ import annotations

import pytest

from omnitui.core.match_keys import (
    local_part,
    name_keys,
    name_words,
    phone_e164,
    phones_in,
    quote_keys,
    refs_in,
    sent_key,
)
from omnitui.core.recognition import names_match


def folded(name: str) -> str:
    return " ".join(name_words(name))


NAMES = [
    # (known, new, same person?)
    ("Анна Ковальская", "Anna Kowalska", True),
    ("Анна Ковальская", "anna kowalska", True),
    ("Anna Kowalska", "ANNA KOWALSKA", True),
    ("Anna Kowalska", "Kowalska Anna", True),  # surname first
    ("Anna Kowalska", "Anna Maria Kowalska", True),  # a middle name
    ("Anna Kowalska", "Anna Kowalksa", True),  # a typo
    ("Łukasz Müller", "Lukasz Muller", True),  # diacritics
    ("Войцеховская Анна", "Anna Wojciechowska", True),
    ("Ольга Петрова", "Olga Petrova", True),
    ("Михаил Качмарек", "Michał Kaczmarek", True),
    ("Сергей Вишневская", "Sergei Wiśniewska", True),
    ("Zhanna Shevchenko", "Жанна Шевченко", True),
    ("Anna Kowalska", "Anna Nowak", False),  # another Anna
    ("Anna Kowalska", "Anna", False),  # a common first name alone
    ("Anna", "Anna", False),
    ("Anna Kowalska", "Anna Kowalski", False),  # feminine and masculine forms
    ("Ольга Петрова", "Olga Petrov", False),
    ("Anna Kowalska", "Anna Nowalska", False),  # close, but another surname
    ("Anna Kowalska", "Jan Kowalska", False),
    ("Anna Kowalska", "Kowalska", False),
    ("Anna Kowalska", "Anna Kowalczyk", False),
]


@pytest.mark.parametrize(("known", "new", "same"), NAMES)
def test_names(known: str, new: str, same: bool) -> None:
    assert names_match(folded(known), folded(new)) is same
    assert names_match(folded(new), folded(known)) is same


def test_name_keys_need_two_words_and_are_not_addresses() -> None:
    assert name_keys("Anna") == []
    assert name_keys("anna.k@example.org") == []
    assert [(k.kind, k.key) for k in name_keys("Анна Ковальская")] == [("name", "ana kova")]
    assert [k.key for k in name_keys("Kowalksa Anna")] == ["ana kova"]  # typo, surname first
    assert [k.key for k in name_keys("Anna Maria Kowalska")] == [
        "ana kova", "ana mari", "kova mari"]
    assert {k.detail for k in name_keys("Anna Kowalska")} == {"ana kovalska"}


PHONES = [
    # (written, region, E.164 or None)
    ("+48 600 123 456", None, "+48600123456"),
    ("+48 (600) 123-456", None, "+48600123456"),
    ("0048600123456", None, "+48600123456"),
    ("600 123 456", "PL", "+48600123456"),
    ("600-123-456", "PL", "+48600123456"),
    ("600 123 456", None, None),  # no country code and no region: not guessed
    ("+7 912 345-67-89", "PL", "+79123456789"),
    ("12345", "PL", None),
    ("+48 123", None, None),
    ("", "PL", None),
]


@pytest.mark.parametrize(("written", "region", "e164"), PHONES)
def test_phone_numbers(written: str, region: str | None, e164: str | None) -> None:
    assert phone_e164(written, region) == e164


def test_phones_written_in_a_message_in_any_format_and_kept_as_written() -> None:
    keys = phones_in("call me at 600 123 456 or +48 (601) 234-567; order 4412 from 2026-11-30",
                     "PL")
    assert [(k.key, k.detail) for k in keys] == [("+48600123456", "600 123 456"),
                                                 ("+48601234567", "+48 (601) 234-567")]


REFS = [
    # (text, [(number, word)])
    ("Where is order 4412?", [("4412", "order")]),
    ("my order #4412 never came", [("4412", "order")]),
    ("Zamówienie nr 4412 nie dotarło", [("4412", "order")]),
    ("заказ №4412 не пришёл", [("4412", "order")]),
    ("Invoice FV-2024-77 is wrong", [("FV202477", "invoice")]),
    ("ref: AB-10931", [("AB10931", "reference")]),
    ("Order no. 4412 and order 4413", [("4412", "order"), ("4413", "order")]),
    ("order 12", []),  # too short to tell orders apart
    ("I ordered 4412 items", []),  # a number without its word
    ("call 600 123 456", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), REFS)
def test_order_and_reference_numbers(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(k.key, k.detail) for k in refs_in(text, 7)] == expected
    assert all(k.conversation_id == 7 for k in refs_in(text, 7))


LOCAL_PARTS = [
    ("anna.kowalska@gmail.com", "anna.kowalska"),
    ("Anna.Kowalska+shop@wp.pl", "anna.kowalska"),
    ("akowalska1990@example.org", "akowalska1990"),
    ("ann.k@example.org", "ann.k"),
    ("anna@example.org", None),  # a first name: could be anybody's
    ("info@firma.pl", None),
    ("office@example.com", None),
    ("not an address", None),
]


@pytest.mark.parametrize(("address", "local"), LOCAL_PARTS)
def test_address_local_parts(address: str, local: str | None) -> None:
    assert local_part(address) == local


def test_a_quote_of_the_shops_reply_is_found_whatever_the_wrapping() -> None:
    sent = ("Hello Anna, we have re-sent your parcel today with the courier; it should arrive "
            "on Thursday.")
    key = sent_key(sent)
    assert key is not None
    quoted = ("On Mon, 30 Nov 2026 at 10:00, Shop <support@shop.example> wrote:\n"
              "> Hello Anna, we have re-sent your parcel\n> today with the courier; it should\n"
              "> arrive on Thursday.")
    assert key.key in quote_keys(quoted)
    assert key.key not in quote_keys("> Hello Anna, we have sent an invoice to you today.")
    assert sent_key("Thanks!") is None  # too short to tell one reply from another
