"""Search finds the same messages and customers on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

Rows are written with plain SQL through the store, as any writer does: the engine's triggers
keep the search index, so these tests see what every writer's rows look like to a search.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from omnitui.store import queries, search_sql
from omnitui.store.console_queries import find_customers
from omnitui.store.db import Store, alembic_config, current_revision, head_revision, upgrade

CORPUS = [  # (customer, text, subject), oldest first
    ("Zofia Nowak", "Zamówienie numer 123 jeszcze nie dotarło", "Żółw w paczce"),
    ("Ольга Петрова", "Где моя доставка? Заказ оплачен вчера", None),
    ("أمينة حداد", "مرحبا، أين طلبي؟ الشحن متأخر", None),
    ("Marek Zieliński", "zamówienie dotarło, dziękuję — Łódź", None),
    ("Emma Johnson", "Parcel arrived, thanks!", "Re: Order #5521"),
]


def _customer(tx: Any, name: str, email: str | None = None, phone: str | None = None) -> int:
    return tx.insert("customer", {"name": name, "email": email, "phone": phone,
                                  "created_at": tx.now})


def _message(tx: Any, customer_id: int, text: str, subject: str | None = None) -> int:
    conversation = tx.insert("conversation", {
        "customer_id": customer_id, "channel": "chat", "created_at": tx.now,
        "last_message_at": tx.now})
    return tx.insert("message", {
        "conversation_id": conversation, "customer_id": customer_id, "kind": "inbound",
        "channel": "chat", "text": text, "subject": subject, "created_at": tx.now})


@pytest.fixture
def corpus(store: Store) -> dict[str, int]:
    """Message ids by customer name, written one transaction each (oldest first)."""
    ids = {}
    for name, text, subject in CORPUS:
        with store.write() as tx:
            ids[name] = _message(tx, _customer(tx, name), text, subject)
    return ids


def texts(store: Store, typed: str) -> list[str]:
    return [h.text for h in queries.search_messages(store, typed)]


def test_prefixes_from_the_second_letter_newest_first(store: Store, corpus: dict[str, int]) -> None:
    assert texts(store, "zamow") == ["zamówienie dotarło, dziękuję — Łódź",
                                     "Zamówienie numer 123 jeszcze nie dotarło"]
    assert texts(store, "za") == ["zamówienie dotarło, dziękuję — Łódź",
                                  "Zamówienie numer 123 jeszcze nie dotarło"]
    assert texts(store, "z") == [] and texts(store, "") == [] and texts(store, "— !") == []
    assert texts(store, "ZAMÓWIENIE DOTA") == texts(store, "zamow dot")
    assert texts(store, "zamow numer") == ["Zamówienie numer 123 jeszcze nie dotarło"]
    assert texts(store, "zamow nothere") == []


def test_polish_russian_and_arabic_words_are_found(store: Store, corpus: dict[str, int]) -> None:
    assert texts(store, "доста") == ["Где моя доставка? Заказ оплачен вчера"]
    assert texts(store, "ЗАКАЗ") == ["Где моя доставка? Заказ оплачен вчера"]
    assert texts(store, "الشح") == ["مرحبا، أين طلبي؟ الشحن متأخر"]
    assert texts(store, "طلبي") == ["مرحبا، أين طلبي؟ الشحن متأخر"]
    assert texts(store, "dziekuje") == ["zamówienie dotarło, dziękuję — Łódź"]


def test_accents_fold_as_fts5_folds_them(store: Store, corpus: dict[str, int]) -> None:
    """Accents are dropped from Latin letters; ł has none to drop (FTS5's unicode61 rule)."""
    polish = "Zamówienie numer 123 jeszcze nie dotarło"
    assert texts(store, "zołw") == [polish]  # the subject "Żółw w paczce"
    assert texts(store, "ŻÓŁW") == [polish]
    assert texts(store, "zolw") == []
    assert texts(store, "łodz") == ["zamówienie dotarło, dziękuję — Łódź"]
    assert texts(store, "lodz") == []


def test_revisions_and_subjects_are_searched(store: Store, corpus: dict[str, int]) -> None:
    with store.write() as tx:
        tx.insert("message_revision", {"message_id": corpus["Emma Johnson"],
                                       "text": "Parcel arrived damaged", "created_at": tx.now})
    assert texts(store, "damag") == ["Parcel arrived, thanks!"]
    assert texts(store, "5521") == ["Parcel arrived, thanks!"]
    assert texts(store, "parcel thanks") == ["Parcel arrived, thanks!"]  # the first text stays


def test_customers_are_found_by_name_and_addresses(store: Store, corpus: dict[str, int]) -> None:
    with store.write() as tx:
        olga = _customer(tx, "Olga Smirnova", "olga.s@example.org", "+48 600 100 200")
        _message(tx, olga, "hello")
        tx.insert("identity", {"customer_id": olga, "kind": "telegram", "address": "tg-olga77",
                               "channel": "bot", "created_at": tx.now})
    for typed in ("smirn", "olga.s", "example", "600 100", "tg olga77", "OLGA77"):
        assert [c.name for c in find_customers(store, typed)] == ["Olga Smirnova"], typed
    assert [c.name for c in find_customers(store, "петро")] == ["Ольга Петрова"]
    assert [c.name for c in find_customers(store, "حداد")] == ["أمينة حداد"]
    assert find_customers(store, "smirn", exclude=olga) == []
    # A customer whose messages do not say the words is still found, by their latest message.
    assert [(h.customer, h.text) for h in queries.search_messages(store, "smirnova")] == [
        ("Olga Smirnova", "hello")]


def test_typed_punctuation_is_only_words(store: Store, corpus: dict[str, int]) -> None:
    assert texts(store, '"; DROP TABLE message; --') == []
    assert texts(store, "parcel' OR '1'='1") == ["Parcel arrived, thanks!"]  # or: order
    assert texts(store, "parcel:* | zam") == []
    assert store.conn.execute("SELECT count(*) FROM message").fetchone()[0] == len(CORPUS)


@pytest.mark.parametrize("window", [4000, 7])
def test_pages_of_hits(store: Store, window: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages run newest first across PostgreSQL's recent window and the older hits."""
    monkeypatch.setattr(search_sql, "RECENT_WINDOW", window)
    with store.write() as tx:
        customer = _customer(tx, "Pat Page")
        for n in range(30):
            _message(tx, customer, f"parcel number {n}")
            _message(tx, customer, f"other words {n}" if n % 3 else f"more parcels {n}")
    pages = [[h.text for h in queries.search_messages(store, "parcel", limit=15, offset=o)]
             for o in (0, 15, 30, 45)]
    expected = []
    for n in range(29, -1, -1):
        expected += ([] if n % 3 else [f"more parcels {n}"]) + [f"parcel number {n}"]
    assert pages == [expected[:15], expected[15:30], expected[30:40], []]


# PostgreSQL's own structures -------------------------------------------------------------------


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> str:
    if request.config.getoption("--backend") != "postgresql":
        pytest.skip("PostgreSQL's search structures (the SQLite side is FTS5's own)")
    url = request.getfixturevalue("backend_database")
    assert isinstance(url, str)
    return url


def _sqlite_words(texts: list[str]) -> list[list[str]]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = "
                 "'unicode61 remove_diacritics 2')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    conn.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", enumerate(texts))
    words: list[list[str]] = [[] for _ in texts]
    for term, doc in conn.execute("SELECT term, doc FROM v"):
        words[doc].append(term)
    return [sorted(set(w)) for w in words]


# The blocks customers write in (Latin, Greek, Cyrillic, Arabic, punctuation, numbers), up to
# Unicode 6.1, whose tables FTS5 carries (it keeps later characters, even invisible ones, inside
# words).
BLOCKS = [(0x00A0, 0x024F), (0x0370, 0x03FF), (0x0400, 0x0527), (0x0600, 0x06FF),
          (0x1E00, 0x1EFF), (0x2000, 0x2065), (0x2070, 0x20B9), (0x2150, 0x2189),
          (0x2460, 0x24FF), (0x2776, 0x2793)]
LATER_THAN_FTS5 = {0x037F, 0x0605, 0x061C, 0x061D}
# Where FTS5's case folding and Unicode's lower case + NFC (ICU) part ways: symbol variants
# (µ, ſ, ς, ϐ ...) FTS5 folds to the plain letter, and ǡ, which FTS5 leaves whole.
FOLDED_APART = {0x00B5, 0x017F, 0x01E0, 0x01E1, 0x0374, 0x03C2, 0x03D0, 0x03D1, 0x03D5, 0x03D6,
                0x03F0, 0x03F1, 0x03F5, 0x1E9B}


def test_postgres_cuts_and_folds_words_as_fts5(pg: str) -> None:
    chars = [chr(c) for lo, hi in BLOCKS for c in range(lo, hi + 1)
             if unicodedata.category(chr(c)) != "Cn"
             and c not in FOLDED_APART | LATER_THAN_FTS5]
    samples = [f"q{ch}q" for ch in chars] + [
        "Żółw ŹDŹBŁO straße naïve café Crème cafe\u0301 Ёлка йогурт ПРИВЕТ",
        "مُحَمَّد مرحبا، كيف؟ ١٢٣ jan.nowak@example.com +48 600-100-200 a_b x\u00a0y «ef»"]
    with psycopg.connect(pg) as conn:
        ours = [sorted(conn.execute("SELECT omnitui_search_words(%s)", (s,)).fetchone()[0])
                for s in samples]
    theirs = _sqlite_words(samples)
    apart = [(s, o, t) for s, o, t in zip(samples, ours, theirs, strict=True) if o != t]
    assert [a[0] for a in apart] == []


def test_identity_moves_and_name_changes_are_searched(store: Store, pg: str) -> None:
    with store.write() as tx:
        kept = _customer(tx, "Kept Customer")
        gone = _customer(tx, "Merged Visitor")
        tx.insert("identity", {"customer_id": gone, "kind": "chat", "address": "visitor-q42",
                               "channel": "chat", "created_at": tx.now})
    assert [c.id for c in find_customers(store, "q42")] == [gone]
    with store.write() as tx:
        tx.execute("UPDATE identity SET customer_id = ? WHERE customer_id = ?", (kept, gone))
        tx.execute("UPDATE customer SET name = 'Renamed Kept' WHERE id = ?", (kept,))
    assert [c.id for c in find_customers(store, "q42")] == [kept]
    assert [c.id for c in find_customers(store, "renamed")] == [kept]
    assert find_customers(store, "kept customer") == []


@pytest.fixture
def empty_pg_database(pg: str, pg_cluster: Any) -> Iterator[str]:
    name = f"{pg.rsplit('/', 1)[1]}_old"
    with pg_cluster.admin() as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield pg_cluster.url(name)
    finally:
        pg_cluster.drop_database(name)


def test_upgrade_indexes_existing_rows_and_downgrade_removes_it(empty_pg_database: str) -> None:
    from alembic import command

    url = empty_pg_database
    upgrade(url, "0013")
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO customer (id, name, email, created_at) "
                     "VALUES (1, 'Stara Klientka', 'stara@example.org', 1)")
        conn.execute("INSERT INTO conversation (id, customer_id, channel, created_at, "
                     "last_message_at) VALUES (1, 1, 'mail', 1, 1)")
        conn.execute("INSERT INTO message (id, conversation_id, customer_id, kind, channel, "
                     "text, created_at) VALUES (1, 1, 1, 'inbound', 'mail', 'Gdzie paczka?', 1)")
        conn.execute("INSERT INTO message_revision (message_id, text, created_at) "
                     "VALUES (1, 'Gdzie jest przesyłka?', 2)")
    upgrade(url)
    store = Store.open(url)
    try:
        assert texts(store, "przesyłk") == ["Gdzie paczka?"] == texts(store, "paczk")
        assert [c.name for c in find_customers(store, "stara@exam")] == ["Stara Klientka"]
    finally:
        store.close()
    command.downgrade(alembic_config(url), "0013")
    with psycopg.connect(url) as conn:
        left = conn.execute("SELECT count(*) FROM pg_proc WHERE proname LIKE 'omnitui%%'"
                            ).fetchone()[0]
        assert left == 0
        assert conn.execute("SELECT to_regclass('message_search')").fetchone()[0] is None
    upgrade(url)
    assert current_revision(url) == head_revision()
