"""Help, generated from the keymap registry (with the config's `[keys]` overrides applied)."""

from __future__ import annotations

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


def help_text(overrides: Mapping[str, str]) -> Text:
    out = Text()
    out.append(FOCUS_MODEL, style="italic")
    for scope, title in keymap.SCOPES.items():
        out.append(f"{title}\n", style="bold underline")
        for spec in keymap.REGISTRY:
            if spec.scope != scope:
                continue
            keys = keymap.pretty_keys(keymap.effective_keys(spec, overrides))
            out.append(f"  {keys:<24}", style="bold cyan")
            out.append(f"{spec.description:<16}")
            out.append(f" {spec.id}\n", style="dim")
        out.append("\n")
    out.append("ctrl+p opens the command palette: every action above, by name.\n", style="dim")
    out.append("Rebind any id in the config: [keys] \"conversation.resolve\" = \"ctrl+e\"",
               style="dim")
    return out


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
