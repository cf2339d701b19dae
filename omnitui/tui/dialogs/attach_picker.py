"""Pick a file to attach: the agent's files folder listed, or a path typed.

The path box has the focus, so typing a path works as it always did (a relative path is
taken from the files folder: what the agent uploaded over SFTP is found by its name); ↓ or
tab moves to the list of the folder's files, newest first. Answers with a Path, REMOVE_ALL,
or None.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from omnitui.core.attachments import human_size
from omnitui.tui.format import display

REMOVE_ALL = "remove"


class AttachPicker(ModalScreen[Path | str | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("down", "to_list", "Files", show=False, id="dialog.to_list"),
    ]

    def __init__(self, folder: Path, files: list[tuple[Path, int]], *,
                 can_remove: bool) -> None:
        super().__init__()
        self.folder = folder
        self.files = files
        self.can_remove = can_remove

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="attach-picker"):
            yield Static(Text("Attach a file", style="bold"), classes="dialog-title")
            yield Input(placeholder=f"a path, or a name in {self.folder}", id="attach-path")
            options = [Option(self._label(path, size), id=f"f{n}")
                       for n, (path, size) in enumerate(self.files)]
            if self.can_remove:
                options.append(Option(Text("Remove the attached files", style="italic"),
                                      id=REMOVE_ALL))
            if options:
                yield OptionList(*options, id="attach-list")
            else:
                yield Static(Text(f"No files in {self.folder} yet.", style="dim italic"))
            yield Static(Text("enter attach · ↓ the folder's files · esc cancel", style="dim"))

    def on_mount(self) -> None:
        box = self.query_one(Input)
        box.cursor_blink = False
        box.focus()

    def _label(self, path: Path, size: int) -> Text:
        label = Text(no_wrap=True, overflow="ellipsis")
        label.append(display(path.name, 48))
        label.append(f"  {human_size(size)}", style="dim")
        return label

    def action_to_list(self) -> None:
        lists = self.query(OptionList)
        if lists and self.focused is not lists.first():
            lists.first().focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        typed = event.value.strip()
        if typed:
            path = Path(typed).expanduser()
            self.dismiss(path if path.is_absolute() else self.folder / path)
        elif self.query(OptionList):
            self.action_to_list()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == REMOVE_ALL:
            self.dismiss(REMOVE_ALL)
        else:
            self.dismiss(self.files[int((event.option.id or "f0")[1:])][0])

    def action_cancel(self) -> None:
        self.dismiss(None)
