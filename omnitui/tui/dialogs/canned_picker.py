"""The canned-answer picker: fuzzy as you type; with nothing typed, the answers closest to the
customer's last message come first. Answers with the chosen `Canned` (rendered by the caller)."""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process, utils
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from omnitui.core.canned import Canned

SHOWN = 20


def _words(text: str) -> list[str]:
    return re.findall(r"\w{3,}", text.lower())


def _hits(words: list[str], keys: list[str]) -> int:
    """How many of the customer's words (fuzzily: plurals, cases, typos) a key list holds."""
    if not keys:
        return 0
    return sum(1 for w in set(words)
               if process.extractOne(w, keys, scorer=fuzz.ratio, score_cutoff=80))


def rank(answers: list[Canned], query: str, last_message: str) -> list[Canned]:
    """Best first: the typed query against name/title/tags/body, else the customer's message
    (its words found in an answer's title and tags count double those found in its body)."""
    if not answers:
        return []
    if query.strip():
        keys = [f"{c.name} {c.title} {c.tags} {c.body[:200]}" for c in answers]
        found = process.extract(query, keys, scorer=fuzz.WRatio, limit=SHOWN,
                                processor=utils.default_process)
        return [answers[i] for _, score, i in found if score > 30]
    words = _words(last_message)
    scored = []
    for n, c in enumerate(answers):
        score = 2 * _hits(words, _words(f"{c.name} {c.title} {c.tags}")) + _hits(
            words, _words(c.body))
        scored.append((-score, n))
    scored.sort()
    return [answers[n] for _, n in scored][:SHOWN]


class CannedPicker(ModalScreen[Canned | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="canned.down"),
        Binding("up", "move(-1)", "Previous", show=False, id="canned.up"),
    ]

    def __init__(self, answers: list[Canned], last_message: str) -> None:
        super().__init__()
        self.answers = answers
        self.last_message = last_message
        self.shown: list[Canned] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(Text("Canned answers", style="bold"), classes="dialog-title")
            yield Input(placeholder="type to filter…", id="canned-query")
            yield OptionList(id="canned-list")
            yield Static(id="canned-preview", classes="preview")
            yield Static(Text("↑↓ move · enter insert (editable) · esc cancel", style="dim"))

    def on_mount(self) -> None:
        query = self.query_one(Input)
        query.cursor_blink = False
        query.focus()
        self._fill("")

    def _fill(self, query: str) -> None:
        self.shown = rank(self.answers, query, self.last_message)
        lst = self.query_one(OptionList)
        lst.clear_options()
        for n, c in enumerate(self.shown):
            label = Text(no_wrap=True, overflow="ellipsis")
            label.append(c.name, style="bold")
            if c.language:
                label.append(f" [{c.language}]", style="dim")
            if c.title and c.title != c.name:
                label.append(f"  {c.title}", style="dim")
            lst.add_option(Option(label, id=str(n)))
        if self.shown:
            lst.highlighted = 0
        self._preview()

    def _preview(self) -> None:
        lst = self.query_one(OptionList)
        body = ""
        if lst.highlighted is not None and lst.highlighted < len(self.shown):
            body = self.shown[lst.highlighted].body
        self.query_one("#canned-preview", Static).update(Text(body))

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        lst = self.query_one(OptionList)
        if lst.highlighted is not None and self.shown:
            self.dismiss(self.shown[lst.highlighted])

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._preview()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.shown[int(event.option.id or 0)])

    def action_move(self, delta: int) -> None:
        lst = self.query_one(OptionList)
        if not self.shown:
            return
        current = lst.highlighted if lst.highlighted is not None else -delta
        lst.highlighted = max(0, min(len(self.shown) - 1, current + delta))

    def action_cancel(self) -> None:
        self.dismiss(None)
