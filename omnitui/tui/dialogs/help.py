"""Help, generated from the keymap registry (with the config's `[keys]` overrides applied)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from omnitui.tui import keymap

FOCUS_MODEL = (
    "Letters are commands only while the reply box is closed. r opens it; then it takes "
    "every key until ctrl+j sends (and closes it) or esc closes it (the draft stays). "
    "Resolve, reopen and pending ask for enter first. Resolve, reopen, pending, assign, "
    "snooze, label and transfer can be undone for 10 seconds (the toast names the key); a "
    "resolve's rating request waits until then. Keys typed ahead of a dialog wait for it.\n\n"
)


KEYS_WIDTH = 18  # the columns fit the help dialog at 80 columns; longer cells wrap inside
WHAT_WIDTH = 22


def help_text(overrides: Mapping[str, str]) -> Text:
    out = Text()
    out.append(FOCUS_MODEL, style="italic")
    for scope, title in keymap.SCOPES.items():
        out.append(f"{title}\n", style="bold underline")
        if scope in keymap.SCOPE_NOTES:  # (how the inbox is ordered)
            out.append(f"{keymap.SCOPE_NOTES[scope]}\n", style="italic")
        for spec in keymap.REGISTRY:
            if spec.scope != scope:
                continue
            keys = keymap.pretty_keys(keymap.effective_keys(spec, overrides))
            _row(out, keys, spec.description, spec.id)
        out.append("\n")
    out.append("ctrl+p opens the command palette: every action above, by name.\n", style="dim")
    out.append("Rebind any id in the config: [keys] \"conversation.resolve\" = \"ctrl+e\"",
               style="dim")
    return out


def _row(out: Text, keys: str, what: str, binding_id: str) -> None:
    """One binding in three columns; a cell too long for its column wraps inside it (keys at
    " / "), so columns never run together."""
    key_lines = _wrap_keys(keys)
    what_lines = textwrap.wrap(what, WHAT_WIDTH) or [""]
    for n in range(max(len(key_lines), len(what_lines))):
        out.append(f"  {_at(key_lines, n):<{KEYS_WIDTH}}  ", style="bold cyan")
        out.append(f"{_at(what_lines, n):<{WHAT_WIDTH}}")
        out.append(f"  {binding_id}\n" if n == 0 else "\n", style="dim")


def _at(lines: list[str], n: int) -> str:
    return lines[n] if n < len(lines) else ""


def _wrap_keys(keys: str) -> list[str]:
    lines: list[str] = []
    for key in keys.split(" / "):
        if lines and len(lines[-1]) + 3 + len(key) <= KEYS_WIDTH:
            lines[-1] += " / " + key
        else:
            lines.append(key)
    return lines


class HelpDialog(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="help.close"),
        Binding("j,down", "scroll(1)", "Down", show=False, id="help.down"),
        Binding("k,up", "scroll(-1)", "Up", show=False, id="help.up"),
    ]

    def __init__(self, overrides: Mapping[str, str]) -> None:
        super().__init__()
        self.overrides = overrides

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide tall"):
            yield Static(Text("Keys", style="bold"), classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(help_text(self.overrides), id="help-body")
            yield Static(Text("j/k scroll · esc close", style="dim"))

    def action_scroll(self, lines: int) -> None:
        self.query_one("#help-scroll", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
