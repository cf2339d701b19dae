"""The key line at the bottom of a screen: whole key hints only, as many as fit.

Textual's Footer cuts the last hint mid-word at 80 columns (`z Snooz`); here a hint is shown
whole or not at all, hints are separated by two spaces (never `ctrl+enterSend`), and the
palette key stays at the right edge, where every hint left out can be found by name.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.screen import Screen
from textual.widgets import Static

GAP = "  "


def key_line(items: list[tuple[str, str]], width: int, tail: tuple[str, str] | None) -> Text:
    """`(key, description)` hints that fit in `width` cells, in order, then `tail` at the
    right edge. A hint that does not fit is left out whole, and so is every one after it."""
    right = Text(no_wrap=True, end="")
    if tail is not None:
        right.append(tail[0], style="bold reverse")
        right.append(f" {tail[1]} ")
    line = Text(no_wrap=True, end="")
    room = width - right.cell_len - 1
    for key, description in items:
        hint_len = cell_len(f"{GAP}{key} {description}")
        if line.cell_len + hint_len > room:
            break
        line.append(GAP if line.plain else " ")
        line.append(key, style="bold reverse")
        line.append(f" {description}")
    line.append(" " * max(1, width - line.cell_len - right.cell_len))
    line.append_text(right)
    return line


class KeyBar(Static, can_focus=False):
    """The active bindings of the screen that are marked to show, drawn by `key_line`."""

    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $footer-background; }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self.redraw)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:  # type: ignore[type-arg]
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self.redraw)

    def on_resize(self) -> None:
        self.redraw()

    def hints(self) -> list[tuple[str, str]]:
        seen: set[str] = set()
        out = []
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show and enabled and binding.action not in seen:
                seen.add(binding.action)
                out.append((self.app.get_key_display(binding), binding.description))
        return out

    def redraw(self) -> None:
        if not self.is_attached or self.size.width == 0:
            return
        tail = None
        if self.app.ENABLE_COMMAND_PALETTE:
            active = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if active is not None:
                tail = (self.app.get_key_display(active[1]), "all actions")
        self.update(key_line(self.hints(), self.size.width, tail))
