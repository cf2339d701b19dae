"""Signatures and footers (core/signatures.py): which applies where, set by whom, checked when."""

from __future__ import annotations

import pytest

from omnitui.channels.base import Inbound
from omnitui.config import ConfigError, parse_settings
from omnitui.core import actions
from omnitui.core.agent_signatures import clear_signature, set_signature
from omnitui.core.agents import AgentRow, add_agent
from omnitui.core.errors import ActionError, NotAllowed
from omnitui.core.ingest import ingest
from omnitui.core.permissions import Actor, Login
from omnitui.core.signatures import Signing, fill, signature_for
from omnitui.store.db import Store

RAW = {
    "omnitui": {"shop_name": "Shoe Shop"},
    "channels": {
        "mail": {"kind": "email", "address": "support@shop.test", "imap_host": "h",
                 "smtp_host": "h", "username": "u", "password_env": "PW",
                 "footer": "{shop_name} Ltd, reg. 123 · {shop_address}"},
        "bot": {"kind": "telegram", "token_env": "TG"},
        "chat": {"kind": "chat", "signature": "— {agent_first_name}, {shop_name}"},
    },
}


def signing() -> Signing:
    return Signing.from_settings(parse_settings(RAW, None))


def actor(name: str) -> Actor:
    return Actor(name, Login(name, owns_data=False), shared=False)


def text_of(store: Store, message_id: int) -> str:
    return store.conn.execute("SELECT text FROM message WHERE id = ?",
                              (message_id,)).fetchone()[0]


def test_defaults_email_signs_telegram_only_when_configured(store: Store,
                                                            ann: AgentRow) -> None:
    s = signing()
    mail = signature_for(store, s, ann, "mail")
    assert mail.signature == "Ann Agent\nShoe Shop"
    assert mail.footer == "Shoe Shop Ltd, reg. 123 · support@shop.test"
    assert signature_for(store, s, ann, "bot").signature == ""
    assert signature_for(store, s, ann, "chat").signature == "— Ann, Shoe Shop"
    # The agent's own general signature: on email and the configured chat, not on Telegram.
    set_signature(store, actor("ann"), "ann", "Best, {agent_display_name}", channel=None,
                  channels=RAW["channels"])
    assert signature_for(store, s, ann, "mail").signature == "Best, Ann Agent"
    assert signature_for(store, s, ann, "chat").signature == "Best, Ann Agent"
    assert signature_for(store, s, ann, "bot").signature == ""
    # One of their own for Telegram turns it on there.
    set_signature(store, actor("ann"), "ann", "{agent_first_name} ({channel_kind})",
                  channel="bot", channels=RAW["channels"])
    assert signature_for(store, s, ann, "bot").signature == "Ann (telegram)"
    assert clear_signature(store, actor("ann"), "ann", channel="bot", channels=RAW["channels"])
    assert signature_for(store, s, ann, "bot").signature == ""
    kinds = [r[0] for r in store.conn.execute("SELECT kind FROM event ORDER BY id")]
    assert kinds[-3:] == ["signature_set", "signature_set", "signature_cleared"]


def test_reply_signs_edited_signature_and_footer_always(store: Store, ann: AgentRow) -> None:
    r = ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                              address="olga@example.org", text="Where is it?"))
    s = signing()
    signed = actions.reply(store, r.conversation_id, "On its way.", ann, signing=s)
    assert text_of(store, signed.message_id) == (
        "On its way.\n\nAnn Agent\nShoe Shop\n\nShoe Shop Ltd, reg. 123 · support@shop.test")
    edited = actions.reply(store, r.conversation_id, "Tracking: 123", ann, signing=s,
                           signature="Ann (on holiday from Monday)")
    assert text_of(store, edited.message_id).split("\n\n")[1] == "Ann (on holiday from Monday)"
    bare = actions.reply(store, r.conversation_id, "No signature", ann, signing=s, signature="")
    assert text_of(store, bare.message_id) == (
        "No signature\n\nShoe Shop Ltd, reg. 123 · support@shop.test")
    auto = actions.reply(store, r.conversation_id, "Thanks, we got it.", ann, signing=s,
                         automatic=True)
    assert text_of(store, auto.message_id) == "Thanks, we got it."


def test_placeholders_are_checked_when_set(store: Store, ann: AgentRow) -> None:
    before = store.conn.execute("SELECT count(*) FROM event").fetchone()[0]
    with pytest.raises(ActionError, match=r"In ann's signature: \{agent\} is not a placeholder; "
                                          r"use \{agent_name\}"):
        set_signature(store, actor("ann"), "ann", "{agent}", channel=None, channels={})
    with pytest.raises(ActionError, match="brace"):
        set_signature(store, actor("ann"), "ann", "{agent_name", channel=None, channels={})
    with pytest.raises(ActionError, match="There is no channel 'fax'"):
        set_signature(store, actor("ann"), "ann", "Ann", channel="fax", channels={"mail": 1})
    with pytest.raises(ActionError, match="needs some text"):
        set_signature(store, actor("ann"), "ann", "  ", channel=None, channels={})
    assert store.conn.execute("SELECT count(*) FROM event").fetchone()[0] == before
    assert fill("{{literal}} {agent_name}", {"agent_name": "ann"}) == "{literal} ann"


def test_another_agents_signature_needs_an_admin(store: Store, ann: AgentRow,
                                                 bob: AgentRow) -> None:
    add_agent(store, "root2", "Root", "admin")
    with pytest.raises(NotAllowed, match="Only an admin can change another agent's signature"):
        set_signature(store, actor("bob"), "ann", "Hi", channel=None, channels={})
    set_signature(store, actor("root2"), "ann", "Ann K.", channel=None, channels={})
    assert store.conn.execute("SELECT text FROM agent_signature").fetchall()[0][0] == "Ann K."


@pytest.mark.parametrize(("key", "value", "sentence"), [
    ("signature", "{agentname}", "'channels.chat.signature' in the config: {agentname} is not "
                                 "a placeholder"),
    ("footer", "{shop_name:>10}", "'channels.chat.footer' in the config: {shop_name:>10} is "
                                  "not a placeholder"),
    ("footer", 5, "'channels.chat.footer' in the config must be a string"),
])
def test_config_keys_are_validated(key: str, value: object, sentence: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_settings({"channels": {"chat": {"kind": "chat", key: value}}}, None)
    assert sentence in str(exc.value)
    with pytest.raises(ConfigError, match=r"'omnitui\.shop_name' in the config must be a string"):
        parse_settings({"omnitui": {"shop_name": 3}}, None)
