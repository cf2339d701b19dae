"""What the status line tells an agent about the hub: each channel's state and the outbox, or,
in a shared install whose hub service is down, since when.

Read apart from its drawing (tui/widgets/status_line.py) so that a console's first screen can be
read before Textual is loaded (first_screen.py).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from omnitui.config import Settings
from omnitui.hub_lock import hub_last_seen, running_hub
from omnitui.install import is_shared_install
from omnitui.store.db import Store
from omnitui.store.status_queries import channel_states, outbox_summary


class HubStatus(NamedTuple):
    """`hub_down`: a shared install's hub service is not running (`last_seen`: its last sign of
    life); otherwise `channels` holds each configured channel's state as the hub last wrote it
    (a configured channel it never wrote: "stopped", "no hub")."""

    hub_down: bool
    last_seen: float | None
    channels: list[dict[str, Any]]
    outbox: dict[str, Any]


def read_hub_status(settings: Settings, store: Store) -> HubStatus:
    # Only a shared install says the hub is down: there the console never starts its own.
    if is_shared_install(settings) and running_hub(settings) is None:
        return HubStatus(True, hub_last_seen(settings), [], outbox_summary(store))
    states, never = configured_channels(settings, channel_states(store))
    states += [{"channel": name, "state": "stopped", "detail": "no hub"} for name in never]
    states.sort(key=lambda s: s["channel"])
    return HubStatus(False, None, states, outbox_summary(store))


def configured_channels(settings: Settings, states: list[dict[str, Any]]) -> tuple[
        list[dict[str, Any]], list[str]]:
    """Of the channels' stored states, those of channels in the config, and the configured
    channels that have none yet (sorted). A channel taken out of the config keeps its last
    row: it is no channel of this shop's any more (F2 and `status --json` still list it)."""
    configured = set(settings.channels)
    kept = [s for s in states if s["channel"] in configured]
    return kept, sorted(configured - {s["channel"] for s in kept})
