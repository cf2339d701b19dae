"""`omnitui customer show` says how each identity is known: an address given in chat is
"unverified" until mail comes from it, and one an agent added says so."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from omnitui.channels.base import Inbound
from omnitui.core.added_identities import add_identity
from omnitui.core.agents import add_agent
from omnitui.core.ingest import ingest
from omnitui.store.db import Store
from tests.backend import database_in


def show(cfg: Path, customer: int) -> list[str]:
    env = {**os.environ, "OMNITUI_CONFIG": str(cfg)}
    proc = subprocess.run([sys.executable, "-m", "omnitui", "customer", "show", str(customer)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_emailed_address_is_not_unverified_and_added_one_says_so(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[omnitui]\ndata_dir = "data"\n\n[channels.chat]\nkind = "chat"\n',
                   encoding="utf-8")
    (tmp_path / "data").mkdir()
    store = Store.open(database_in(tmp_path / "data"))
    ann = add_agent(store, "ann", "Ann")
    customer = ingest(store, Inbound(channel="chat", kind="chat", external_id="c1",
                                     address="v1", text="hi",
                                     link_email="anna@post.example")).customer_id
    ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                          address="anna@post.example", text="it is me"))
    add_identity(store, customer, "phone", "+48 601 234 567", ann)
    store.close()
    lines = show(cfg, customer)
    assert "  email: anna@post.example" in lines  # it wrote from there: no warning
    assert "  phone: +48 601 234 567  (added by an agent)" in lines
    assert not any("unverified" in line for line in lines)
