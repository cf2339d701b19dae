"""Yes or no, answered with a bool: enter / escape, and y / n where letters are allowed.

`letters=False` for questions that a stray letter must never answer (resolve, reopen): the
agent who typed prose into the wrong place sees the question and nothing happens.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("enter", "answer(True)", "Yes", id="confirm.enter", show=False),
        Binding("y", "letter(True)", "Yes", id="confirm.yes"),
        Binding("n", "letter(False)", "No", id="confirm.no"),
        Binding("escape", "answer(False)", "No", id="confirm.escape"),
    ]

    def __init__(self, message: str, *, yes: str = "Yes", no: str = "No",
                 letters: bool = True) -> None:
        super().__init__()
        self.message = message
        self.yes = yes
        self.no = no
        self.letters = letters

    def compose(self) -> ComposeResult:
        yes_key, no_key = ("y / enter", "n / esc") if self.letters else ("enter", "esc")
        with Vertical(classes="dialog"):
            yield Static(Text(self.message))
            with Horizontal(classes="buttons"):
                # Not focusable: keys answer, and a space typed ahead presses nothing.
                yield Button(f"{self.yes} ({yes_key})", id="yes", variant="primary",
                             compact=True)
                yield Button(f"{self.no} ({no_key})", id="no", compact=True)

    def on_mount(self) -> None:
        for button in self.query(Button):
            button.can_focus = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.letters if action == "letter" else True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def action_letter(self, value: bool) -> None:
        self.dismiss(value)
