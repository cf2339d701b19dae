"""Keys typed ahead of a command wait for it: the console behaves like a local editor at any rate.

Textual hands a key to the focused widget's own queue and checks most bindings only when the key
comes back up to the app, so a burst of keys races the command that one of them starts: the
letters after `n` reach the conversation screen (as commands) before the note dialog is on
screen, and a save key can read a text box before the box has seen the last letters. Here a key
that might be a command (any key outside a text box, and any non-printing key inside one)
closes a gate; the keys after it are held, in order, until that key has travelled through the
widgets, its action has run and any screen it opened is mounted with its focus set. Then the held
keys are routed one by one as if they arrived now: into the new dialog, or as the next command.
"Settled" is seen by a mark message sent after the key through the same queues; a key routed to
a widget that hands every key on (the inbox list) needs none: its own return to the app is the
mark, so the gate adds nothing between an arrow key and the frame that shows it.

Letters typed into a text box pass straight through (the box's queue keeps their order). The
terminal driver also hands over a run of printable keys read at once (a fast typist, a paste
without bracketed-paste mode, tmux send-keys) as one `TypedText`: a text box takes it as one
insert instead of one edit and one redraw per letter (2,000 letters: ~10 s on a busy machine
before, a moment now); anywhere else it is split back into single keys, each a possible command.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from textual import events, messages
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen
    from textual.widget import Widget

STALE_AFTER = 1.0  # s: a settle mark lost on a removed widget never holds keys longer
WATCH_EVERY = 0.05  # s: how soon a lost mark is sent again
MAX_ROUNDS = 20  # marks sent down per key before the gate opens anyway (a widget never idle)


class TypedText(events.Event, bubble=False):
    """Printable keys that arrived together, in order."""

    def __init__(self, keys: list[events.Key]) -> None:
        super().__init__()
        self.keys = keys

    @property
    def text(self) -> str:
        return "".join(key.character or "" for key in self.keys)


def coalesce_typing(events_in: Iterable[events.Event]) -> Iterator[events.Event]:
    """The parser's events with each run of two or more printable keys as one `TypedText`."""
    run: list[events.Key] = []
    for event in events_in:
        if isinstance(event, events.Key) and event.is_printable:
            run.append(event)
            continue
        if run:
            yield run[0] if len(run) == 1 else TypedText(run)
            run = []
        yield event
    if run:
        yield run[0] if len(run) == 1 else TypedText(run)


class KeySettled(Message, bubble=True):
    """Posted to a key's target right after the key: it reaches the app only after the key did
    (same queues, same order), so the key's binding has run by then. `generation` tells a late
    mark of an earlier key from the mark of the key the gate now waits for."""

    def __init__(self, generation: int) -> None:
        super().__init__()
        self.generation = generation


def keys_reach_app(target: Widget | Screen[object]) -> bool:
    """Whether every key forwarded to `target` comes back up to the app's bindings: the
    target and each node above it declare `KEYS_REACH_APP` (no key handler of their own)."""
    node: Any = target
    while node is not None and node.parent is not None:  # (up to the app, the root)
        if not getattr(type(node), "KEYS_REACH_APP", False):
            return False
        node = node.parent
    return True


def takes_text(widget: Widget | None) -> bool:
    """A widget that turns printable keys into text of its own: a Textual TextArea (unless
    read-only) or Input, told by class so that the inbox starts without importing them."""
    for cls in type(widget).__mro__:
        if cls.__module__.startswith("textual.widgets."):
            if cls.__name__ == "TextArea":
                return not getattr(widget, "read_only", False)
            if cls.__name__ == "Input":
                return True
    return False


Typed = events.Key | events.Paste | TypedText


class KeyGate:
    """The held keys of one app; `App.on_event` asks it before routing each key."""

    def __init__(self, app: App[object]) -> None:
        self.app = app
        self.held: deque[Typed] = deque()
        self.closed_at: float | None = None
        self.generation = 0
        self.rounds = 0
        self._mark_path: tuple[Any, Any] = (None, None)  # (widget, screen) the mark travels
        # The watchdog of a closed gate: an event-loop timer handle, cancelled when the gate
        # opens (a Textual timer per key cost a task and a wake-up 50 ms after every arrow).
        self._watch_handle: asyncio.TimerHandle | None = None
        self._awaited: events.Key | None = None  # a key that is its own mark (`close`)

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def hold(self, event: Typed) -> None:
        self.held.append(event)

    def needs_gate(self, event: events.Key) -> bool:
        """Whether this key may start a command (then the keys after it must wait)."""
        return not (takes_text(self.app.focused) and event.is_printable)

    def close(self, target: Widget | Screen[object], key: events.Key | None = None) -> None:
        """Hold what follows until the key just routed to `target` has settled. With `key`
        (forwarded to a target that hands every key on, see `keys_reach_app`), no mark is
        sent: the key's own return to the app is the mark (`returned`), three queue trips
        fewer ahead of the frame that shows the key's effect."""
        self.closed_at = time.monotonic()
        self.generation += 1
        self.rounds = 0
        self._awaited = key
        if key is None:
            self._send_mark(target)
        else:
            self._mark_path = (target, self.app.screen)
        if self._watch_handle is None:
            self._watch_handle = asyncio.get_running_loop().call_later(WATCH_EVERY, self._watch)

    def _send_mark(self, target: Any) -> None:
        self._mark_path = (target, self.app.screen)
        target.post_message(KeySettled(self.generation))

    def settled(self, mark: KeySettled) -> None:
        """A mark came back up to the app. The key's binding has run; open the gate once what
        it set off has settled too: a message it posted (a dialog's answer), a screen it pushed
        (composed, mounted, focused). Otherwise send another mark down the same path."""
        if not self.closed or mark.generation != self.generation:
            return
        if not self.app.screen_stack:  # the app is closing: nothing left to settle or send to
            self._open(flush=False)
            return
        if self._quiet() or self.rounds >= MAX_ROUNDS:
            self._open()
            return
        self.rounds += 1
        self._send_mark(self.app.focused or self.app.screen)

    async def returned(self, key: events.Key) -> None:
        """A forwarded key came back up to the app, its binding run: when the gate waits for
        this key, it settles as a mark would (`settled`), repaint prompts aside."""
        if key is not self._awaited or not self.closed:
            return
        self._awaited = None
        if not self.app.screen_stack:  # the app is closing (see `settled`)
            self._open(flush=False)
            return
        if self._quiet(ignore=messages.Prompt):
            self._open(flush=False)
            await self.flush()
            return
        self.rounds += 1
        self._send_mark(self.app.focused or self.app.screen)

    def _open(self, flush: bool = True) -> None:
        self.closed_at = None
        self._awaited = None
        self._mark_path = (None, None)  # (kept, it kept a closed screen alive until next key)
        if self._watch_handle is not None:
            self._watch_handle.cancel()
            self._watch_handle = None
        if flush:
            self.app.call_later(self.flush)

    def _quiet(self, ignore: type[Message] | None = None) -> bool:
        """The screen on top is mounted and nothing waits in the queues between it and focus
        (but messages of the type `ignore`)."""
        screen = self.app.screen
        if not screen.is_mounted:
            return False
        node: Any = self.app.focused or screen
        while node is not None and node is not self.app:
            queue = node._message_queue
            if not queue.empty() and (ignore is None or not all(  # (unknown queue: not quiet)
                    isinstance(message, ignore) for message in getattr(queue, "values", [None]))):
                return False
            node = node.parent
        return True

    def _watch(self) -> None:
        """While the gate is closed: a mark that died with its widget or screen (a dialog
        that closed on the very key) is sent again; past STALE_AFTER the gate opens anyway."""
        self._watch_handle = None
        if self.closed_at is None:
            return
        if not self.app.screen_stack:  # the app has closed under a closed gate: nothing to do
            self._open(flush=False)
            return
        if time.monotonic() - self.closed_at >= STALE_AFTER:
            self._open()
            return
        widget, screen = self._mark_path
        if (self._awaited is not None or widget._closing or widget._closed
                or not widget.is_attached or screen not in self.app.screen_stack):
            self._awaited = None  # (a key not back by now: a mark settles it instead)
            self._send_mark(self.app.focused or self.app.screen)
        self._watch_handle = asyncio.get_running_loop().call_later(WATCH_EVERY, self._watch)

    async def flush(self) -> None:
        """Route the held keys in order until one of them closes the gate again."""
        route = self.app.route_key  # type: ignore[attr-defined]
        while self.held and not self.closed:
            event = self.held.popleft()
            if isinstance(event, TypedText):
                if takes_text(self.app.focused):
                    event = events.Paste(event.text)
                else:  # single keys, the first possibly a command that closes the gate
                    first, rest = event.keys[0], event.keys[1:]
                    if rest:
                        self.held.appendleft(rest[0] if len(rest) == 1 else TypedText(rest))
                    event = first
            await route(event)
