"""The console's files: the timeline names them, `f` saves and opens them, ctrl+t attaches one."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path

from omnitui.config import Settings
from omnitui.config_files import ConsoleFiles
from omnitui.store.files import keep_blobs
from omnitui.tui.app import OmniConsole, make_app
from omnitui.tui.dialogs.attach_picker import AttachPicker
from omnitui.tui.dialogs.files import NO_VIEWER, FilesDialog
from omnitui.tui.widgets.attached_files import AttachedFiles

from .helpers import EMMA, one, open_conv, type_text
from .screen_text import screen_text

ALL_BYTES = bytes(range(256)) * 16
HOSTILE = "../../etc/passwd\x1b[31m.png"
COPY_VIEWER = "import shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2])"


def with_files(shop: Settings, folder: Path, viewer_out: Path | None) -> Settings:
    command = (sys.executable, "-c", COPY_VIEWER, "{path}", str(viewer_out)) \
        if viewer_out else ()
    return dataclasses.replace(shop, files=ConsoleFiles(str(folder / "{agent}"), command))


def add_files(app: OmniConsole, conversation_id: int) -> None:
    """Two files on the customer's latest message, as ingest stores them."""
    message_id = one(app, "SELECT max(id) FROM message WHERE conversation_id = ? "
                          "AND kind = 'inbound'", conversation_id)[0]
    for name, data, kind in (("all bytes.bin", ALL_BYTES, "application/octet-stream"),
                             (HOSTILE, b"\x89PNG fake", "image/png")):
        with app.store.write() as tx:  # files beside SQLite, rows on PostgreSQL
            digest = keep_blobs(tx, app.settings.attachments_dir, [data])[0]
            tx.insert("attachment", {"message_id": message_id, "filename": name,
                                     "content_type": kind, "size": len(data),
                                     "sha256": digest})


async def test_files_dialog_saves_byte_identical_copies_and_opens_them(
        shop: Settings, fixed_clock: Callable[[], float], tmp_path: Path) -> None:
    viewer_out = tmp_path / "viewer-got"
    app = make_app(with_files(shop, tmp_path / "files", viewer_out), "anna", clock=fixed_clock)
    add_files(app, EMMA)
    mine = tmp_path / "files" / "anna"
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_conv(pilot, EMMA)
        timeline = screen.timeline.plain()
        assert "📎 all bytes.bin  application/octet-stream · 4.1 KB" in timeline
        assert "📎 _.._etc_passwd[31m.png  image/png · 9 bytes" in timeline
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FilesDialog)
        text = screen_text(app)
        assert "all bytes.bin" in text and "_.._etc_passwd[31m.png" in text
        assert "\x1b" not in text
        await pilot.press("s")
        await pilot.press("s")
        await pilot.pause()
        assert (mine / "all bytes.bin").read_bytes() == ALL_BYTES
        assert (mine / "all bytes (2).bin").read_bytes() == ALL_BYTES
        assert "Saved all bytes (2).bin" in screen_text(app)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert (mine / "_.._etc_passwd[31m.png").read_bytes() == b"\x89PNG fake"
        await pilot.press("up", "o")
        await pilot.pause()
        assert viewer_out.read_bytes() == ALL_BYTES
        assert "Opened all bytes.bin" in screen_text(app)
        assert sorted(p.name for p in mine.iterdir()) == [  # opening reused the saved copy
            "_.._etc_passwd[31m.png", "all bytes (2).bin", "all bytes.bin"]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_open_without_a_viewer_says_so(shop: Settings, fixed_clock: Callable[[], float],
                                             tmp_path: Path) -> None:
    app = make_app(with_files(shop, tmp_path / "files", None), "anna", clock=fixed_clock)
    add_files(app, EMMA)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_conv(pilot, EMMA)
        await pilot.press("f", "o")
        await pilot.pause()
        assert NO_VIEWER.split(";")[0] in screen_text(app)


async def test_attaching_from_the_files_folder_and_sending(
        shop: Settings, fixed_clock: Callable[[], float], tmp_path: Path) -> None:
    app = make_app(with_files(shop, tmp_path / "files", None), "anna", clock=fixed_clock)
    mine = tmp_path / "files" / "anna"
    mine.mkdir(parents=True)
    (mine / "invoice 4412.pdf").write_bytes(b"%PDF-1.4 " + ALL_BYTES)
    (mine / "a folder").mkdir()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_conv(pilot, EMMA)
        await pilot.press("r")
        await type_text(pilot, "Here it is")
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, AttachPicker)
        picker = screen_text(app)
        assert "invoice 4412.pdf" in picker and "a folder" not in picker
        await pilot.press("down", "enter")
        await pilot.pause()
        attached = screen.query_one(AttachedFiles)
        assert attached.display and "📎 1 file:  invoice 4412.pdf (4.1 KB)" in screen_text(app)
        # Typed paths: a folder and a hostile name are refused in one sentence each; the
        # file picked stays attached. A relative path is taken from the files folder.
        for typed, sentence in (("a folder", "it is a folder"),
                                ("bad\\name.txt", "cannot hold / or \\")):
            await pilot.press("ctrl+t")
            await pilot.pause()
            await type_text(pilot, typed)
            await pilot.press("enter")
            await pilot.pause()
            assert any(sentence in str(n.message) for n in app._notifications), sentence
        assert screen.attachments == [mine / "invoice 4412.pdf"]
        await pilot.press("ctrl+j")
        await pilot.pause()
        assert not attached.display and screen.attachments == []
        row = one(app, "SELECT a.filename, a.size, m.text FROM attachment a JOIN message m "
                       "ON m.id = a.message_id WHERE m.conversation_id = ? AND "
                       "m.kind = 'outbound' ORDER BY a.id DESC LIMIT 1", EMMA)
        assert row[:2] == ("invoice 4412.pdf", 9 + len(ALL_BYTES))
        assert row[2].startswith("Here it is")
        assert "📎 invoice 4412.pdf" in screen.timeline.plain()
        # Attached, then taken off again from the same list.
        await pilot.press("r", "ctrl+t")
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        assert screen.attachments == [mine / "invoice 4412.pdf"] and attached.display
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert "Remove the attached files" in screen_text(app)
        await pilot.press("down", "end", "enter")
        await pilot.pause()
        assert screen.attachments == [] and not attached.display
