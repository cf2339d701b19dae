"""`omnitui customer show` marks an identity linked only by an email claimed in chat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from omnitui.channels.base import Inbound
from omnitui.core.ingest import ingest
from omnitui.store.db import Store
from tests.backend import database_in


def show(cfg: Path, *args: str) -> str:
    env = {**os.environ, "OMNITUI_CONFIG": str(cfg)}
    proc = subprocess.run([sys.executable, "-m", "omnitui", "customer", "show", *args],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_customer_show_marks_the_unverified_identity(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[omnitui]\ndata_dir = "data"\n\n[channels.chat]\nkind = "chat"\n',
                   encoding="utf-8")
    (tmp_path / "data").mkdir()
    store = Store.open(database_in(tmp_path / "data"))
    customer = ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                                     address="olga@example.org", text="by mail")).customer_id
    ingest(store, Inbound(channel="chat", kind="chat", external_id="v1:1", address="v1",
                          text="hi", link_email="olga@example.org"))
    store.close()
    lines = show(cfg, str(customer)).splitlines()
    assert "  email: olga@example.org" in lines
    assert "  chat: v1  ⚠ unverified: linked by an email given in chat" in lines
    data = json.loads(show(cfg, str(customer), "--json"))
    assert [i["linked_via"] for i in data["identities"]] == [None, "email"]
