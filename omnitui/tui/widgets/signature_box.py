"""Below the reply box: the signature that will go with this reply, and the channel's footer.

The agent sees exactly what is added before sending: the signature is editable for this one
reply (tab moves into it; emptying it sends none), the footer is the shop's (a legal notice) and
only shown. Both are plain text: an agent's name or a shop's footer is never markup.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from omnitui.core.signatures import SignatureFor
from omnitui.tui import keymap

MAX_ROWS = 4


class SignatureArea(TextArea):
    """The editable signature: the reply box's keys (send, close) work here too."""

    BINDINGS = keymap.bindings("composer")  # type: ignore[assignment]

    DEFAULT_CSS = """
    SignatureArea { height: 1; border: none; padding: 0 1; background: $boost; }
    SignatureArea:focus { background: $accent 20%; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, soft_wrap=True, show_line_numbers=False, tab_behavior="focus")
        self.cursor_blink = False

    def on_focus(self) -> None:
        self.move_cursor(self.document.end)  # to add to it, the usual edit

    def on_text_area_changed(self) -> None:
        self.styles.height = max(1, min(MAX_ROWS, self.document.line_count))


class SignatureBox(Vertical):
    DEFAULT_CSS = """
    SignatureBox { height: auto; max-height: 12; }
    SignatureBox > Static { height: auto; padding: 0 1; }
    #signature-footer { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.channel: str | None = None  # the channel the shown signature was made for
        self.shown = False

    def compose(self) -> ComposeResult:
        yield Static(Text("Signature, for this reply only (tab to edit):", style="dim"),
                     id="signature-label")
        yield SignatureArea(id="signature-text")
        yield Static(id="signature-footer")

    @property
    def area(self) -> SignatureArea:
        return self.query_one(SignatureArea)

    def show_for(self, channel: str, below: SignatureFor) -> None:
        """Show what goes below a reply on `channel`; an edit is kept while the channel stays."""
        if channel != self.channel or not self.shown:
            self.area.load_text(below.signature)
            self.area.styles.height = max(1, min(MAX_ROWS, self.area.document.line_count))
        self.channel = channel
        has_signature = bool(below.signature) or bool(self.area.text.strip())
        self.query_one("#signature-label").display = has_signature
        self.area.display = has_signature
        footer = self.query_one("#signature-footer", Static)
        footer.update(Text(f"Footer (always added): {below.footer}") if below.footer else "")
        footer.display = bool(below.footer)
        self.shown = True
        self.display = has_signature or bool(below.footer)

    def hide(self) -> None:
        self.display = False

    def forget(self) -> None:
        """After a send: the next reply starts from the agent's own signature again."""
        self.shown = False
        self.channel = None
        self.display = False

    @property
    def signature(self) -> str | None:
        """The edited signature to send, or None when nothing was shown (core decides)."""
        return self.area.text if self.shown else None
