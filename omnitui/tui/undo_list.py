"""The console's side of undo: what this agent just changed, offered back for UNDO_WINDOW.

Every change to a conversation made with a key (resolve, reopen, pending, assign, snooze, label,
transfer) is shown as a toast naming the undo key; the key undoes the newest change still in its
window, through `core.undo` (which re-checks the window, the agent and conflicts, inside one
transaction). One action may have written several events (a label prompt with three words):
they are undone together, newest first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from omnitui.core.errors import ActionError
from omnitui.core.undo import UNDO_WINDOW, undo
from omnitui.store.db import StoreError


@dataclass(frozen=True, slots=True)
class Undoable:
    event_ids: tuple[int, ...]
    what: str  # "Resolved #12"
    at: float  # the console's clock when it was done


class UndoList:
    """Recent undoable changes of one console, newest last."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now
        self.items: list[Undoable] = []

    def remember(self, event_ids: list[int], what: str) -> None:
        if event_ids:
            self.items.append(Undoable(tuple(event_ids), what, self.now()))
            self.items = [u for u in self.items if self.now() - u.at <= UNDO_WINDOW]

    def latest(self) -> Undoable | None:
        """The newest change still inside its window, or None."""
        while self.items:
            item = self.items[-1]
            if self.now() - item.at <= UNDO_WINDOW:
                return item
            self.items.pop()
        return None

    def undo_latest(self, store: object, agent: object) -> str:
        """Undo the newest change; its sentence. Raises ActionError/StoreError with the reason
        core gives (too late, changed since by someone, already undone)."""
        item = self.latest()
        if item is None:
            return "Nothing to undo: changes can be undone for 10 seconds."
        self.items.pop()
        if len(item.event_ids) == 1:
            return undo(store, item.event_ids[0], agent)  # type: ignore[arg-type]
        # Several changes (a bulk action): each one that can still be undone is, and the
        # sentence names those someone changed since (their undo would overwrite that).
        refused: list[str] = []
        for event_id in reversed(item.event_ids):
            try:
                undo(store, event_id, agent)  # type: ignore[arg-type]
            except StoreError as exc:
                refused.append(str(exc))
        if not refused:
            return f"{item.what}: undone."
        if len(refused) == len(item.event_ids):
            raise ActionError(refused[0])
        return (f"{item.what}: undone except {len(refused)} (" + refused[0].rstrip(".")
                + (", …" if len(refused) > 1 else "") + ").")
