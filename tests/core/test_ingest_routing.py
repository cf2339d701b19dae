"""Ingest: idempotent, routed by DESIGN.md's rules, sanitised, linked across channels."""

from __future__ import annotations

from pathlib import Path

from omnitui.channels.base import FLAG_BOUNCE, Inbound, InboundAttachment
from omnitui.core import actions, outbox
from omnitui.core.agents import AgentRow
from omnitui.core.ingest import ingest, ingest_batch, read_cursor
from omnitui.store import queries
from omnitui.store.db import Store
from omnitui.store.files import read_blob


def chat(ext: str, visitor: str = "v1", text: str = "hello", **kw: object) -> Inbound:
    return Inbound(channel="chat", kind="chat", external_id=ext, address=visitor, text=text,
                   **kw)  # type: ignore[arg-type]


def mail(ext: str, addr: str = "olga@example.org", text: str = "hi", **kw: object) -> Inbound:
    return Inbound(channel="mail", kind="email", external_id=ext, address=addr, text=text,
                   **kw)  # type: ignore[arg-type]


def count(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_same_external_id_is_stored_once(store: Store) -> None:
    first = ingest(store, chat("v1:1"))
    again = ingest(store, chat("v1:1", text="changed"))
    assert first.created and not again.created
    assert again.message_id == first.message_id
    assert count(store, "message") == 1
    assert count(store, "event") == 1  # the repeat changed nothing, not even the feed


def test_batch_with_cursor_is_atomic_and_deduplicates_within(store: Store) -> None:
    batch = [chat("v1:1"), chat("v2:1", "v2"), chat("v1:1")]
    results = ingest_batch(store, batch, cursor=("chat", "42"))
    assert [r.created for r in results] == [True, True, False]
    assert read_cursor(store, "chat") == "42"
    assert count(store, "customer") == 2


def test_omnichannel_routing_uses_the_open_conversation(store: Store) -> None:
    a = ingest(store, chat("v1:1", link_email="Olga@Example.org", display_name="Olga"))
    b = ingest(store, mail("m1", subject="Order 42"))
    assert b.customer_id == a.customer_id
    assert b.conversation_id == a.conversation_id


def test_resolved_conversation_then_new_message_opens_a_new_one(store: Store,
                                                                ann: AgentRow) -> None:
    a = ingest(store, chat("v1:1"))
    actions.resolve(store, a.conversation_id, ann)
    b = ingest(store, chat("v1:2"))
    assert b.conversation_id != a.conversation_id


def test_thread_reference_reopens_resolved_conversation_of_same_customer(
        store: Store, ann: AgentRow) -> None:
    a = ingest(store, mail("m1", wire_id="<m1@example.org>", subject="Refund"))
    actions.resolve(store, a.conversation_id, ann)
    b = ingest(store, mail("m2", thread_refs=("<m1@example.org>",)))
    assert b.conversation_id == a.conversation_id
    detail = queries.conversation_detail(store, a.conversation_id)
    assert detail.status == "open"


def test_spoofed_reference_never_attaches_to_another_customer(store: Store) -> None:
    victim = ingest(store, mail("m1", "victim@example.org", wire_id="<secret@example.org>"))
    spoof = ingest(store, mail("m2", "attacker@example.org",
                               thread_refs=("<secret@example.org>",)))
    assert spoof.conversation_id != victim.conversation_id
    assert spoof.customer_id != victim.customer_id


def test_reply_token_threads_only_for_same_customer(store: Store, ann: AgentRow) -> None:
    a = ingest(store, mail("m1", wire_id="<a@x>"))
    queued = actions.reply(store, a.conversation_id, "Answer", ann)
    token = store.conn.execute("SELECT reply_token FROM message WHERE id = ?",
                               (queued.message_id,)).fetchone()[0]
    assert token
    actions.resolve(store, a.conversation_id, ann)
    same = ingest(store, mail("m2", reply_token=token))
    other = ingest(store, mail("m3", "mallory@example.org", reply_token=token))
    assert same.conversation_id == a.conversation_id
    assert other.conversation_id != a.conversation_id


def test_customer_reply_wakes_pending_and_snoozed(store: Store, ann: AgentRow) -> None:
    a = ingest(store, chat("v1:1"))
    actions.set_pending(store, a.conversation_id, ann)
    ingest(store, chat("v1:2"))
    assert queries.conversation_detail(store, a.conversation_id).status == "open"
    actions.snooze(store, a.conversation_id, ann, until_reply=True)
    ingest(store, chat("v1:3"))
    assert queries.conversation_detail(store, a.conversation_id).status == "open"


def test_text_names_and_subjects_are_sanitised(store: Store) -> None:
    r = ingest(store, mail("m1", text="hi\x1b]52;c;ZXZpbA==\x07 there\r\n",
                           display_name="Eve\u202e\x1b[31m", subject="Sub\x9bject\nline"))
    msg = queries.conversation_messages(store, r.conversation_id)[0]
    assert msg.text == "hi]52;c;ZXZpbA== there\n"
    assert msg.subject == "Subject line"
    names = store.conn.execute("SELECT i.display_name, c.name FROM identity i "
                               "JOIN customer c ON c.id = i.customer_id").fetchone()
    assert tuple(names) == ("Eve[31m", "Eve[31m")
    assert "\x1b" not in msg.author and "\u202e" not in msg.meta.get("from_name", "")


def test_link_phone_and_token_join_existing_customer(store: Store) -> None:
    known = ingest(store, mail("m1"))
    store.conn.execute("UPDATE customer SET phone = '+48123456789', link_token = 'tok' "
                       "WHERE id = ?", (known.customer_id,))
    by_phone = ingest(store, Inbound(channel="bot", kind="telegram", external_id="u1",
                                     address="111", text="contact", link_phone="+48 123 456 789"))
    by_token = ingest(store, Inbound(channel="bot", kind="telegram", external_id="u2",
                                     address="222", text="/start tok", link_token="tok"))
    assert by_phone.customer_id == known.customer_id
    assert by_token.customer_id == known.customer_id


def test_lone_customer_is_merged_when_they_reveal_their_email(store: Store) -> None:
    known = ingest(store, mail("m1"))
    anon = ingest(store, chat("v9:1", "v9"))
    assert anon.customer_id != known.customer_id
    later = ingest(store, chat("v9:2", "v9", link_email="olga@example.org"))
    assert later.customer_id == known.customer_id
    timeline = queries.customer_timeline(store, known.customer_id)
    assert len(timeline) == 3  # the anonymous chat joined the known customer's story


def test_edit_is_a_revision_not_an_overwrite(store: Store) -> None:
    r = ingest(store, chat("v1:1", text="orignal"))
    ingest(store, chat("v1:1:edit1", text="original", revision_of="v1:1"))
    msg = queries.conversation_messages(store, r.conversation_id)[0]
    assert msg.text == "original" and msg.edited
    raw = store.conn.execute("SELECT text FROM message WHERE id = ?", (r.message_id,)).fetchone()
    assert raw[0] == "orignal"
    assert queries.search_messages(store, "orignal") and queries.search_messages(store, "original")


def test_attachments_and_raw_bytes_are_content_addressed(store: Store, tmp_path: Path) -> None:
    att = InboundAttachment("a.txt", "text/plain", 5, b"hello")
    big = InboundAttachment("huge.bin", "application/octet-stream", 30_000_000, None,
                            note="too large to fetch")
    r = ingest_batch(store, [mail("m1", attachments=(att, big), raw=b"RAW")],
                     attachments_dir=tmp_path)[0]
    msg = queries.conversation_messages(store, r.conversation_id)[0]
    assert [a["filename"] for a in msg.attachments] == ["a.txt", "huge.bin"]
    digest = msg.attachments[0]["sha256"]
    assert read_blob(store, tmp_path, digest) == b"hello"  # (a file on SQLite, a row on PG)
    assert msg.attachments[1]["sha256"] is None
    raw = msg.meta["raw_sha256"]
    assert read_blob(store, tmp_path, raw) == b"RAW"


def test_bounce_marks_the_reply_failed(store: Store, ann: AgentRow) -> None:
    r = ingest(store, mail("m1"))
    queued = actions.reply(store, r.conversation_id, "Answer", ann)
    # Sent as the hub sends it: its Message-ID fixed before the attempt, then marked sent.
    [item] = outbox.claim_due(store, {queued.channel})
    wire_id = outbox.fix_wire_id(store, item, "<r1@shop.example>")
    outbox.mark_sent(store, item, wire_id=wire_id)
    ingest(store, mail("b1", "mailer-daemon@example.org", flags=frozenset({FLAG_BOUNCE}),
                       meta={"bounce_of": wire_id, "bounce_reason": "550 no such user"}))
    row = store.conn.execute("SELECT delivery_state, failure_reason FROM message WHERE id = ?",
                             (queued.message_id,)).fetchone()
    assert tuple(row) == ("failed", "550 no such user")


def test_search_finds_prefixes_newest_first_and_customer_names(store: Store) -> None:
    ingest(store, chat("v1:1", text="Zamówienie numer 123", display_name="Zofia Nowak"))
    ingest(store, chat("v1:2", text="zamówienie dotarło"))
    hits = queries.search_messages(store, "zamow")
    assert [h.text for h in hits] == ["zamówienie dotarło", "Zamówienie numer 123"]
    assert queries.search_messages(store, "nowak")
    assert queries.search_messages(store, '"; DROP TABLE message; --') == []
