"""A batch is stored exactly as its messages would be one by one, with its reads done once.

Ingest reads what it needs about a batch's senders up front (core.ingest_reads) and, on
PostgreSQL, writes the batch's messages together (store.row_buffer). Neither may change a
routing decision: a batch that threads into itself, repeats a message, links a chat visitor to a
known customer (a merge in the middle of the batch) or wakes a snoozed case must come out as the
same messages ingested one at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from omnitui.channels.base import Inbound, InboundAttachment
from omnitui.core import actions
from omnitui.core.agents import add_agent
from omnitui.core.ingest import ingest, ingest_batch
from omnitui.store.database import Database
from omnitui.store.db import Store, upgrade


def chat(ext: str, visitor: str, text: str = "hello", **kw: Any) -> Inbound:
    return Inbound(channel="chat", kind="chat", external_id=ext, address=visitor, text=text,
                   **kw)


def mail(ext: str, addr: str, text: str = "hi", **kw: Any) -> Inbound:
    return Inbound(channel="mail", kind="email", external_id=ext, address=addr, text=text,
                   **kw)


def history(store: Store) -> list[tuple[Any, ...]]:
    """Every message as (external id, its customer's first message, its conversation's first
    message, the conversation's status, attachment names): the shape of the store, free of the
    ids either run happened to draw."""
    rows = store.conn.execute(
        "SELECT m.external_id, m.customer_id, m.conversation_id, c.status, c.merged_into,"
        " (SELECT count(*) FROM attachment a WHERE a.message_id = m.id) FROM message m"
        " JOIN conversation c ON c.id = m.conversation_id ORDER BY m.id").fetchall()
    first_of: dict[tuple[str, int], str] = {}
    shaped = []
    for ext, customer, conversation, status, merged_into, files in rows:
        first_of.setdefault(("customer", customer), ext)
        first_of.setdefault(("conversation", conversation), ext)
        shaped.append((ext, first_of[("customer", customer)],
                       first_of[("conversation", conversation)], status, merged_into is None,
                       files))
    return shaped


def seeded(db: Database) -> Store:
    """A shop that knows Olga by email (a resolved case, then a snoozed one), Jan by email and
    a chat visitor v9 known only by that."""
    upgrade(db)
    store = Store.open(db)
    ann = add_agent(store, "ann", "Ann Agent")
    olga = ingest(store, mail("seed-1", "olga@example.org", wire_id="<seed-1@shop>",
                              subject="Lamp"))
    actions.resolve(store, olga.conversation_id, ann)
    later = ingest(store, mail("seed-2", "olga@example.org", subject="Chair"))
    actions.snooze(store, later.conversation_id, ann,
                   until=datetime.fromtimestamp(float(store.clock()) + 3600, UTC))
    ingest(store, mail("seed-3", "jan@example.org", subject="Desk"))
    ingest(store, chat("seed-4", "v9", display_name="Piotr"))
    return store


BATCH = [
    chat("b1", "v1", display_name="Maria"),
    chat("b2", "v2"),
    chat("b1", "v1", text="the same message again"),
    # Into the resolved case (it reopens), then a reply to that, not to the snoozed one.
    mail("b3", "olga@example.org", wire_id="<b3@x>", thread_refs=("<seed-1@shop>",)),
    mail("b4", "olga@example.org", wire_id="<b4@x>", thread_refs=("<b3@x>",),
         quoted_text="> earlier"),
    chat("b5", "v1", attachments=(InboundAttachment("a.txt", "text/plain", 3, b"abc"),)),
    chat("b6", "v9", text="any news?"),
    chat("b7", "v3", link_email="olga@example.org", display_name="Olga"),
    chat("b8", "v3", text="still me"),
    # v9 turns out to be Jan: v9's messages, b6 too, move to Jan in the middle of the batch.
    chat("b9", "v9", link_email="jan@example.org", text="it is Jan"),
    chat("b10", "v9", text="so?"),
    mail("b11", "olga@example.org", text="and by mail"),
    chat("b12", "v2", text="bye"),
]


def test_a_batch_comes_out_as_its_messages_one_by_one(
        another_database: Callable[..., Database], tmp_path: Any) -> None:
    one_by_one, together = seeded(another_database("single")), seeded(another_database("batch"))
    try:
        singles = [ingest(one_by_one, item, attachments_dir=tmp_path / "a1") for item in BATCH]
        batch = ingest_batch(together, BATCH, attachments_dir=tmp_path / "a2")
        assert [r.created for r in batch] == [r.created for r in singles]
        assert history(together) == history(one_by_one)
        assert batch[2].message_id == batch[0].message_id  # the repeat names the stored one
        last = together.conn.execute(
            "SELECT c.last_message_id, m.external_id FROM conversation c JOIN message m"
            " ON m.id = c.last_message_id WHERE c.id = ?", (batch[-1].conversation_id,)
        ).fetchone()
        assert last[1] == "b12"
        ids = [r.message_id for r in batch if r.created]
        assert ids == sorted(ids)  # in arrival order, as the timeline reads them
    finally:
        one_by_one.close()
        together.close()


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """Every statement the store's connection sends while the block runs."""
    sent: list[str] = []
    conn = store.conn
    if getattr(conn, "dialect", "sqlite") == "postgresql":
        execute, executemany = conn.execute, conn.executemany
        conn.execute = lambda sql, params=(): (sent.append(sql), execute(sql, params))[1]
        conn.executemany = lambda sql, rows: (sent.append(sql), executemany(sql, rows))[1]
        try:
            yield sent
        finally:
            del conn.execute, conn.executemany
    else:
        conn.set_trace_callback(sent.append)
        try:
            yield sent
        finally:
            conn.set_trace_callback(None)


def test_a_batch_from_known_customers_reads_once_not_per_message(store: Store) -> None:
    """200 chat messages from 50 known visitors: the senders, their cases and their keys are
    read in a few statements, not three per message; on PostgreSQL the messages go in with one
    executemany (a handful of round trips for the batch)."""
    ingest_batch(store, [chat(f"warm-{n}", f"v{n}", display_name=f"Visitor {n}")
                         for n in range(50)])
    batch = [chat(f"m-{n}", f"v{n % 50}", text=f"question {n}") for n in range(200)]
    with statements(store) as sent:
        results = ingest_batch(store, batch)
    assert all(r.created for r in results)
    reads = [s for s in sent if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) <= 8, reads
    if getattr(store.conn, "dialect", "sqlite") == "postgresql":
        assert len(sent) <= 15, sent
    count = store.conn.execute("SELECT count(*) FROM message WHERE external_id LIKE 'm-%'")
    assert count.fetchone()[0] == 200


def test_case_numbers_do_not_skip(store: Store) -> None:
    """Ids drawn up front on PostgreSQL are the ids used: new senders, a known customer whose
    case was resolved and a sender who links to someone known, in one batch, leave no gap in
    the conversation numbers agents and customers quote."""
    ann = add_agent(store, "ann", "Ann Agent")
    done = ingest(store, chat("old-1", "v-old"))
    actions.resolve(store, done.conversation_id, ann)
    before = store.conn.execute("SELECT max(id) FROM conversation").fetchone()[0]
    results = ingest_batch(store, [
        chat("n-1", "v-a"), chat("n-2", "v-b"), chat("n-3", "v-old", text="me again"),
        chat("n-4", "v-a", text="and again"),
        chat("n-5", "v-c", link_email="someone@example.org"),
        chat("n-6", "v-d"), mail("n-7", "new@example.org")])
    made = sorted({r.conversation_id for r in results})
    assert made == list(range(before + 1, before + 1 + len(made))), made
    assert len(made) == 6  # v-a, v-b, v-old's new case, v-c, v-d, the new address
