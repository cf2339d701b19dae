"""A database made by an older version is upgraded in place with nothing lost (on the run's
engine: each test's database is a new one, with no schema until the test upgrades it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from omnitui.core.agents import add_agent
from omnitui.core.merge import unmerge_customer
from omnitui.store import queries
from omnitui.store.database import Database
from omnitui.store.db import (
    Store,
    StoreError,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)
from omnitui.store.schema_files import files_head

NewDatabase = Callable[..., Database]


@pytest.fixture
def new_db(another_database: NewDatabase) -> Callable[[str], Database]:
    return lambda name: another_database(name, empty=True)


def test_fresh_database_is_at_head(new_db: Callable[[str], Database]) -> None:
    store = Store.open(new_db("omnitui"))
    try:
        assert current_revision(store.database) == head_revision()
        if not store.database.is_postgres:  # SQLite's own settings, kept in the file
            assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with pytest.raises(sqlite3.IntegrityError), store.write() as tx:  # on both engines
            tx.execute("INSERT INTO identity (customer_id, kind, address, channel, "
                       "created_at) VALUES (999, 'email', 'x@example.org', 'mail', 1)")
    finally:
        store.close()


def run_script(database: Database, sql: str) -> None:
    """Several statements in one go, as an old version's rows were written."""
    conn = database.connect()
    try:
        if database.is_postgres:
            conn.execute(sql)  # one round trip: PostgreSQL takes several statements at once
        else:
            conn.executescript(sql)
    finally:
        conn.close()


def schema_of(database: Database) -> dict[str, list[str]]:
    """Each table's column names, as the engine itself lists them."""
    engine = sa.create_engine(database.sqlalchemy_url())
    try:
        inspector = sa.inspect(engine)
        return {t: [c["name"] for c in inspector.get_columns(t)]
                for t in inspector.get_table_names()}
    finally:
        engine.dispose()


def upgraded_from(database: Database, revision: str, rows_sql: str) -> Store:
    """A database made at an old `revision`, filled with `rows_sql`, then opened (upgraded)."""
    upgrade(database, revision)
    assert current_revision(database) == revision
    run_script(database, rows_sql)
    store = Store.open(database)
    assert current_revision(database) == head_revision()
    return store


def test_upgrade_from_first_schema_keeps_and_indexes_rows(
        new_db: Callable[[str], Database]) -> None:
    store = upgraded_from(
        new_db("old"), "0001",
        "INSERT INTO customer (id, name, created_at) VALUES (1, 'Old Customer', 1);"
        "INSERT INTO identity (customer_id, kind, address, channel, created_at)"
        " VALUES (1, 'email', 'old@example.org', 'mail', 1);"
        "INSERT INTO conversation (id, customer_id, channel, created_at, last_message_at)"
        " VALUES (1, 1, 'mail', 1, 1);"
        "INSERT INTO message (conversation_id, customer_id, kind, channel, text, created_at)"
        " VALUES (1, 1, 'inbound', 'mail', 'legacy parcel question', 1);")
    assert [h.text for h in queries.search_messages(store, "parcel")] == ["legacy parcel question"]
    assert queries.search_messages(store, "old customer")
    assert store.conn.execute("SELECT count(*) FROM message").fetchone()[0] == 1


def test_upgrade_from_0006_adds_linked_via_and_old_merges_still_undo(
        new_db: Callable[[str], Database]) -> None:
    store = upgraded_from(
        new_db("v0006"), "0006",
        "INSERT INTO customer (id, name, email, created_at) VALUES (1, 'Olga', 'olga@x.org', 1);"
        "INSERT INTO customer (id, name, merged_into, created_at) VALUES (2, 'Visitor', 1, 2);"
        "INSERT INTO identity (id, customer_id, kind, address, channel, created_at)"
        " VALUES (1, 1, 'email', 'olga@x.org', 'mail', 1), (2, 1, 'chat', 'v2', 'chat', 2);"
        "INSERT INTO customer_merge (survivor_id, merged_id, identity_ids, conversation_ids,"
        " created_at) VALUES (1, 2, '[2]', '[]', 3);")
    assert [(i["address"], i["linked_via"]) for i in queries.identities_of(store, 1)] == [
        ("olga@x.org", None), ("v2", None)]
    unmerge_customer(store, 2, add_agent(store, "ann", "Ann"))  # a merge made before 0007
    assert [i["address"] for i in queries.identities_of(store, 2)] == ["v2"]
    store.close()


def test_linked_via_downgrades_past_the_search_triggers(
        new_db: Callable[[str], Database]) -> None:
    from alembic import command

    database = new_db("down")
    upgrade(database)
    command.downgrade(alembic_config(database), "0006")
    assert current_revision(database) == "0006"
    assert "linked_via" not in schema_of(database)["identity"]
    Store.open(database).close()
    assert current_revision(database) == head_revision()


@pytest.mark.skipif("config.getoption('--backend') == 'postgresql'",
                    reason="a SQLite store is a file in the data directory; a PostgreSQL "
                           "database that is not there: test_a_missing_database_is_a_sentence")
def test_missing_data_dir_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "nope" / "omnitui.db")


@pytest.mark.skipif("config.getoption('--backend') == 'postgresql'",
                    reason="a file that is not SQLite; on PostgreSQL a database without "
                           "omnitui's schema: test_opening_without_migrating_refuses_a_database_"
                           "without_the_schema")
def test_not_an_omnitui_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError):
        Store.open(path)


def test_a_missing_database_is_a_sentence(backend_database: str | None) -> None:
    if backend_database is None:
        pytest.skip("a SQLite store's missing data dir: test_missing_data_dir_is_a_sentence")
    url = backend_database.rsplit("/", 1)[0] + "/no_such_shop"
    with pytest.raises(StoreError) as refused:
        Store.open(url)
    message = str(refused.value)
    assert "no_such_shop" in message and "\n" not in message and "Traceback" not in message


def test_opening_without_migrating_refuses_a_database_without_the_schema(
        new_db: Callable[[str], Database]) -> None:
    database = new_db("bare")
    with pytest.raises(StoreError, match="is not an omnitui database; run 'omnitui init'"):
        Store.open(database, migrate=False)


def test_upgrade_from_0009_adds_signatures_starts_and_presence(
        new_db: Callable[[str], Database]) -> None:
    from alembic import command

    database = new_db("v0009")
    store = upgraded_from(
        database, "0009",
        "INSERT INTO agent (id, username, name, role, disabled, created_at)"
        " VALUES (1, 'ann', 'Ann', 'agent', 0, 1);"
        "INSERT INTO customer (id, name, created_at) VALUES (1, 'Olga', 1);"
        "INSERT INTO conversation (id, customer_id, channel, created_at, last_message_at)"
        " VALUES (1, 1, 'mail', 1, 1);")
    assert store.conn.execute("SELECT started_by FROM conversation").fetchall()[0][0] is None
    with store.write("test") as tx:
        tx.execute("INSERT INTO agent_signature VALUES (1, '', 'Ann', 1)")
        tx.execute("INSERT INTO chat_presence VALUES ('chat', 'v1', 1)")
    store.close()
    command.downgrade(alembic_config(database), "0009")
    schema = schema_of(database)
    conn = database.connect()
    try:
        assert conn.execute("SELECT count(*) FROM conversation").fetchone()[0] == 1
    finally:
        conn.close()
    assert not {"agent_signature", "chat_presence"} & set(schema)
    assert "started_by" not in schema["conversation"]


def test_opening_a_current_store_does_not_import_alembic(new_db: Callable[[str], Database]) -> None:
    """Every command and the console open the store at start: one that is up to date is known
    from the migration files' revision lines, without Alembic's 0.6 s import."""
    import subprocess
    import sys

    database = new_db("current")
    upgrade(database)
    where = database.url or str(database.path)
    code = ("import sys; from omnitui.store.db import Store; Store.open(sys.argv[1]).close(); "
            "print(sorted(m for m in ('alembic', 'sqlalchemy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, where], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip() == "[]"
    assert files_head() == head_revision()
