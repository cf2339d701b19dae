"""`omnitui attachment list|save`, `reply --attach` and `compose --attach` as scripts use them."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from omnitui.channels.base import Inbound, InboundAttachment
from omnitui.core.agents import add_agent
from omnitui.core.attachments import conversation_files
from omnitui.core.ingest import ingest
from omnitui.store.db import Store
from tests.backend import database_in
from tests.cli.test_cli_commands import assert_one_sentence_error, run

ALL_BYTES = bytes(range(256)) * 100
HOSTILE = "../../etc/passwd\x1b[31m.png"


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[omnitui]\ndata_dir = "data"\n\n[console]\n'
        f'files_dir = "{tmp_path}/files/{{agent}}"\n\n'
        '[channels.chat]\nkind = "chat"\nweb_upload_max = "30KB"\n\n'
        '[channels.mail]\nkind = "email"\naddress = "support@shop.example"\n'
        'imap_host = "127.0.0.1"\nsmtp_host = "127.0.0.1"\nusername = "support"\n'
        'password_env = "NO_SUCH_PASSWORD"\nattachment_max = "40KB"\n', encoding="utf-8")
    (tmp_path / "data").mkdir()
    store = Store.open(database_in(tmp_path / "data"))  # what `init` makes
    add_agent(store, "ann", "Ann")
    store.close()
    return path


def seed(cfg: Path) -> int:
    store = Store.open(database_in(cfg.parent / "data"))
    files = (InboundAttachment("Счёт 4412.bin", "application/octet-stream", len(ALL_BYTES),
                               ALL_BYTES),
             InboundAttachment(HOSTILE, "image/png", 4, b"\x89PNG"))
    conv = ingest(store, Inbound(channel="chat", kind="chat", external_id="v1:1", address="v1",
                                 text="files", attachments=files),
                  attachments_dir=cfg.parent / "data" / "attachments").conversation_id
    store.close()
    return conv


def test_list_and_save_byte_identical_under_safe_names(cfg: Path, tmp_path: Path) -> None:
    conv = seed(cfg)
    listed = json.loads(run(cfg, "attachment", "list", str(conv), "--json").stdout)
    assert [(f["filename"], f["size"], f["direction"]) for f in listed] == [
        ("Счёт 4412.bin", len(ALL_BYTES), "received"), ("_.._etc_passwd[31m.png", 4, "received")]
    table = run(cfg, "attachment", "list", str(conv)).stdout
    assert "Счёт 4412.bin" in table and "25.6 KB" in table and "\x1b" not in table
    saved = run(cfg, "attachment", "save", str(listed[0]["id"]), agent="ann").stdout
    mine = tmp_path / "files" / "ann"
    assert (mine / "Счёт 4412.bin").read_bytes() == ALL_BYTES and "Saved" in saved
    out = tmp_path / "elsewhere"
    run(cfg, "attachment", "save", str(listed[1]["id"]), "--to", str(out))
    assert [p.name for p in out.iterdir()] == ["_.._etc_passwd[31m.png"]
    assert (out / "_.._etc_passwd[31m.png").read_bytes() == b"\x89PNG"
    assert_one_sentence_error(run(cfg, "attachment", "save", "999", "--to", str(out),
                                  check=False), "There is no attachment 999.")


def test_reply_attach_refusals_store_nothing(cfg: Path, tmp_path: Path) -> None:
    conv = seed(cfg)
    db = database_in(cfg.parent / "data")

    def counts() -> tuple[int, int, int]:
        store = Store.open(db)
        row = tuple(store.conn.execute(
            "SELECT (SELECT count(*) FROM message), (SELECT count(*) FROM attachment), "
            "(SELECT count(*) FROM outbox)").fetchone())
        store.close()
        return row  # type: ignore[return-value]

    before = counts()
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 31_000)  # over the chat channel's 30 KB
    odd = tmp_path / "odd\x07name.txt"
    odd.write_bytes(b"x")
    for path, needle in ((tmp_path / "nope.pdf", "there is no such file"),
                         (tmp_path, "it is a folder"),
                         (big, "a file sent by chat on chat can be at most 30,000 bytes"),
                         (odd, "control characters")):
        proc = run(cfg, "reply", str(conv), "here", "--attach", str(path), agent="ann",
                   check=False)
        assert_one_sentence_error(proc, needle)
        assert "\x07" not in proc.stderr
    assert counts() == before
    ok = tmp_path / "ok.bin"
    ok.write_bytes(ALL_BYTES)
    run(cfg, "reply", str(conv), "two files", "--attach", str(ok), "--attach", str(ok),
        agent="ann")
    store = Store.open(db)
    assert [f.direction for f in conversation_files(store, conv)] == [
        "received", "received", "sent", "sent"]
    store.close()


def test_compose_attach(cfg: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "price list.pdf"
    sheet.write_bytes(ALL_BYTES)
    started = json.loads(run(cfg, "compose", "--to", "olga@example.org", "--attach", str(sheet),
                             "Our new prices", "--json", agent="ann").stdout)
    store = Store.open(database_in(cfg.parent / "data"))
    assert [(f.filename, f.size, f.content_type) for f in
            conversation_files(store, started["conversation_id"])] == [
        ("price list.pdf", len(ALL_BYTES), "application/pdf")]
    customers = store.conn.execute("SELECT count(*) FROM identity").fetchone()[0]
    store.close()
    too_big = tmp_path / "scan.pdf"
    too_big.write_bytes(b"x" * 41_000)  # the email channel's attachment_max is 40 KB
    proc = run(cfg, "compose", "--to", "piotr@example.org", "--attach", str(too_big), "Scan",
               agent="ann", check=False)
    assert_one_sentence_error(proc, "can be at most 40,000 bytes")
    store = Store.open(database_in(cfg.parent / "data"))
    assert store.conn.execute("SELECT count(*) FROM identity").fetchone()[0] == customers
    store.close()


@pytest.mark.skipif(os.geteuid() == 0 or sys.platform != "linux", reason="root reads anything")
def test_unreadable_file(cfg: Path, tmp_path: Path) -> None:
    conv = seed(cfg)
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"x")
    secret.chmod(0)
    assert_one_sentence_error(run(cfg, "reply", str(conv), "x", "--attach", str(secret),
                                  agent="ann", check=False), "Permission denied")
