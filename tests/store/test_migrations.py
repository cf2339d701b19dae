"""A database made by an older version is upgraded in place with nothing lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from omnitui.store import queries
from omnitui.store.db import Store, StoreError, current_revision, head_revision, upgrade


def test_fresh_database_is_at_head_with_wal(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "omnitui.db")
    assert current_revision(store.path) == head_revision()
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_upgrade_from_first_schema_keeps_and_indexes_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    upgrade(path, "0001")
    assert current_revision(path) == "0001"
    conn = sqlite3.connect(path)
    conn.executescript(
        "INSERT INTO customer (id, name, created_at) VALUES (1, 'Old Customer', 1);"
        "INSERT INTO identity (customer_id, kind, address, channel, created_at)"
        " VALUES (1, 'email', 'old@example.org', 'mail', 1);"
        "INSERT INTO conversation (id, customer_id, channel, created_at, last_message_at)"
        " VALUES (1, 1, 'mail', 1, 1);"
        "INSERT INTO message (conversation_id, customer_id, kind, channel, text, created_at)"
        " VALUES (1, 1, 'inbound', 'mail', 'legacy parcel question', 1);")
    conn.commit()
    conn.close()
    store = Store.open(path)
    assert current_revision(path) == head_revision()
    assert [h.text for h in queries.search_messages(store, "parcel")] == ["legacy parcel question"]
    assert queries.search_messages(store, "old customer")
    assert store.conn.execute("SELECT count(*) FROM message").fetchone()[0] == 1


def test_missing_data_dir_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "nope" / "omnitui.db")


def test_not_an_omnitui_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError):
        Store.open(path)
