"""`core.reroute`: a queued chat reply re-queued as an email in one transaction (issue 7)."""

from __future__ import annotations

from pathlib import Path

from omnitui.channels.base import Inbound
from omnitui.core.actions import reply
from omnitui.core.agents import AgentRow
from omnitui.core.ingest import ingest_batch
from omnitui.core.reroute import reroute
from omnitui.store.db import Store


def chat(ext: str, visitor: str, text: str, link_email: str | None = None) -> Inbound:
    return Inbound(channel="chat", kind="chat", external_id=ext, address=visitor, text=text,
                   link_email=link_email)


def test_reroute_requeues_as_email_with_attachments_and_fails_the_chat_reply(
        store: Store, ann: AgentRow, tmp_path: Path) -> None:
    (res,) = ingest_batch(store, [chat("v:1", "v", "hi", link_email="v@example.org")])
    conv = store.conn.execute("SELECT conversation_id FROM message WHERE id = ?",
                              (res.message_id,)).fetchone()[0]
    file = tmp_path / "invoice.txt"
    file.write_text("total 12")
    queued = reply(store, conv, "See the invoice.", ann, attachments=[file],
                   attachments_dir=tmp_path / "att")
    assert queued.channel == "chat"
    new_id = reroute(store, queued.message_id, channel="mail")
    assert new_id is not None
    rows = store.conn.execute(
        "SELECT m.channel, m.delivery_state, m.failure_reason, m.wire_id, m.reply_token, "
        "m.agent_id, o.state, i.kind, i.address FROM message m JOIN outbox o ON "
        "o.message_id = m.id JOIN identity i ON i.id = m.identity_id WHERE m.id IN (?, ?) "
        "ORDER BY m.id", (queued.message_id, new_id)).fetchall()
    old, new = (tuple(r) for r in rows)
    assert old[:3] == ("chat", "failed", "visitor left; sent by email instead")
    assert old[6] == "failed"
    # The Message-ID is made by the sending channel before the first attempt (hub tests).
    assert new[0:2] == ("mail", "queued") and new[3] is None and new[4]
    assert new[5] == ann.id and new[6:] == ("queued", "email", "v@example.org")
    names = [r[0] for r in store.conn.execute(
        "SELECT filename FROM attachment WHERE message_id = ?", (new_id,))]
    assert names == ["invoice.txt"]
    # Settled: a second attempt changes nothing.
    assert reroute(store, queued.message_id, channel="mail") is None


def test_no_email_identity_changes_nothing(store: Store, ann: AgentRow) -> None:
    (res,) = ingest_batch(store, [chat("w:1", "w", "hi")])
    conv = store.conn.execute("SELECT conversation_id FROM message WHERE id = ?",
                              (res.message_id,)).fetchone()[0]
    queued = reply(store, conv, "Hello", ann)
    before = store.conn.execute("SELECT max(id) FROM event").fetchone()[0]
    assert reroute(store, queued.message_id, channel="mail") is None
    assert store.conn.execute("SELECT max(id) FROM event").fetchone()[0] == before
    assert store.conn.execute("SELECT delivery_state FROM message WHERE id = ?",
                              (queued.message_id,)).fetchone()[0] == "queued"
