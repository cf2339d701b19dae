"""`omnitui agent signature set|show|clear` and a signed `reply`, as a script uses them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omnitui.channels.base import Inbound
from omnitui.core.agents import add_agent
from omnitui.core.ingest import ingest
from omnitui.store.db import Store
from tests.backend import database_in
from tests.cli.test_cli_commands import assert_one_sentence_error, run


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[omnitui]\ndata_dir = "data"\nshop_name = "Lamp & Co"\n\n'
                    '[channels.chat]\nkind = "chat"\nfooter = "Lamp & Co Ltd"\n\n'
                    '[channels.mail]\nkind = "email"\naddress = "support@shop.test"\n'
                    'imap_host = "127.0.0.1"\nsmtp_host = "127.0.0.1"\nusername = "u"\n'
                    'password_env = "PW"\n', encoding="utf-8")
    return path


def test_set_show_clear_and_reply_signed(cfg: Path) -> None:
    (cfg.parent / "data").mkdir()
    store = Store.open(database_in(cfg.parent / "data"))
    for username, name, role in (("ann", "Ann Kowalska", "agent"), ("bob", "Bob", "agent"),
                                 ("root2", "Root", "admin")):
        add_agent(store, username, name, role)
    run(cfg, "agent", "signature", "set", "ann", "Cheers,\n{agent_first_name} at {shop_name}",
        agent="ann")
    shown = json.loads(run(cfg, "agent", "signature", "show", "ann", "--json").stdout)
    assert shown["own"] == {"": "Cheers,\n{agent_first_name} at {shop_name}"}
    assert shown["channels"]["mail"] == {"signature": "Cheers,\nAnn at Lamp & Co",
                                         "footer": ""}
    assert shown["channels"]["chat"] == {"signature": "", "footer": "Lamp & Co Ltd"}
    # A signature of her own for chat, from standard input.
    run(cfg, "agent", "signature", "set", "ann", "--channel", "chat", "-", agent="ann",
        stdin="— Ann\n")
    conv = ingest(store, Inbound(channel="chat", kind="chat", external_id="v1:1",
                                 address="v1", text="hi")).conversation_id
    run(cfg, "reply", str(conv), "Hello!", agent="ann")
    texts = [r[0] for r in store.conn.execute(
        "SELECT text FROM message WHERE kind = 'outbound' ORDER BY id")]
    assert texts == ["Hello!\n\n— Ann\n\nLamp & Co Ltd"]
    store.close()
    said = run(cfg, "agent", "signature", "clear", "ann", "--channel", "chat", agent="ann")
    assert said.stdout.strip() == "Cleared ann's signature on chat."
    assert_one_sentence_error(
        run(cfg, "agent", "signature", "set", "ann", "{agent_nmae}", agent="ann", check=False),
        "{agent_nmae} is not a placeholder")
    assert_one_sentence_error(
        run(cfg, "agent", "signature", "set", "ann", "Hi", agent="bob", check=False),
        "Only an admin can change another agent's signature; bob is an agent.")
