"""The inbox's actions on marked conversations (or the highlighted one when none is marked):
resolve, reopen, pending, snooze, assign, label — each one write through `core.bulk`, with the
same confirmation and the same undo toast as the single action in a conversation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from omnitui.core.agents import list_agents
from omnitui.core.clock import to_epoch
from omnitui.store.console_queries import label_names, newest_event_id

DONE = {"resolve": "Resolved", "reopen": "Reopened", "pending": "Set pending",
        "snooze": "Snoozed", "assign": "Assigned", "label": "Labelled", "unlabel": "Unlabelled"}


def _many(count: int) -> str:
    return f"{count} conversation{'s' if count != 1 else ''}"


class InboxBulk:
    """Needs `self.app` and `self.inbox` (the InboxList with its marks)."""

    app: Any
    inbox: Any

    def _show_title(self) -> None: ...

    def _targets(self) -> dict[int, int]:
        """The marked conversations, else the highlighted one (as seen right now)."""
        if self.inbox.marks:
            return dict(self.inbox.marks)
        row = self.inbox.selected if self.inbox.count else None
        return {} if row is None else {row.id: newest_event_id(self.app.store)}

    def _what(self, targets: dict[int, int]) -> str:
        return f"#{next(iter(targets))}" if len(targets) == 1 else _many(len(targets))

    def _apply(self, targets: dict[int, int], operation: str, **kw: Any) -> None:
        from omnitui.core import bulk  # (with core.actions: after the first paint)

        result = self.app.attempt(bulk.apply, self.app.store, self.app.agent, targets,
                                  operation, **kw)
        if result is None:
            return
        self._done(result.event_ids, result.summary(DONE[operation]))

    def _done(self, event_ids: list[int], said: str) -> None:
        """After a bulk action: undo offered (or why nothing changed), marks cleared, fresh rows."""
        if event_ids:
            self.app.offer_undo(event_ids, said)
        else:
            self.app.notify(said, severity="warning", markup=False)
        if self.inbox.marks:
            self.inbox.clear_marks()
        self.inbox.reload()
        self._show_title()

    def action_bulk(self, operation: str) -> None:
        """Resolve, reopen or set pending: asks first (enter), as the single actions do."""
        from omnitui.core.undo import UNDO_WINDOW  # (not at start: the inbox paints first)
        from omnitui.tui.dialogs.confirm import ConfirmDialog

        targets = self._targets()
        if not targets:
            return
        what = self._what(targets)
        question = {
            "resolve": f"Resolve {what}? Customers are asked for a rating "
                       f"{UNDO_WINDOW:.0f} s later, unless you undo.",
            "reopen": f"Reopen {what}?",
            "pending": f"Set {what} pending (waiting on the customer)?",
        }[operation]

        def answered(ok: bool | None) -> None:
            if ok:
                self._apply(targets, operation)

        self.app.push_screen(ConfirmDialog(question, letters=False), answered)

    def action_bulk_assign(self) -> None:
        from omnitui.tui.dialogs.pick import PickDialog

        targets = self._targets()
        if not targets:
            return
        me = self.app.agent
        options: list[tuple[str, str]] = [(f"Me ({me.name})", me.username)]
        options += [(f"{a.name} ({a.username})", a.username)
                    for a in list_agents(self.app.store, include_disabled=False) if a.id != me.id]
        options.append(("Nobody (unassign)", ""))

        def picked(who: str | None) -> None:
            if who is not None:
                self._apply(targets, "assign", to_username=who or None)

        self.app.push_screen(PickDialog(f"Assign {self._what(targets)} to", options), picked)

    def action_bulk_label(self) -> None:
        from omnitui.tui.dialogs.text_prompt import TextPrompt

        targets = self._targets()
        if not targets:
            return
        known = label_names(self.app.store)
        hint = ("Type labels to add them, or -name to remove one."
                + ("   Known: " + " ".join(known[:12]) if known else ""))

        def typed(text: str | None) -> None:
            from omnitui.core import bulk

            if not text or not text.split():
                return
            events: list[int] = []
            changed: set[int] = set()
            skipped: dict[int, str] = {}
            for word in text.split():
                name = word.lstrip("-#")
                if not name:
                    continue
                operation = "unlabel" if word.startswith("-") else "label"
                result = self.app.attempt(bulk.apply, self.app.store, self.app.agent, targets,
                                          operation, label=name)
                if result is None:
                    return
                events += result.event_ids
                changed |= set(result.changed)
                skipped.update((s.conversation_id, s.reason) for s in result.skipped)
            merged = bulk.BulkResult(events, sorted(changed),
                                     [bulk.Skipped(c, r) for c, r in sorted(skipped.items())])
            self._done(events, merged.summary(f"Labels ({' '.join(text.split())}) changed on"))

        self.app.push_screen(TextPrompt(f"Label {self._what(targets)}", hint=hint,
                                        suggestions=known), typed)

    def action_bulk_snooze(self) -> None:
        from omnitui.tui.dialogs.pick import PickDialog

        targets = self._targets()
        if not targets:
            return
        now = datetime.fromtimestamp(self.app.now(), self.app.tz)
        from omnitui.tui.screens.conversation_actions import snooze_choices

        options = snooze_choices(now)

        def picked(until: Any) -> None:
            if until == "ask":
                self._ask_snooze_time(targets, now)
            elif until == "reply":
                self._apply(targets, "snooze", until_reply=True)
            elif until is not None:
                self._apply(targets, "snooze", until=to_epoch(until), until_reply=True)

        self.app.push_screen(PickDialog(f"Snooze {self._what(targets)}", options), picked)

    def _ask_snooze_time(self, targets: dict[int, int], now: datetime) -> None:
        from omnitui.tui.dialogs.text_prompt import TextPrompt
        from omnitui.tui.screens.conversation_actions import parse_time

        def typed(text: str | None) -> None:
            if not text or not text.strip():
                return
            until = parse_time(text.strip(), now)
            if until is None:
                self.app.notify(f"Cannot read {text.strip()!r} as a time.", severity="error",
                                markup=False)
            else:
                self._apply(targets, "snooze", until=to_epoch(until), until_reply=True)

        self.app.push_screen(TextPrompt(
            "Snooze until", hint='A duration like "90m" or "2d", or a time like "14:30" or '
            '"2025-07-01 09:00" (your time zone).'), typed)
