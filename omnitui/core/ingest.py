"""Inbound messages into the store: idempotent, routed, sanitised, one transaction per batch.

Routing (DESIGN.md): (1) a channel thread reference (email In-Reply-To/References, a reply token)
that points at a conversation of the *same* customer; else (2) that customer's open, pending or
snoozed conversation on any channel; else (3) a new conversation. A spoofed reference to another
customer's conversation is ignored. A batch shares one transaction with the channel's new cursor,
so a crash leaves either both or neither.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from omnitui.channels.base import (
    FLAG_AUTO_REPLY,
    FLAG_BOUNCE,
    FLAG_BULK,
    Inbound,
)
from omnitui.core.clock import to_epoch
from omnitui.core.identities import Insert, customer_for, sender_key
from omnitui.core.ingest_reads import BatchReads, read_for_batch
from omnitui.core.recognition_options import RecognitionSettings
from omnitui.core.sanitize import clean_line, clean_text
from omnitui.store.db import PendingEvent, Store, Tx
from omnitui.store.files import commit_blobs, stage_blobs
from omnitui.store.row_buffer import BatchRows

PREVIEW_CHARS = 200
NO_RESPONSE_NEEDED = frozenset({FLAG_AUTO_REPLY, FLAG_BOUNCE, FLAG_BULK})
LIVE = ("open", "pending", "snoozed")


@dataclass(frozen=True, slots=True)
class IngestResult:
    message_id: int
    conversation_id: int
    customer_id: int
    created: bool  # False when this (channel, external_id) was stored before


def ingest(store: Store, item: Inbound, *, attachments_dir: Path | None = None,
           recognition: RecognitionSettings | None = None) -> IngestResult:
    """Store one inbound message (see `ingest_batch`)."""
    return ingest_batch(store, [item], attachments_dir=attachments_dir,
                        recognition=recognition)[0]


def ingest_batch(
    store: Store,
    batch: Sequence[Inbound],
    *,
    cursor: tuple[str, str] | None = None,
    attachments_dir: Path | None = None,
    recognition: RecognitionSettings | None = None,
) -> list[IngestResult]:
    """Store a batch of inbound messages and, optionally, a channel cursor, atomically.

    Idempotent on (channel, external_id): a message seen before returns its stored ids with
    `created=False` and changes nothing. `recognition` (`[recognition]`, defaults when None):
    whether a message's evidence is kept and known customers it points at are suggested
    (core.recognition).
    """
    blobs, data = _write_blobs(store, batch, attachments_dir)
    actor = f"channel:{batch[0].channel}" if batch else "system"
    with store.write(actor) as tx:
        commit_blobs(tx, data)  # PostgreSQL: the bytes commit with the rows that name them
        results = _ingest_in(tx, batch, blobs, recognition or RecognitionSettings())
        if cursor is not None:
            tx.execute(
                "INSERT INTO cursor (channel, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(channel) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                (cursor[0], cursor[1], tx.now),
            )
    return results


def read_cursor(store: Store, channel: str) -> str | None:
    row = store.conn.execute("SELECT value FROM cursor WHERE channel = ?", (channel,)).fetchone()
    return None if row is None else str(row[0])


def _write_blobs(store: Store, batch: Sequence[Inbound],
                 root: Path | None) -> tuple[dict[int, str], list[bytes]]:
    """Attachment bytes go to content-addressed files before the transaction (orphans are
    harmless; a row pointing at a missing file is not), made durable once per batch; on
    PostgreSQL only their digests are taken here (store/files.py)."""
    if root is None:
        return {}, []
    keys: list[int] = []
    blobs: list[bytes] = []
    for item in batch:
        if item.raw is not None:
            keys.append(id(item))
            blobs.append(item.raw)
        for att in item.attachments:
            if att.data is not None:
                keys.append(id(att))
                blobs.append(att.data)
    if not blobs:
        return {}, []
    return dict(zip(keys, stage_blobs(store, root, blobs), strict=True)), blobs


def _existing(tx: Tx, batch: Sequence[Inbound]) -> dict[tuple[str, str], tuple[int, int, int]]:
    found: dict[tuple[str, str], tuple[int, int, int]] = {}
    by_channel: dict[str, list[str]] = {}
    for item in batch:
        by_channel.setdefault(item.channel, []).append(item.external_id)
    for channel, ids in by_channel.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            among, values = tx.sql.one_of("external_id", chunk)
            for row in tx.all(
                "SELECT external_id, id, conversation_id, customer_id FROM message "
                f"WHERE channel = ? AND {among}", (channel, *values),
            ):
                found[(channel, row[0])] = (row[1], row[2], row[3])
    return found


NEW_ROWS = ("customer", "identity", "conversation", "message", "attachment")  # parents first


@dataclass(slots=True)
class _Writes:
    """What a batch writes together: new customers, identities, conversations, messages and
    attachments (store.row_buffer: on PostgreSQL they go in at once) and the conversations'
    counters. Flushed before anything in the batch reads what waits, so it reads what
    one-by-one ingest would."""

    tx: Tx
    rows: BatchRows
    touched: dict[int, list[object]] = field(default_factory=dict)

    def flush(self) -> None:
        self.rows.flush()
        if self.touched:
            _update_conversations(self.tx, self.touched)
            self.touched.clear()


def _ingest_in(tx: Tx, batch: Sequence[Inbound], blobs: dict[int, str],
               recognition: RecognitionSettings) -> list[IngestResult]:
    existing = _existing(tx, batch)
    unseen: dict[tuple[str, str], Inbound] = {}
    for item in batch:  # the first of each (channel, external_id) not stored before
        if (item.channel, item.external_id) not in existing:
            unseen.setdefault((item.channel, item.external_id), item)
    fresh = list(unseen.values())
    reads = read_for_batch(tx, (sender_key(item) for item in fresh),
                           with_keys=recognition.suggestions)
    writes = _Writes(tx, BatchRows(tx, NEW_ROWS, without_ids=("attachment",)))
    writes.rows.reserve(_new_rows(fresh, reads))
    identities: dict[tuple[str, str], tuple[int, int]] = {}
    events: list[PendingEvent] = []
    results: list[IngestResult] = []
    for item in batch:
        key = (item.channel, item.external_id)
        if key in existing:
            results.append(IngestResult(*existing[key], created=False))
            continue
        plain = _plain(item)
        if not plain:  # it reads (a merge it causes moves) rows this batch wrote
            writes.flush()
            reads.missing.clear()  # and it may make identities beside its sender's
        if item.revision_of and _store_revision(tx, item, existing, results, events):
            continue
        insert = writes.rows.insert if plain else tx.insert  # (the others wrote what waited)
        identity_id, customer_id, new_customer = customer_for(tx, item, identities, reads,
                                                              insert)
        conv_id, conv_created, reopened = _route(tx, item, customer_id, reads, insert,
                                                 new_customer=new_customer)
        message_id = _insert_message(writes, tx.now, item, conv_id, customer_id, identity_id,
                                     blobs)
        _touch(writes.touched, item, conv_id, message_id)
        if recognition.suggestions:
            from omnitui.core.recognition import recognise_in

            recognise_in(tx, recognition, customer_id=customer_id, item=item,
                         conversation_id=conv_id, new_customer=new_customer,
                         stored=reads.keys_of(tx, customer_id, new=new_customer),
                         before_writing=writes.flush)
        if FLAG_BOUNCE in item.flags and item.meta.get("bounce_of"):
            _fail_bounced(tx, item, events)
        data: dict[str, object] = {"channel": item.channel}
        if conv_created:
            data["new_conversation"] = True
        if reopened:
            data["reopened"] = True
        if new_customer:
            data["new_customer"] = True
        events.append(PendingEvent("message_in", tx.actor, conv_id, customer_id, message_id, data))
        existing[key] = (message_id, conv_id, customer_id)
        results.append(IngestResult(message_id, conv_id, customer_id, created=True))
    writes.flush()
    if events:
        tx.events(events)
    return results


def _store_revision(
    tx: Tx,
    item: Inbound,
    existing: dict[tuple[str, str], tuple[int, int, int]],
    results: list[IngestResult],
    events: list[PendingEvent],
) -> bool:
    """An edit of a message we hold becomes a revision; the original text stays."""
    row = tx.one(
        "SELECT id, conversation_id, customer_id FROM message "
        "WHERE channel = ? AND external_id = ?",
        (item.channel, item.revision_of),
    )
    if row is None:
        return False
    if tx.one(
        "SELECT 1 FROM message_revision WHERE message_id = ? AND external_id = ?",
        (row[0], item.external_id),
    ):
        results.append(IngestResult(row[0], row[1], row[2], created=False))
        return True
    tx.insert(
        "message_revision",
        {
            "message_id": row[0],
            "text": clean_text(item.text),
            "external_id": item.external_id,
            "created_at": tx.now,
        },
    )
    events.append(PendingEvent("message_edited", tx.actor, row[1], row[2], row[0], None))
    existing[(item.channel, item.external_id)] = (row[0], row[1], row[2])
    results.append(IngestResult(row[0], row[1], row[2], created=True))
    return True


def _new_rows(fresh: Sequence[Inbound], reads: BatchReads) -> dict[str, int]:
    """How many rows of each table the batch will add through its buffers, to draw their ids
    in one round trip. Exact in the common case, because case numbers are what agents and
    customers quote and should not skip: a new sender whose first message is plain makes a
    customer, an identity and a conversation; a known one without a live case, a
    conversation. (Messages that are not plain write their customers directly.)"""
    first: dict[tuple[str, str], Inbound] = {}
    for item in fresh:
        first.setdefault(sender_key(item), item)
    new = sum(1 for key in reads.missing if _plain(first[key]))
    waking = {hit[1] for key, hit in reads.identities.items()
              if hit[2] is None and hit[1] not in reads.live and _plain(first[key])}
    return {"message": sum(1 for item in fresh if not item.revision_of),
            "customer": new, "identity": new, "conversation": new + len(waking)}


def _plain(item: Inbound) -> bool:
    """A message whose routing reads no message and merges no customer: no thread reference,
    no edit, no bounce, no contact detail that could link it to somebody known, no quote."""
    return not (item.thread_refs or item.reply_token or item.revision_of or item.quoted_text
                or item.link_token or item.link_email or item.link_phone
                or FLAG_BOUNCE in item.flags)


def _route(
    tx: Tx, item: Inbound, customer_id: int, reads: BatchReads, insert: Insert, *,
    new_customer: bool = False,
) -> tuple[int, bool, bool]:
    """(conversation id, created, reopened) following DESIGN.md's routing rules; a
    `new_customer` has no conversation to look for."""
    live_conv = reads.live
    threaded = None if new_customer else _by_thread_reference(tx, item, customer_id)
    if threaded is not None:
        reopened = _maybe_reopen(tx, threaded, item, reads)
        if reads.states.get(threaded) in LIVE:  # now the customer's latest live case
            live_conv[customer_id] = threaded
        return threaded, False, reopened
    conv_id = live_conv.get(customer_id)
    if conv_id is None and not new_customer:
        conv_id = tx.scalar(
            "SELECT id FROM conversation WHERE customer_id = ? AND status IN ('open', 'pending',"
            " 'snoozed') AND merged_into IS NULL ORDER BY last_message_at DESC LIMIT 1",
            (customer_id,),
        )
    if conv_id is not None:
        live_conv[customer_id] = conv_id
        return conv_id, False, _maybe_reopen(tx, conv_id, item, reads)
    conv_id = insert(
        "conversation",
        {
            "customer_id": customer_id,
            "status": "open",
            "channel": item.channel,
            "subject": clean_line(item.subject),
            "created_at": tx.now,
            "last_message_at": tx.now,
        },
    )
    live_conv[customer_id] = conv_id
    reads.opened(conv_id)
    return conv_id, True, False


def _by_thread_reference(tx: Tx, item: Inbound, customer_id: int) -> int | None:
    """A referenced conversation, but only one that belongs to this same customer."""
    candidates: list[int] = []
    refs = [r for r in item.thread_refs if r][:50]
    if refs:
        marks = ",".join("?" * len(refs))
        rows = tx.all(
            "SELECT wire_id, conversation_id FROM message "
            f"WHERE wire_id IN ({marks}) AND customer_id = ?",
            (*refs, customer_id),
        )
        order = {ref: n for n, ref in enumerate(refs)}
        rows.sort(key=lambda r: order.get(r[0], len(order)))
        candidates.extend(r[1] for r in rows)
    if item.reply_token:
        conv = tx.scalar(
            "SELECT conversation_id FROM message WHERE reply_token = ? AND customer_id = ? "
            "ORDER BY id DESC LIMIT 1",
            (item.reply_token, customer_id),
        )
        if conv is not None:
            candidates.append(conv)
    for conv_id in candidates:
        target = _follow_merge(tx, conv_id)
        if target is not None:
            return target
    return None


def _follow_merge(tx: Tx, conv_id: int) -> int | None:
    for _ in range(20):
        row = tx.one("SELECT merged_into FROM conversation WHERE id = ?", (conv_id,))
        if row is None:
            return None
        if row[0] is None:
            return conv_id
        conv_id = row[0]
    return conv_id


def _maybe_reopen(tx: Tx, conv_id: int, item: Inbound, reads: BatchReads) -> bool:
    """A customer reply wakes a pending or snoozed conversation (and a resolved one it threads
    into); automatic mail never does."""
    status = reads.states.get(conv_id)
    if status is None:
        status = reads.states[conv_id] = tx.scalar(
            "SELECT status FROM conversation WHERE id = ?", (conv_id,))
    if status is None or status == "open" or item.flags & NO_RESPONSE_NEEDED:
        return False
    tx.execute(
        "UPDATE conversation SET status = 'open', snoozed_until = NULL, snooze_until_reply = 0,"
        " reopen_count = reopen_count + (CASE WHEN status = 'resolved' THEN 1 ELSE 0 END)"
        " WHERE id = ?",
        (conv_id,),
    )
    reads.opened(conv_id)
    return True


def _insert_message(
    writes: _Writes,
    now: float,
    item: Inbound,
    conv_id: int,
    customer_id: int,
    identity_id: int,
    blobs: dict[int, str],
) -> int:
    meta = dict(item.meta)
    if item.error:
        meta["error"] = clean_line(item.error)
    if item.display_name:
        meta.setdefault("from_name", clean_line(item.display_name))
    if item.thread_refs:
        meta["references"] = list(item.thread_refs[:50])  # nearest first
    if id(item) in blobs:
        meta["raw_sha256"] = blobs[id(item)]  # the wire bytes, kept as they came
    flags = " ".join(sorted(item.flags))
    message_id = writes.rows.insert(
        "message", {
            "conversation_id": conv_id,
            "customer_id": customer_id,
            "kind": "inbound",
            "channel": item.channel,
            "identity_id": identity_id,
            "external_id": item.external_id,
            "wire_id": item.wire_id,
            "subject": clean_line(item.subject),
            "text": clean_text(item.text),
            "quoted_text": clean_text(item.quoted_text) if item.quoted_text else None,
            "flags": flags,
            "meta": json.dumps(meta, ensure_ascii=False, default=str) if meta else "{}",
            "sent_at": to_epoch(item.sent_at),
            "created_at": now,
        },
    )
    for att in item.attachments:
        writes.rows.insert(
            "attachment", {
                "message_id": message_id,
                "filename": clean_line(att.filename) or "attachment",
                "content_type": clean_line(att.content_type) or "application/octet-stream",
                "size": att.size,
                "sha256": blobs.get(id(att)),
                "note": clean_line(att.note),
            },
        )
    return message_id


def _touch(
    touched: dict[int, list[object]], item: Inbound, conv_id: int, message_id: int
) -> None:
    """Collect per-conversation changes; they are written once per batch, not per message."""
    preview = (clean_line(item.text or item.subject or "") or "")[:PREVIEW_CHARS]
    needs_answer = not (item.flags & NO_RESPONSE_NEEDED)
    entry = touched.get(conv_id)
    if entry is None:
        touched[conv_id] = [1, message_id, preview, needs_answer]
    else:
        entry[0] = int(entry[0]) + 1  # type: ignore[call-overload]
        entry[1], entry[2] = message_id, preview
        entry[3] = bool(entry[3]) or needs_answer


def _update_conversations(tx: Tx, touched: dict[int, list[object]]) -> None:
    tx.update_each(
        "conversation", "id",
        {"id": "bigint", "n_new": "integer", "n_last": "bigint", "n_preview": "text",
         "n_needs": "integer", "n_now": "double precision"},
        "last_message_at = :n_now, last_inbound_at = :n_now, "
        "message_count = message_count + :n_new, last_message_id = :n_last, "
        "preview = :n_preview, waiting_since = CASE WHEN :n_needs = 1 AND waiting_since IS NULL"
        " THEN :n_now ELSE waiting_since END",
        [{"id": conv_id, "n_new": count, "n_last": last, "n_preview": preview,
          "n_needs": int(bool(needs)), "n_now": tx.now}
         for conv_id, (count, last, preview, needs) in touched.items()],
    )


def _fail_bounced(tx: Tx, item: Inbound, events: list[PendingEvent]) -> None:
    """A bounce names the reply it answers: that reply failed, with the server's reason."""
    row = tx.one(
        "SELECT id, conversation_id, customer_id FROM message "
        "WHERE wire_id = ? AND kind = 'outbound'",
        (item.meta["bounce_of"],),
    )
    if row is None:
        return
    reason = clean_line(str(item.meta.get("bounce_reason") or "The message bounced."))
    tx.execute(
        "UPDATE message SET delivery_state = 'failed', failure_reason = ? WHERE id = ?",
        (reason, row[0]),
    )
    events.append(PendingEvent("delivery", tx.actor, row[1], row[2], row[0], {"state": "failed"}))
