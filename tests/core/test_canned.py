"""Canned answers: variables with fallbacks, prompted placeholders, errors that name the gap."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnitui.core import canned
from omnitui.core.canned import CannedError, prompts, render
from omnitui.store.database import Database
from omnitui.store.db import Store

VARS = {"customer.first_name": "Olga", "agent.name": "Ann", "conversation.id": "7",
        "customer.email": None}


@pytest.mark.parametrize(
    ("body", "answers", "expected"),
    [
        ("Hi {customer.first_name|there}!", {}, "Hi Olga!"),
        ("Hi {customer.email|friend}", {}, "Hi friend"),
        ("Case {conversation.id}, {agent.name}", {}, "Case 7, Ann"),
        ("Order {?order number} ships {?date}", {"order number": "42", "date": "Mon"},
         "Order 42 ships Mon"),
        ("Braces {{like this}}", {}, "Braces {like this}"),
        ("", {}, ""),
    ],
)
def test_render_table(body: str, answers: dict[str, str], expected: str) -> None:
    assert render(body, VARS, answers) == expected


def test_missing_variable_is_named() -> None:
    with pytest.raises(CannedError, match=r"customer\.email"):
        render("Mail {customer.email}", VARS)
    with pytest.raises(CannedError, match="order number"):
        render("Order {?order number}", VARS, {})


def test_broken_templates_are_rejected() -> None:
    for body in ("oops {", "oops }", "{not valid!}", "{?}"):
        with pytest.raises(CannedError):
            canned.parse(body)


def test_prompts_are_unique_and_ordered() -> None:
    assert prompts("{?b} {?a} {?b}") == ["b", "a"]


names = st.sampled_from(["customer.first_name", "agent.name", "conversation.id"])
plain = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=30)


@given(st.lists(st.one_of(plain, names.map(lambda n: "{" + n + "}")), max_size=12))
def test_render_substitutes_every_variable(parts: list[str]) -> None:
    body = "".join(parts)
    expected = "".join(VARS[p[1:-1]] if p.startswith("{") else p for p in parts)  # type: ignore[misc]
    assert render(body, VARS) == expected


@given(plain, plain)
def test_fallback_used_only_when_missing(fallback: str, text: str) -> None:
    fallback = fallback.replace("|", "")
    if not fallback.strip():
        return
    # Whitespace around a fallback is trimmed: {customer.name | friend} reads naturally.
    assert render(text + "{customer.email|" + fallback + "}", VARS) == text + fallback.strip()


def test_import_export_round_trip(store: Store, tmp_path: Path,
                                  another_database: Callable[..., Database]) -> None:
    src = tmp_path / "canned.toml"
    src.write_text(
        '[[canned]]\nname = "shipping"\ntitle = "Where is my order"\ntags = ["orders"]\n'
        'body = "Hi {customer.first_name|there}, order {?order number} ships today."\n\n'
        '[[canned]]\nname = "shipping"\nlanguage = "ru"\nbody = "Здравствуйте! Заказ {?номер}."\n',
        encoding="utf-8")
    assert canned.import_toml(store, src) == 2
    assert canned.import_toml(store, src) == 2  # updates, never duplicates
    rows = canned.all_canned(store)
    assert [(c.name, c.language) for c in rows] == [("shipping", ""), ("shipping", "ru")]
    again = tmp_path / "again.toml"
    again.write_text(canned.export_toml(store), encoding="utf-8")
    other = Store.open(another_database("other"))
    try:
        assert canned.import_toml(other, again) == 2
        assert ([(c.body, c.tags) for c in canned.all_canned(other)]
                == [(c.body, c.tags) for c in rows])
    finally:
        other.close()


def test_import_reports_bad_entries(store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[canned]]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(CannedError, match="Entry 1"):
        canned.import_toml(store, bad)
    bad.write_text('[[canned]]\nname = "x"\nbody = "hi {"\n', encoding="utf-8")
    with pytest.raises(CannedError, match="brace"):
        canned.import_toml(store, bad)
    assert canned.all_canned(store) == []
