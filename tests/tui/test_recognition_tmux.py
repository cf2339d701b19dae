"""The suggestion key in a real terminal: the console in tmux (its embedded hub running), the
suggestion in the side panel, `s` and at once `ctrl+j` (typed ahead of the merge preview, so held
until it is on screen) merge Emma's new address into the Emma already known and fold her case."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from omnitui.channels.base import Inbound
from omnitui.core.ingest import ingest
from omnitui.store.db import Store
from omnitui.tui.demo import build_demo

from .tmux import Tmux, console_command

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


async def test_s_merges_the_suggested_customer_in_a_real_terminal(tmux: Tmux,
                                                                  tmp_path: Path) -> None:
    settings = build_demo(tmp_path / "shop")
    assert settings.path is not None
    store = Store.open(settings.database)
    new = ingest(store, Inbound(channel="mail", kind="email", external_id="emma-new",
                                address="emma.j@elsewhere.example", display_name="Emma Johnson",
                                subject="Order 10482", text="Any news about order #10482?"))
    known = store.conn.execute("SELECT id FROM conversation WHERE customer_id = (SELECT "
                               "candidate_id FROM match_suggestion)").fetchone()[0]
    store.close()
    tmux.start(console_command(settings.path), width=100, height=30)
    await tmux.wait_for("Inbox: Needs reply", timeout=20)
    tmux.keys("/")
    await tmux.wait_for("Search messages")
    tmux.type("elsewhere")
    await tmux.wait_for("Any news about order")
    tmux.keys("Enter")
    pane = await tmux.wait_for("≈ probably Emma Johnson")
    assert "s merge · D not them" in pane
    tmux.keys("s", "C-j")
    await tmux.wait_for(f" #{known}  Emma Johnson")  # the older case, now with the email
    store = Store.open(settings.database)
    try:
        assert store.conn.execute("SELECT merged_into FROM conversation WHERE id = ?",
                                  (new.conversation_id,)).fetchone()[0] == known
    finally:
        store.close()
    pane = await tmux.wait_for("Any news about order")  # the timeline fills after the title
    assert "≈ probably" not in pane
