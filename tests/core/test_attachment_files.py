"""Files of a conversation: saved byte for byte under a safe name, attached only if they can go."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from omnitui.channels.base import Inbound, InboundAttachment
from omnitui.config import Settings, parse_settings
from omnitui.core import actions
from omnitui.core.agents import AgentRow
from omnitui.core.attachments import (
    conversation_files,
    safe_filename,
    save_file,
    unique_name,
)
from omnitui.core.errors import ActionError
from omnitui.core.ingest import ingest
from omnitui.core.outgoing_files import MB, FileLimits
from omnitui.store.db import Store
from omnitui.store.files import blobs_in_database

ALL_BYTES = bytes(range(256)) * 64
HOSTILE = "../../etc/passwd\x1b[31m.png"


def received(store: Store, settings: Settings, *files: tuple[str, bytes]) -> int:
    atts = tuple(InboundAttachment(name, "application/octet-stream", len(data), data)
                 for name, data in files)
    r = ingest(store, Inbound(channel="chat", kind="chat", external_id=f"v1:{len(files)}",
                              address="v1", text="files", attachments=atts),
               attachments_dir=settings.attachments_dir)
    return r.conversation_id


def counts(store: Store) -> tuple[int, int, int]:
    return tuple(store.conn.execute(  # type: ignore[return-value]
        "SELECT (SELECT count(*) FROM message), (SELECT count(*) FROM attachment), "
        "(SELECT count(*) FROM outbox)").fetchone())


def blobs(store: Store, settings: Settings) -> int:
    """How many attachment blobs the store keeps (rows on PostgreSQL, files on SQLite)."""
    if blobs_in_database(store):
        return int(store.conn.execute("SELECT count(*) FROM attachment_blob").fetchone()[0])
    root = settings.attachments_dir
    return sum(len(files) for _, _, files in os.walk(root)) if root.exists() else 0


def test_saved_files_are_byte_identical_under_their_own_safe_names(
        store: Store, settings: Settings, tmp_path: Path) -> None:
    conv = received(store, settings, ("all bytes.bin", ALL_BYTES),
                    ("Счёт №5 — été.pdf", "ünïcødé".encode()), (HOSTILE, b"\x89PNG..."))
    files = conversation_files(store, conv)
    assert [f.filename for f in files] == ["all bytes.bin", "Счёт №5 — été.pdf",
                                           "_.._etc_passwd[31m.png"]
    folder = tmp_path / "mine"
    saved = [save_file(store, f.id, settings.attachments_dir, folder) for f in files]
    assert [p.parent for p in saved] == [folder] * 3
    assert saved[0].read_bytes() == ALL_BYTES
    assert saved[1].read_bytes() == "ünïcødé".encode()
    assert saved[2].name == "_.._etc_passwd[31m.png" and saved[2].read_bytes() == b"\x89PNG..."
    assert not (tmp_path / "etc").exists()
    assert oct(saved[0].stat().st_mode & 0o777) == "0o600"
    # Never overwritten: a second and third save get "(2)" and "(3)".
    (folder / "all bytes.bin").write_bytes(b"the agent's own edit")
    again = save_file(store, files[0].id, settings.attachments_dir, folder)
    third = save_file(store, files[0].id, settings.attachments_dir, folder)
    assert (again.name, third.name) == ("all bytes (2).bin", "all bytes (3).bin")
    assert (folder / "all bytes.bin").read_bytes() == b"the agent's own edit"
    assert again.read_bytes() == ALL_BYTES


@pytest.mark.parametrize(("name", "safe"), [
    ("a/b\\c.txt", "a_b_c.txt"), ("..", "attachment"), (".hidden", "hidden"),
    ("\x00\x07", "attachment"), ("tab\there.txt", "tab here.txt"),
    ("x" * 300 + ".pdf", "x" * 196 + ".pdf"), ("\u202eevil.exe", "evil.exe"),
])
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def test_unique_names() -> None:
    assert [unique_name("a.tar.gz", n) for n in (1, 2)] == ["a.tar.gz", "a.tar (2).gz"]
    assert unique_name("README", 3) == "README (3)"


def test_a_damaged_stored_copy_saves_nothing(store: Store, settings: Settings,
                                             tmp_path: Path) -> None:
    conv = received(store, settings, ("a.txt", b"original"))
    row = conversation_files(store, conv)[0]
    digest = store.conn.execute("SELECT sha256 FROM attachment").fetchone()[0]
    if blobs_in_database(store):
        with store.write() as tx:
            tx.execute("UPDATE attachment_blob SET data = ? WHERE sha256 = ?",
                       (b"tampered", digest))
    else:
        blob = settings.attachments_dir / digest[:2] / digest[2:]
        blob.write_bytes(b"tampered")
    with pytest.raises(ActionError, match="damaged"):
        save_file(store, row.id, settings.attachments_dir, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_reply_with_files_stores_them_and_lists_them_as_sent(
        store: Store, settings: Settings, ann: AgentRow, tmp_path: Path) -> None:
    conv = received(store, settings, ("in.txt", b"in"))
    mine = tmp_path / "Лист.bin"
    mine.write_bytes(ALL_BYTES)
    actions.reply(store, conv, "here", ann, attachments=[mine],
                  attachments_dir=settings.attachments_dir)
    files = conversation_files(store, conv)
    assert [(f.filename, f.direction, f.size) for f in files] == [
        ("in.txt", "received", 2), ("Лист.bin", "sent", len(ALL_BYTES))]
    saved = save_file(store, files[1].id, settings.attachments_dir, tmp_path / "back")
    assert saved.read_bytes() == ALL_BYTES


def test_refused_files_leave_nothing_behind(store: Store, settings: Settings, ann: AgentRow,
                                            tmp_path: Path) -> None:
    conv = received(store, settings, ("in.txt", b"in"))
    before = counts(store), blobs(store, settings)
    folder = tmp_path / "folder"
    folder.mkdir()
    unreadable = tmp_path / "secret.txt"
    unreadable.write_bytes(b"x")
    unreadable.chmod(0)
    big = tmp_path / "big.bin"
    with open(big, "wb") as fh:
        fh.truncate(10 * MB + 1)  # over chat's 10 MB
    control = tmp_path / "bad\x1bname.txt"
    control.write_bytes(b"x")
    backslash = tmp_path / "a\\b.txt"
    backslash.write_bytes(b"x")
    good = tmp_path / "good.txt"
    good.write_bytes(b"fine")
    cases = {
        tmp_path / "missing.pdf": "there is no such file",
        folder: "it is a folder",
        big: "can be at most 10.0 MB",
        control: "control characters",
        backslash: "cannot hold / or",
    }
    if os.geteuid() != 0:  # root reads anything
        cases[unreadable] = "Permission denied"
    for path, sentence in cases.items():
        with pytest.raises(ActionError, match=sentence) as caught:
            actions.reply(store, conv, "with a file", ann, attachments=[good, path],
                          attachments_dir=settings.attachments_dir)
        message = str(caught.value)
        assert "\n" not in message and "\x1b" not in message and message.endswith(".")
        assert (counts(store), blobs(store, settings)) == before, path


def test_each_channel_has_its_own_limit(data_dir: Path) -> None:
    settings = parse_settings({
        "omnitui": {"data_dir": str(data_dir)},
        "channels": {
            "mail": {"kind": "email", "address": "s@shop.example", "imap_host": "h",
                     "smtp_host": "h", "username": "u", "password_env": "P",
                     "attachment_max": "5MB"},
            "chat": {"kind": "chat", "web_upload_max": "2MB"},
            "bot": {"kind": "telegram", "token_env": "T"},
        }}, None)
    from omnitui.agent_files import file_limits

    limits = file_limits(settings)
    assert (limits.limit("mail", "email"), limits.limit("chat", "chat"),
            limits.limit("bot", "telegram")) == (5 * MB, 2 * MB, 50 * MB)
    assert FileLimits().limit("@email", "email") == 20 * MB
    assert limits.largest == 50 * MB


def test_the_config_keys_are_checked(data_dir: Path) -> None:
    from omnitui.config import ConfigError

    base = {"omnitui": {"data_dir": str(data_dir)}}
    for console, needle in [({"open_command": 3}, "console.open_command"),
                            ({"open_command": "'unclosed"}, "console.open_command"),
                            ({"files_dir": "relative/dir"}, "console.files_dir"),
                            ({"files_dir": "/srv/{user}"}, "console.files_dir"),
                            ({"viewer": "x"}, "console.viewer")]:
        with pytest.raises(ConfigError, match=needle.replace(".", r"\.")):
            parse_settings({**base, "console": console}, None)
    with pytest.raises(ConfigError, match="attachment_max"):
        parse_settings({**base, "channels": {"mail": {
            "kind": "email", "address": "s@x.example", "imap_host": "h", "smtp_host": "h",
            "username": "u", "password_env": "P", "attachment_max": "lots"}}}, None)
    s = parse_settings({**base, "console": {"files_dir": "/srv/files/{agent}",
                                            "open_command": "feh --scale {path}"}}, None)
    assert s.files.folder("ann", shared=False) == Path("/srv/files/ann")
    assert s.files.open_argv(Path("/x/a b;rm.png")) == ["feh", "--scale", "/x/a b;rm.png"]
