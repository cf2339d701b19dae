"""Attachment bytes where every host of the shop reads them: files beside a SQLite store, rows
of `attachment_blob` in a PostgreSQL one, committed with the rows that name them.

"Another host" is a data dir of its own: on PostgreSQL nothing of the hub's disk is needed to
read, send or save a file; on SQLite the files are the store's (one host)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from omnitui.channels.base import Inbound, InboundAttachment
from omnitui.config import Settings
from omnitui.core import actions, outbox
from omnitui.core.agents import AgentRow
from omnitui.core.attachments import conversation_files, save_file
from omnitui.core.ingest import ingest, ingest_batch
from omnitui.store.db import Store
from omnitui.store.files import blob_path, read_blob
from tests.backend import on_postgres

INVOICE = b"%PDF-1.4 invoice " + bytes(range(256)) * 40
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 3000


def mail(n: int, *files: tuple[str, bytes]) -> Inbound:
    return Inbound(channel="chat", kind="chat", external_id=f"v1:{n}", address="v1",
                   text=f"files {n}", attachments=tuple(
                       InboundAttachment(name, "application/pdf", len(data), data)
                       for name, data in files))


def blob_rows(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM attachment_blob").fetchone()[0])


def files_on_disk(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def test_received_files_are_kept_once_where_every_host_reads_them(
        store: Store, settings: Settings, tmp_path: Path) -> None:
    first = ingest(store, mail(1, ("invoice.pdf", INVOICE), ("photo.png", PHOTO)),
                   attachments_dir=settings.attachments_dir)
    ingest(store, mail(2, ("same invoice.pdf", INVOICE)),
           attachments_dir=settings.attachments_dir)
    digest = hashlib.sha256(INVOICE).hexdigest()
    if on_postgres():
        assert blob_rows(store) == 2  # the same bytes twice: one row
        assert files_on_disk(settings.attachments_dir) == 0
        elsewhere = tmp_path / "another-host" / "attachments"  # no files there at all
    else:
        assert blob_rows(store) == 0
        assert blob_path(settings.attachments_dir, digest).read_bytes() == INVOICE
        elsewhere = settings.attachments_dir
    assert read_blob(store, elsewhere, digest) == INVOICE
    files = conversation_files(store, first.conversation_id)
    saved = [save_file(store, f.id, elsewhere, tmp_path / "agent-files") for f in files]
    assert [p.read_bytes() for p in saved] == [INVOICE, PHOTO, INVOICE]


def test_a_batch_that_fails_leaves_no_bytes_behind_in_the_database(
        store: Store, settings: Settings) -> None:
    import omnitui.core.ingest as ingest_module

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the server went away half way")

    with pytest.MonkeyPatch.context() as patch, pytest.raises(RuntimeError):
        patch.setattr(ingest_module, "_ingest_in", refuse)
        ingest_batch(store, [mail(1, ("invoice.pdf", INVOICE))],
                     cursor=("chat", "42"), attachments_dir=settings.attachments_dir)
    assert blob_rows(store) == 0
    assert store.conn.execute("SELECT count(*) FROM message").fetchone()[0] == 0
    assert store.conn.execute("SELECT count(*) FROM cursor").fetchone()[0] == 0
    # the same batch again (the channel re-fetches it) is stored whole, once
    ingest_batch(store, [mail(1, ("invoice.pdf", INVOICE))], cursor=("chat", "42"),
                 attachments_dir=settings.attachments_dir)
    assert blob_rows(store) == (1 if on_postgres() else 0)
    assert store.conn.execute("SELECT count(*) FROM attachment").fetchone()[0] == 1


def test_a_reply_attached_on_one_host_is_sent_by_a_hub_on_another(
        store: Store, settings: Settings, ann: AgentRow, tmp_path: Path) -> None:
    conv = ingest(store, mail(1), attachments_dir=settings.attachments_dir).conversation_id
    upload = tmp_path / "label.pdf"
    upload.write_bytes(INVOICE)
    queued = actions.reply(store, conv, "your label", ann, attachments=[upload],
                           attachments_dir=settings.attachments_dir)
    hub_root = (tmp_path / "hub-host" / "attachments" if on_postgres()
                else settings.attachments_dir)
    [(claimed, out)] = outbox.claim_loaded(store, {"chat"}, 10, hub_root)
    assert claimed.message_id == queued.message_id and not isinstance(out, Exception)
    [att] = out.attachments
    assert (att.filename, att.size) == ("label.pdf", len(INVOICE))
    assert att.read_bytes() == INVOICE
    with att.open() as fh:
        assert fh.read() == INVOICE
    assert (att.data is not None) == on_postgres()
