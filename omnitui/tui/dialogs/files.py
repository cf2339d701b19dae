"""The files of one conversation: save one into the agent's files folder, or open it.

Names are drawn as data (rich `Text`, never markup) after `safe_filename`. Saving never
overwrites: a second copy is "name (2).ext". Opening saves first (reusing an identical copy
already there) and runs `[console] open_command` on the saved file, without a shell, with the
console suspended so a terminal viewer (less, chafa) has the screen.
"""

from __future__ import annotations

import subprocess
from datetime import datetime, tzinfo
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult, SuspendNotSupported
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from omnitui.config_files import ConsoleFiles
from omnitui.core.attachments import FileRow, human_size, save_file
from omnitui.store.db import StoreError
from omnitui.tui import keymap
from omnitui.tui.format import display

NO_VIEWER = ("No viewer is set; add open_command = \"xdg-open {path}\" under [console] in the "
             "config to open files from here.")


class FilesDialog(ModalScreen[None]):
    """enter/s save · o open · esc close. Says what happened on its last line."""

    SCOPES = ("files",)
    BINDINGS = keymap.bindings("files")  # type: ignore[assignment]

    def __init__(self, files: list[FileRow], *, store: object, attachments_dir: Path,
                 folder: Path, console: ConsoleFiles, tz: tzinfo) -> None:
        super().__init__()
        self.files = files
        self.store = store
        self.attachments_dir = attachments_dir
        self.folder = folder
        self.console = console
        self.tz = tz

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="files-dialog"):
            yield Static(Text(f"Files of this conversation ({len(self.files)})", style="bold"),
                         classes="dialog-title")
            if self.files:
                yield OptionList(*[Option(self._label(f), id=str(n))
                                   for n, f in enumerate(self.files)], id="files-list")
            else:
                yield Static(Text("No files were sent or received here.", style="italic"))
            yield Static(Text(f"Saved to {self.folder}", style="dim"), id="files-folder")
            yield Static(Text("enter/s save · o open · esc close", style="dim"),
                         id="files-result")

    def on_mount(self) -> None:
        if self.files:
            self.query_one(OptionList).focus()

    def _label(self, f: FileRow) -> Text:
        label = Text(no_wrap=True, overflow="ellipsis")
        label.append("← " if f.direction == "received" else "→ ", style="dim")
        label.append(display(f.filename, 40))
        label.append(f"  {display(f.content_type, 30)} · {human_size(f.size)} · "
                     f"{datetime.fromtimestamp(f.created_at, self.tz):%d %b %H:%M}",
                     style="dim")
        if not f.available:
            label.append("  not downloaded", style="bold yellow")
        return label

    def _chosen(self) -> FileRow | None:
        if not self.files:
            return None
        index = self.query_one(OptionList).highlighted
        return self.files[index or 0]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_save()

    def _say(self, sentence: str, *, error: bool = False) -> None:
        self.query_one("#files-result", Static).update(
            Text(sentence, style="bold red" if error else "green"))

    def _save(self, *, reuse: bool) -> Path | None:
        chosen = self._chosen()
        if chosen is None:
            return None
        try:
            return save_file(self.store, chosen.id, self.attachments_dir,  # type: ignore[arg-type]
                              self.folder, reuse_identical=reuse)
        except StoreError as exc:
            self._say(str(exc), error=True)
            return None

    def action_save(self) -> None:
        saved = self._save(reuse=False)
        if saved is not None:
            self._say(f"Saved {saved.name} in {saved.parent}.")

    def action_open(self) -> None:
        if not self.console.open_command:
            self._say(NO_VIEWER, error=True)
            return
        saved = self._save(reuse=True)
        if saved is None:
            return
        argv = self.console.open_argv(saved)
        try:
            done = self._run_viewer(argv)
        except OSError as exc:
            self._say(f"The viewer {argv[0]} could not run: {exc.strerror or exc}.", error=True)
            return
        self.app.refresh(repaint=True, layout=True)
        if done.returncode != 0:
            self._say(f"The viewer {argv[0]} ended with status {done.returncode}.", error=True)
        else:
            self._say(f"Opened {saved.name}.")

    def _run_viewer(self, argv: list[str]) -> subprocess.CompletedProcess[bytes]:
        try:
            with self.app.suspend():
                return subprocess.run(argv, check=False)
        except SuspendNotSupported:  # no terminal to hand over (tests, a pipe): run beside it
            return subprocess.run(argv, check=False, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def action_close(self) -> None:
        self.dismiss(None)
