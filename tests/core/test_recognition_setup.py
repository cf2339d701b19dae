"""`[recognition]` in the config, and the upgrade that gives an existing shop's customers their
recognition keys."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from omnitui.channels.base import Inbound
from omnitui.config import ConfigError, parse_settings
from omnitui.core.ingest import ingest
from omnitui.core.recognition_options import RecognitionSettings
from omnitui.core.suggestions import open_suggestions, suggestion_label
from omnitui.store.database import Database
from omnitui.store.db import Store, connect, upgrade


def test_defaults_and_a_region() -> None:
    assert parse_settings({}, None).recognition == RecognitionSettings(True, None)
    parsed = parse_settings({"recognition": {"suggestions": False, "phone_region": "pl"}}, None)
    assert parsed.recognition == RecognitionSettings(False, "PL")


@pytest.mark.parametrize(("table", "sentence"), [
    ({"phone_regio": "PL"}, "Unknown key 'recognition.phone_regio' in the config."),
    ({"suggestions": "yes"}, "'recognition.suggestions' in the config must be true or false."),
    ({"phone_region": "Poland"}, "'recognition.phone_region' in the config must be a two-letter "
                                 "country code such as \"PL\", not 'Poland'."),
    ({"phone_region": 48}, "'recognition.phone_region' in the config must be a string such as "
                           "\"PL\"."),
])
def test_bad_keys_are_one_sentence_naming_the_key(table: dict[str, object],
                                                  sentence: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings({"recognition": table}, None)
    assert str(caught.value) == sentence


def test_upgrading_a_shop_keeps_its_customers_recognisable(
        another_database: Callable[..., Database]) -> None:
    database = another_database("shop", empty=True)
    upgrade(database, "0010")  # a shop from before recognition
    conn = connect(database)
    try:
        customer = conn.execute("INSERT INTO customer (name, phone, created_at) VALUES "
                                "('Anna Kowalska', '+48600123456', 0) RETURNING id").fetchone()[0]
        conn.execute("INSERT INTO identity (customer_id, kind, address, channel, display_name,"
                     " created_at) VALUES (?, 'email', 'anna.kowalska@wp.pl', 'mail',"
                     " 'Anna Kowalska', 0)", (customer,))
        conversation = conn.execute(
            "INSERT INTO conversation (customer_id, status, channel, created_at, "
            "last_message_at) VALUES (?, 'open', 'mail', 0, 0) RETURNING id",
            (customer,)).fetchone()[0]
        conn.execute("INSERT INTO message (conversation_id, customer_id, kind, channel, text,"
                     " created_at) VALUES (?, ?, 'inbound', 'mail', 'order 4412 is late', 0)",
                     (conversation, customer))
    finally:
        conn.close()
    store = Store.open(database)  # upgrades to the head
    try:
        ingest(store, Inbound(channel="bot", kind="telegram", external_id="1", address="77",
                              text="Zamówienie 4412? tel +48 600 123 456",
                              display_name="Анна Ковальская"))
        assert [suggestion_label(s) for s in open_suggestions(store)] == [
            "probably Anna Kowalska: same name, same phone, order 4412"]
    finally:
        store.close()
