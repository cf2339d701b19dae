"""Watchers that outlive their widgets, dropped when a screen goes.

A widget that watches a longer-lived object (Textual's TextArea watches the app's `theme`) stays
in that object's watcher list until the watched value next changes (Textual issue #6666), and
with it the widget's whole tree: every conversation opened kept its composer and signature
areas, and each return to a screen kept the footer keys it replaced (bound to the Footer's
`compact`), ~0.3 MB each time, for as long as the console ran.
"""

from __future__ import annotations

from typing import Any


def drop_closed_watchers(watched: Any) -> int:
    """Forget the watchers of `watched` whose widget has left the DOM; how many were dropped.

    Textual keeps them in `watched.__watchers` (name → [(node, callback)]) and itself drops
    the closed ones only when that name's value changes (`Reactive._check_watchers`)."""
    watchers: dict[str, list[tuple[Any, Any]]] = getattr(watched, "__watchers", None) or {}
    dropped = 0
    for entries in watchers.values():
        kept = [(node, callback) for node, callback in entries
                if not (getattr(node, "_closing", False) or getattr(node, "_closed", False))]
        dropped += len(entries) - len(kept)
        entries[:] = kept
    return dropped
