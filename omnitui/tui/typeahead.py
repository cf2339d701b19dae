"""Keys typed ahead of a command wait for it: the console behaves like a local editor at any rate.

Textual hands a key to the focused widget's own queue and checks most bindings only when the key
comes back up to the app, so a burst of keys races the command that one of them starts: the
letters after `n` reach the conversation screen (as commands) before the note dialog is on
screen, and a save key can read a text box before the box has seen the last letters. Here a key
that might be a command (any key outside a text box, and any non-printing key inside one)
closes a gate; the keys after it are held, in order, until that key has travelled through the
widgets, its action has run and any screen it opened is mounted with its focus set. Then the held
keys are routed one by one as if they arrived now: into the new dialog, or as the next command.

Letters typed into a text box pass straight through (the box's queue keeps their order), so a
2,000-character burst costs no round trips.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Any

from textual import events
from textual.message import Message
from textual.widgets import Input, TextArea

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen
    from textual.widget import Widget

STALE_AFTER = 1.0  # s: a settle mark lost on a removed widget never holds keys longer
MAX_ROUNDS = 20  # marks sent down per key before the gate opens anyway (a widget never idle)


class KeySettled(Message, bubble=True):
    """Posted to a key's target right after the key: it reaches the app only after the key did
    (same queues, same order), so the key's binding has run by then."""


def takes_text(widget: Widget | None) -> bool:
    """A widget that turns printable keys into text of its own."""
    if isinstance(widget, TextArea):
        return not widget.read_only
    return isinstance(widget, Input)


class KeyGate:
    """The held keys of one app; `App.on_event` asks it before routing each key."""

    def __init__(self, app: App[object]) -> None:
        self.app = app
        self.held: deque[events.Key | events.Paste] = deque()
        self.closed_at: float | None = None
        self.rounds = 0
        self._watching = False

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def hold(self, event: events.Key | events.Paste) -> None:
        self.held.append(event)

    def needs_gate(self, event: events.Key) -> bool:
        """Whether this key may start a command (then the keys after it must wait)."""
        return not (takes_text(self.app.focused) and event.is_printable)

    def close(self, target: Widget | Screen[object]) -> None:
        """Hold what follows until the key just routed to `target` has settled."""
        self.closed_at = time.monotonic()
        self.rounds = 0
        target.post_message(KeySettled())
        if not self._watching:
            self._watching = True
            self.app.set_timer(STALE_AFTER, self._stale)

    def settled(self) -> None:
        """A mark came back up to the app. The key's binding has run; open the gate once what
        it set off has settled too: a message it posted (a dialog's answer), a screen it pushed
        (composed, mounted, focused). Otherwise send another mark down the same path."""
        if not self.closed:
            return
        if self._quiet() or self.rounds >= MAX_ROUNDS:
            self.closed_at = None
            self.app.call_later(self.flush)
            return
        self.rounds += 1
        (self.app.focused or self.app.screen).post_message(KeySettled())

    def _quiet(self) -> bool:
        """The screen on top is mounted and nothing waits in the queues between it and focus."""
        screen = self.app.screen
        if not screen.is_mounted:
            return False
        node: Any = self.app.focused or screen
        while node is not None and node is not self.app:
            if not node._message_queue.empty():
                return False
            node = node.parent
        return True

    def _stale(self) -> None:
        """One watchdog per closed gate, not a timer per key."""
        self._watching = False
        if self.closed_at is None:
            return
        left = self.closed_at + STALE_AFTER - time.monotonic()
        if left <= 0:
            self.closed_at = None
            self.app.call_later(self.flush)
        else:
            self._watching = True
            self.app.set_timer(left, self._stale)

    async def flush(self) -> None:
        """Route the held keys in order until one of them closes the gate again."""
        route = self.app.route_key  # type: ignore[attr-defined]
        while self.held and not self.closed:
            await route(self.held.popleft())
