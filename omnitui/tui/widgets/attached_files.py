"""The files attached to the reply being written, one line under the reply box's label.

Hidden while there are none. Names are the agent's own files' names but still drawn as data
(a name can hold anything a file system allows).
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from omnitui.core.attachments import human_size
from omnitui.tui.format import display


class AttachedFiles(Static):
    DEFAULT_CSS = """
    AttachedFiles { height: auto; max-height: 4; padding: 0 2; color: $text; }
    """

    def show_files(self, paths: list[Path]) -> None:
        """Redraw for these files; hidden when there are none."""
        if not paths:
            self.display = False
            return
        out = Text(no_wrap=False, end="")
        out.append(f"📎 {len(paths)} file{'s' if len(paths) != 1 else ''}:", style="bold")
        for path in paths:
            out.append("  ")
            out.append(display(path.name, 32), style="cyan")
            out.append(f" ({_size(path)})", style="dim")
        self.update(out)
        self.display = True


def _size(path: Path) -> str:
    try:
        return human_size(path.stat().st_size)
    except OSError:
        return "missing"
