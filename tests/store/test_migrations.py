"""A database made by an older version is upgraded in place with nothing lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from omnitui.core.agents import add_agent
from omnitui.core.merge import unmerge_customer
from omnitui.store import queries
from omnitui.store.db import (
    Store,
    StoreError,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)


def test_fresh_database_is_at_head_with_wal(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "omnitui.db")
    assert current_revision(store.path) == head_revision()
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def upgraded_from(path: Path, revision: str, rows_sql: str) -> Store:
    """A database made at an old `revision`, filled with `rows_sql`, then opened (upgraded)."""
    upgrade(path, revision)
    assert current_revision(path) == revision
    conn = sqlite3.connect(path)
    conn.executescript(rows_sql)
    conn.commit()
    conn.close()
    store = Store.open(path)
    assert current_revision(path) == head_revision()
    return store


def test_upgrade_from_first_schema_keeps_and_indexes_rows(tmp_path: Path) -> None:
    store = upgraded_from(
        tmp_path / "old.db", "0001",
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


def test_upgrade_from_0006_adds_linked_via_and_old_merges_still_undo(tmp_path: Path) -> None:
    store = upgraded_from(
        tmp_path / "0006.db", "0006",
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


def test_linked_via_downgrades_past_the_search_triggers(tmp_path: Path) -> None:
    from alembic import command

    path = tmp_path / "down.db"
    upgrade(path)
    command.downgrade(alembic_config(path), "0006")
    conn = sqlite3.connect(path)
    columns = [r[1] for r in conn.execute("PRAGMA table_info(identity)")]
    conn.close()
    assert current_revision(path) == "0006" and "linked_via" not in columns
    Store.open(path).close()
    assert current_revision(path) == head_revision()


def test_missing_data_dir_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "nope" / "omnitui.db")


def test_not_an_omnitui_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError):
        Store.open(path)


def test_upgrade_from_0009_adds_signatures_starts_and_presence(tmp_path: Path) -> None:
    from alembic import command

    path = tmp_path / "0009.db"
    store = upgraded_from(
        path, "0009",
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
    command.downgrade(alembic_config(path), "0009")
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    columns = [r[1] for r in conn.execute("PRAGMA table_info(conversation)")]
    assert conn.execute("SELECT count(*) FROM conversation").fetchone()[0] == 1
    conn.close()
    assert not {"agent_signature", "chat_presence"} & tables and "started_by" not in columns
