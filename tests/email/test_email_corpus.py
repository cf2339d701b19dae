"""`bench/mail_corpus.py` over folders of mail: the published corpus of other parsers' test
mails when it is on this machine, and a folder written here (so CI runs the script too)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from realmail import file_part, mail, multipart, text_part

from omnitui.channels.email.inbound import to_inbound
from omnitui.core.ingest import ingest_batch

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "mail_corpus.py"
PEERS = ROOT.parent / "shared" / "mail-peers"


def run_corpus(folder: Path) -> dict:
    done = subprocess.run([sys.executable, str(SCRIPT), str(folder), "--json"],
                          capture_output=True, text=True, timeout=300, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(not (PEERS / "zbateson" / "expectations.json").exists(),
                    reason="the corpus of other parsers' test mails is not on this machine")
def test_published_corpus_is_stored_readably_and_matches_expectations():
    figures = run_corpus(PEERS)
    assert figures["mails"] == 194
    assert figures["unreadable"] == {}
    quarantined = {Path(p).name: why for p, why in figures["quarantined"].items()}
    assert set(quarantined) == {"mail_outlook_1", "bad_encoded_subject.eml"}  # .msg; no sender
    assert quarantined["mail_outlook_1"] == "Not a mail: no headers found."
    assert "has no sender" in quarantined["bad_encoded_subject.eml"]
    assert (figures["expectations"], figures["expectations_all_match"]) == (74, 74)


def test_script_checks_a_folder_of_its_own(tmp_path: Path):
    """Three mails and expectations in mail-mime-parser's format: one matches, one differs in
    its subject and attachment count, one is quarantined; a license file is skipped."""
    emails, files = tmp_path / "emails", tmp_path / "files"
    emails.mkdir()
    files.mkdir()
    (files / "body.txt").write_bytes("Grüße aus   München\n".encode("latin-1"))
    (emails / "good.eml").write_bytes(mail(
        multipart("mixed", "MIX", text_part("Grüße aus München"),
                  file_part("a.png", disposition="attachment")),
        sender="Ann Doe <ann@customer.test>", subject="Hallo"))
    (emails / "other.eml").write_bytes(mail(text_part("Grüße aus München"),
                                            sender="ann@customer.test", subject="Wrong"))
    (emails / "nosender.eml").write_bytes(b"Subject: who?\r\n\r\nbody\r\n")
    (tmp_path / "LICENSE").write_text("not a mail")
    expected = {"from_email": "ann@customer.test", "subject": "Hallo", "text_file": "body.txt",
                "attachments": 1}
    (tmp_path / "expectations.json").write_text(json.dumps({"mails": {
        "good": dict(expected, from_name="Ann Doe"), "other": expected}}))
    figures = run_corpus(tmp_path)
    assert figures["mails"] == 3 and figures["stored_readably"] == 2
    assert [Path(p).name for p in figures["quarantined"]] == ["nosender.eml"]
    assert (figures["expectations"], figures["expectations_all_match"]) == (2, 1)
    assert {Path(p).name: m for p, m in figures["expectation_misses"].items()} == {
        "other.eml": ["attachments", "subject"]}
    text = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True,
                          text=True, timeout=300, check=True).stdout
    assert text.startswith("3 mails: 2 stored readably, 1 quarantined, 0 unreadable")
    assert "2 with expectations: 1 match in every field" in text


def _stored_texts(store) -> list[str]:
    """Every text column a console shows of what customers sent."""
    queries = [
        "SELECT text FROM message", "SELECT subject FROM message WHERE subject IS NOT NULL",
        "SELECT filename FROM attachment", "SELECT name FROM customer WHERE name IS NOT NULL",
        "SELECT address FROM identity", "SELECT preview FROM conversation",
        "SELECT subject FROM conversation WHERE subject IS NOT NULL",
    ]
    return [row[0] or "" for q in queries for row in store.conn.execute(q)]


def _assert_clean(texts: list[str]) -> None:
    unsafe = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
    dirty = [t[:80] for t in texts if unsafe.search(t)]
    assert not dirty


def _ingest_files(store, raws: list[bytes], attachments: Path) -> None:
    items = [to_inbound(raw, "mail", "support@shop.test") for raw in raws]
    ingest_batch(store, items, attachments_dir=attachments)


def test_stored_text_never_holds_controls_or_bidi_overrides(store, tmp_path: Path):
    """Hand-made hostile mail through the real ingest into a real store (CI), then the corpus."""
    nasty = [
        mail(multipart("mixed", "MIX", text_part("body \x1b[31mred\x1b[0m \u202eevil"),
                       file_part("inv\x07oice\u202e.png", disposition="attachment")),
             sender="=?utf-8?q?Ann=1B]0;x=07?= <ann@customer.test>",
             subject="=?utf-8?q?=C2=9B31m_hi_=E2=80=AE?="),
        mail(text_part("\x00\x08 C0 and \x7f DEL\u2066"), sender="bob@customer.test",
             subject="tab\there"),
    ]
    _ingest_files(store, nasty, tmp_path / "att")
    texts = _stored_texts(store)
    assert any("evil" in t for t in texts) and any(".png" in t for t in texts)
    _assert_clean(texts)
    if (PEERS / "zbateson" / "expectations.json").exists():
        sys.path.insert(0, str(SCRIPT.parent))
        from mail_corpus import mail_files

        files, _ = mail_files(PEERS)
        assert len(files) == 194
        _ingest_files(store, [p.read_bytes() for p in files], tmp_path / "att")
        _assert_clean(_stored_texts(store))
