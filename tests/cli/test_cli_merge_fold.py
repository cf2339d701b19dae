"""`omnitui customer merge` folds two live cases into one by default; `--no-fold` keeps both,
and `customer unmerge` splits a fold again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from omnitui.channels.base import Inbound
from omnitui.core.agents import add_agent
from omnitui.core.ingest import ingest
from omnitui.store.db import Store
from tests.backend import database_in


def run(cfg: Path, *args: str) -> str:
    env = {**os.environ, "OMNITUI_CONFIG": str(cfg), "OMNITUI_AGENT": "bob"}
    proc = subprocess.run([sys.executable, "-m", "omnitui", *args], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def shop(tmp_path: Path) -> tuple[Path, Store, int, int]:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[omnitui]\ndata_dir = "data"\n\n[channels.chat]\nkind = "chat"\n',
                   encoding="utf-8")
    (tmp_path / "data").mkdir()
    store = Store.open(database_in(tmp_path / "data"))
    add_agent(store, "bob", "Bob", "agent")
    old = ingest(store, Inbound(channel="bot", kind="telegram", external_id="t1",
                                address="5512", text="order 4412?", display_name="Anna"))
    new = ingest(store, Inbound(channel="mail", kind="email", external_id="m1",
                                address="anna@post.example", text="still order 4412?"))
    return cfg, store, old.conversation_id, new.conversation_id


def merged_into(store: Store, conversation_id: int) -> int | None:
    return store.conn.execute("SELECT merged_into FROM conversation WHERE id = ?",
                              (conversation_id,)).fetchone()[0]


def test_merge_folds_by_default_and_unmerge_splits_it(tmp_path: Path) -> None:
    cfg, store, old, new = shop(tmp_path)
    said = run(cfg, "customer", "merge", "1", "2", "--yes")
    assert f"Conversation #{new} is now part of #{old}." in said
    assert merged_into(store, new) == old
    run(cfg, "customer", "unmerge", "2")
    assert merged_into(store, new) is None
    assert store.conn.execute("SELECT conversation_id FROM message WHERE external_id = 'm1'"
                              ).fetchone()[0] == new


def test_preview_names_the_fold_and_no_fold_keeps_both(tmp_path: Path) -> None:
    cfg, store, old, new = shop(tmp_path)
    env = {**os.environ, "OMNITUI_CONFIG": str(cfg), "OMNITUI_AGENT": "bob"}
    asked = subprocess.run([sys.executable, "-m", "omnitui", "customer", "merge", "1", "2"],
                           input="n\n", capture_output=True, text=True, env=env, timeout=60)
    assert f"Fold: #{new} (mail, 1 message) folds into the older conversation #{old} (bot, " \
           "unassigned)." in asked.stdout
    assert asked.returncode == 1 and merged_into(store, new) is None
    said = run(cfg, "customer", "merge", "1", "2", "--yes", "--no-fold")
    assert "part of" not in said
    assert merged_into(store, new) is None
