"""Channel details on a key press: state, progress and the last error of each channel."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from omnitui.store.status_queries import channel_states, outbox_summary
from omnitui.tui.format import safe_line


class ChannelsDialog(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f2", "close", "Close", id="channels.close")]

    def compose(self) -> ComposeResult:
        app = self.app
        out = Text()
        states = channel_states(app.store)  # type: ignore[attr-defined]
        configured = set(app.settings.channels)  # type: ignore[attr-defined]
        if not states:
            out.append("No channel has reported yet (is a hub running?)\n", style="dim")
        for s in states:
            when = datetime.fromtimestamp(s["updated_at"], app.tz).strftime("%d %b %H:%M:%S")  # type: ignore[attr-defined]
            out.append(f"{safe_line(s['channel'])} ({safe_line(s['kind'])}): ", style="bold")
            if s["channel"] not in configured:
                out.append(f"not in this config; its last report was {safe_line(s['state'])} "
                           f"{when}\n", style="dim")
                continue
            out.append(f"{safe_line(s['state'])} {safe_line(s.get('detail'))}  ")
            out.append(f"since {when}\n", style="dim")
            if s.get("last_error"):
                out.append(f"  last error: {safe_line(s['last_error'])}\n", style="red")
        box = outbox_summary(app.store)  # type: ignore[attr-defined]
        out.append(f"\nOutbox: {box['queued']} waiting, {box['failed']} failed", style="bold")
        with Vertical(classes="dialog wide"):
            yield Static(Text("Channels", style="bold"), classes="dialog-title")
            yield Static(out)
            yield Static(Text("esc close", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)
