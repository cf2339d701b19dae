"""The status line: each channel's state and the replies waiting in the outbox.

Two tiny queries, re-read on channel and delivery events, and every REFRESH_SECONDS while its
screen is in front (a retry countdown moves on its own).
"""

from __future__ import annotations

from rich.text import Text
from textual.screen import ModalScreen
from textual.widgets import Static

from omnitui.hub_status import HubStatus, read_hub_status
from omnitui.tui.database_trouble import DATABASE_ERRORS, short_reason
from omnitui.tui.format import safe_line, stamp

STATE_STYLES = {"up": "green", "backfilling": "yellow", "retrying": "red", "failed": "bold red",
                "stopped": "dim", "starting": "yellow"}
REFRESH_SECONDS = 10.0


class StatusLine(Static):
    """`● chat up  ● mail retrying in 30 s  outbox 2 (1 failed)`. One line high whatever it
    says, so an update is a redraw of the line, never a layout of the screen."""

    DEFAULT_CSS = """
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.update_status()
        self.set_interval(REFRESH_SECONDS, self._tick, name="status")

    def _tick(self) -> None:
        top = self.app.screen  # not `is_current` alone: also True under an opaque screen
        if top is self.screen or (isinstance(top, ModalScreen) and self.screen.is_current):
            self.update_status()

    def update_status(self) -> None:
        try:
            status = self.app.first_read("hub_status")  # type: ignore[attr-defined]
            if status is None:
                status = read_hub_status(self.app.settings, self.app.store)  # type: ignore[attr-defined]
        except DATABASE_ERRORS as exc:  # `● database not answering (connection refused)`
            line = Text("● database not answering", style="bold red", no_wrap=True,
                        overflow="ellipsis", end="")
            line.append(f" ({short_reason(exc, 80)})", style="red")
            self.update(line, layout=False)
            return
        self.show(status)

    def show(self, status: HubStatus) -> None:
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        if status.hub_down:
            self._hub_down(line, status)
            self.update(line, layout=False)
            return
        for s in status.channels:
            style = STATE_STYLES.get(s["state"], "")
            line.append("● ", style=style)
            line.append(safe_line(s["channel"]), style="bold")
            detail = safe_line(s.get("detail")) if s["state"] != "up" else ""
            line.append(f" {safe_line(s['state'])}" + (f" {detail}" if detail else ""),
                        style=style)
            line.append("  ")
        out = status.outbox
        line.append(f"outbox {out['queued']}", style="bold" if out["queued"] else "dim")
        if out["failed"]:
            line.append(f" ({out['failed']} failed)", style="bold red")
        line.append("  F2 details", style="dim")
        self.update(line, layout=False)

    def _hub_down(self, line: Text, status: HubStatus) -> None:
        """`● hub not running since 09:12: replies are queued  outbox 2`."""
        since = ""
        if status.last_seen is not None:
            since = " since " + stamp(status.last_seen, self.app.tz, self.app.now())  # type: ignore[attr-defined]
        line.append("● hub not running" + since, style="bold red")
        line.append(": replies are queued  ")
        out = status.outbox
        line.append(f"outbox {out['queued']}", style="bold" if out["queued"] else "dim")
        line.append("  F2 details", style="dim")
