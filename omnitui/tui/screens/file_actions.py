"""The conversation screen's files: `f` lists them (save, open), ctrl+t attaches one.

A mixin beside ConversationActions. Attaching offers the files in the agent's own files folder
(what they uploaded over SFTP, or saved from another conversation) and a typed path; the file
is checked (exists, readable, a file, a safe name) when picked and again when the reply is
sent, where the channel's size limit is known.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from omnitui.agent_files import files_folder
from omnitui.core.attachments import conversation_files
from omnitui.core.outgoing_files import check_name
from omnitui.store.db import StoreError
from omnitui.tui.format import display
from omnitui.tui.widgets.attached_files import AttachedFiles

PICKER_FILES = 200  # newest first; a folder with more is typed from


class FileActions:
    """Needs `self.app`, `self.store`, `self.agent`, `self.conversation_id`, `self.attachments`."""

    app: Any
    store: Any
    agent: Any
    conversation_id: int
    attachments: list[Path]

    query_one: Any  # the screen's (a stub method here would shadow it)

    def _show_composer_label(self) -> None: ...

    @property
    def files_folder(self) -> Path:
        return files_folder(self.app.settings, self.agent.username)

    def action_files(self) -> None:
        from omnitui.tui.dialogs.files import FilesDialog

        settings = self.app.settings
        files = self.app.attempt(conversation_files, self.store, self.conversation_id)
        if files is None:
            return
        self.app.push_screen(FilesDialog(files, store=self.store,
                                         attachments_dir=settings.attachments_dir,
                                         folder=self.files_folder, console=settings.files,
                                         tz=self.app.tz))

    def action_attach(self) -> None:
        from omnitui.tui.dialogs.attach_picker import AttachPicker

        folder = self.files_folder
        self.app.push_screen(AttachPicker(folder, folder_files(folder)[:PICKER_FILES],
                                          can_remove=bool(self.attachments)),
                             self._attach_picked)

    def _attach_picked(self, choice: Path | str | None) -> None:
        from omnitui.tui.dialogs.attach_picker import REMOVE_ALL

        if choice == REMOVE_ALL:
            self.set_attachments([])
        elif isinstance(choice, Path):
            self._attach_file(choice)

    def _attach_file(self, path: Path) -> None:
        try:
            check_name(path.name)
        except StoreError as exc:
            self.app.notify(str(exc), severity="error", markup=False)
            return
        if not path.is_file():
            what = "a folder" if path.is_dir() else "not there"
            self.app.notify(f"Cannot attach {display(str(path))}: it is {what}.",
                            severity="error", markup=False)
            return
        if path not in self.attachments:
            self.set_attachments([*self.attachments, path])

    def set_attachments(self, paths: list[Path]) -> None:
        """The reply's files, shown under the reply box's label (also after a send: none)."""
        self.attachments[:] = paths
        self.query_one(AttachedFiles).show_files(self.attachments)
        self._show_composer_label()


def folder_files(folder: Path) -> list[tuple[Path, int]]:
    """Regular files directly in the folder and their sizes, newest first (hidden ones left
    out: an upload in progress is often a dot file)."""
    try:
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError:
        return []
    found: list[tuple[float, Path, int]] = []
    for path in entries:
        try:
            st = path.stat()
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            found.append((st.st_mtime, path, st.st_size))
    found.sort(key=lambda item: (-item[0], item[1].name))
    return [(path, size) for _, path, size in found]
