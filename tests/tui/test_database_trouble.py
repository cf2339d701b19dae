"""The sentences the console shows when its database does not answer or says no."""

from __future__ import annotations

import sqlite3

from omnitui.store.database import Database
from omnitui.store.db import StoreError
from omnitui.tui.database_trouble import database_trouble

SERVER = Database.at("postgresql://omnitui_agent:secret@db.shop.example:5433/omnitui")


def test_a_server_that_does_not_answer_is_named_without_its_password() -> None:
    said = database_trouble(SERVER, sqlite3.OperationalError(
        "connection failed: connection to server at \"10.0.0.5\", port 5433 failed:\n"
        "Connection refused"))
    assert said.startswith("The database postgresql://omnitui_agent@db.shop.example:5433/omnitui"
                           " is not answering (connection failed:")
    assert "secret" not in said and "\n" not in said
    assert said.endswith("Nothing was changed; the console goes on once it answers.")


def test_a_refusal_is_not_called_silence() -> None:
    said = database_trouble(SERVER, sqlite3.IntegrityError("duplicate key value"))
    assert "refused this (duplicate key value)" in said and "not answering" not in said


def test_the_store_own_sentence_is_kept_and_a_long_reason_cut() -> None:
    opened = StoreError("Cannot open the database postgresql://db.shop.example/omnitui: refused.")
    assert database_trouble(SERVER, opened).startswith(str(opened))
    long = database_trouble(SERVER, sqlite3.OperationalError("x" * 500))
    assert "x" * 119 + "…)" in long and "x" * 121 not in long
