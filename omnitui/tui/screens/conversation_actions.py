"""The conversation screen's agent actions: each asks with a dialog, then calls core once.

A mixin so the screen file stays about drawing; every write goes through `app.attempt`, the
console's one error handler.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from textual import work

from omnitui.core import actions, canned
from omnitui.core.agents import list_agents
from omnitui.core.merge import merge_customers
from omnitui.store.console_queries import label_names, last_inbound_text, transfer_draft


class ConversationActions:
    """Needs `self.app`, `self.store`, `self.agent`, `self.conversation_id`, `self.reload`."""

    app: Any
    store: Any
    agent: Any
    conversation_id: int
    detail: Any
    attachments: list[Path]
    composer: Any

    def reload(self) -> None: ...

    def _show_composer_label(self) -> None: ...

    def _do(self, fn: Any, *args: Any, done: str | None = None, **kwargs: Any) -> bool:
        ok = self.app.try_run(fn, *args, **kwargs)
        if ok:
            self.reload()
            if done:
                self.app.notify(done, timeout=2, markup=False)
        return ok

    @work(exclusive=True, group="dialog")
    async def action_note(self) -> None:
        from omnitui.tui.dialogs.text_prompt import TextPrompt

        text = await self.app.push_screen_wait(TextPrompt(
            "Private note (only agents see it)", multiline=True))
        if text:
            self._do(actions.note, self.store, self.conversation_id, text, self.agent,
                     done="Note added.")

    @work(exclusive=True, group="dialog")
    async def action_log_call(self) -> None:
        from omnitui.tui.dialogs.text_prompt import TextPrompt

        text = await self.app.push_screen_wait(TextPrompt(
            "Log a call: what was said?", multiline=True))
        if text:
            self._do(actions.log_call, self.store, self.conversation_id, text, self.agent,
                     done="Call logged.")

    @work(exclusive=True, group="dialog")
    async def action_transfer(self) -> None:
        from omnitui.tui.dialogs.transfer import TransferDialog

        agents = [a for a in list_agents(self.store, include_disabled=False)
                  if a.id != self.agent.id]
        if not agents:
            self.app.notify("There is nobody else to transfer to.", severity="warning")
            return
        draft = transfer_draft(self.store, self.conversation_id)
        choice = await self.app.push_screen_wait(TransferDialog(agents, draft))
        if choice is not None:
            self._do(actions.transfer, self.store, self.conversation_id, choice.username,
                     choice.note, self.agent, tell_customer=choice.tell_customer,
                     done=f"Transferred to {choice.username}.")

    @work(exclusive=True, group="dialog")
    async def action_assign(self) -> None:
        from omnitui.tui.dialogs.pick import PickDialog

        options: list[tuple[str, str]] = [(f"Me ({self.agent.name})", self.agent.username)]
        options += [(f"{a.name} ({a.username})", a.username)
                    for a in list_agents(self.store, include_disabled=False)
                    if a.id != self.agent.id]
        options.append(("Nobody (unassign)", ""))
        who = await self.app.push_screen_wait(PickDialog("Assign to", options))
        if who is not None:
            self._do(actions.assign, self.store, self.conversation_id, who or None, self.agent,
                     done="Assigned." if who else "Unassigned.")

    def action_resolve(self) -> None:
        self._do(actions.resolve, self.store, self.conversation_id, self.agent,
                 done="Resolved.")

    def action_reopen(self) -> None:
        self._do(actions.reopen, self.store, self.conversation_id, self.agent,
                 done="Reopened.")

    def action_pending(self) -> None:
        self._do(actions.set_pending, self.store, self.conversation_id, self.agent,
                 done="Pending: waiting on the customer.")

    @work(exclusive=True, group="dialog")
    async def action_snooze(self) -> None:
        from omnitui.tui.dialogs.pick import PickDialog

        now = datetime.fromtimestamp(self.app.now(), self.app.tz)
        tomorrow = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        monday = (now + timedelta(days=7 - now.weekday())).replace(
            hour=9, minute=0, second=0, microsecond=0)
        options: list[tuple[str, Any]] = [
            ("Until the customer replies", "reply"),
            ("1 hour (or their reply)", now + timedelta(hours=1)),
            ("4 hours (or their reply)", now + timedelta(hours=4)),
            (f"Tomorrow {tomorrow:%H:%M} (or their reply)", tomorrow),
            (f"Monday {monday:%d %b %H:%M} (or their reply)", monday),
            ("Other time…", "ask"),
        ]
        until = await self.app.push_screen_wait(PickDialog("Snooze", options))
        if until == "ask":
            until = await self._ask_time(now)
        if until == "reply":
            self._do(actions.snooze, self.store, self.conversation_id, self.agent,
                     until_reply=True, done="Snoozed until the customer replies.")
        elif until is not None:
            self._do(actions.snooze, self.store, self.conversation_id, self.agent,
                     until=until, until_reply=True, done=f"Snoozed until {until:%d %b %H:%M}.")

    async def _ask_time(self, now: datetime) -> datetime | None:
        """A duration ("90m", "2d") or a local time ("2025-07-01 09:00", "14:30")."""
        from omnitui.core.hours import parse_duration
        from omnitui.tui.dialogs.text_prompt import TextPrompt

        text = await self.app.push_screen_wait(TextPrompt(
            "Snooze until", hint='A duration like "90m" or "2d", or a time like "14:30" or '
            '"2025-07-01 09:00" (your time zone).'))
        if not text or not text.strip():
            return None
        text = text.strip()
        try:
            return now + parse_duration(text)
        except ValueError:
            pass
        for fmt in ("%Y-%m-%d %H:%M", "%H:%M"):
            try:
                parsed = datetime.strptime(text, fmt)
            except ValueError:
                continue
            if fmt == "%H:%M":
                at = now.replace(hour=parsed.hour, minute=parsed.minute, second=0,
                                 microsecond=0)
                return at if at > now else at + timedelta(days=1)
            return parsed.replace(tzinfo=now.tzinfo)
        self.app.notify(f"Cannot read {text!r} as a time.", severity="error", markup=False)
        return None

    @work(exclusive=True, group="dialog")
    async def action_label(self) -> None:
        from omnitui.tui.dialogs.text_prompt import TextPrompt

        current = list(self.detail.labels) if self.detail else []
        known = label_names(self.store)
        hint = ("Type a label to add it, or -name to remove one. On it: "
                + (" ".join(f"#{x}" for x in current) or "none")
                + ("   Known: " + " ".join(known[:12]) if known else ""))
        text = await self.app.push_screen_wait(TextPrompt("Label", hint=hint,
                                                          suggestions=known))
        if not text:
            return
        for word in text.split():
            remove = word.startswith("-")
            name = word.lstrip("-#")
            if name:
                self._do(actions.label, self.store, self.conversation_id, name, self.agent,
                         remove=remove)

    @work(exclusive=True, group="dialog")
    async def action_merge(self) -> None:
        from omnitui.tui.dialogs.merge import MergeDialog

        if self.detail is None:
            return
        merged = await self.app.push_screen_wait(
            MergeDialog(self.detail.customer_id, self.detail.customer))
        if merged is not None:
            self._do(merge_customers, self.store, self.detail.customer_id, merged, self.agent,
                     done="Customers merged.")

    @work(exclusive=True, group="dialog")
    async def action_canned(self) -> None:
        from omnitui.tui.dialogs.canned_picker import CannedPicker
        from omnitui.tui.dialogs.text_prompt import TextPrompt

        answers = canned.all_canned(self.store)
        if not answers:
            self.app.notify("No canned answers yet: add some with 'omnitui canned add'.",
                            severity="warning")
            return
        last = last_inbound_text(self.store, self.conversation_id)
        chosen = await self.app.push_screen_wait(CannedPicker(answers, last))
        if chosen is None:
            return
        filled: dict[str, str] = {}
        for label in canned.prompts(chosen.body):
            value = await self.app.push_screen_wait(TextPrompt(f"Fill in: {label}"))
            if not value:
                return
            filled[label] = value
        variables = canned.variables_for(self.store, self.conversation_id, self.agent.name)
        text = self.app.attempt(canned.render, chosen.body, variables, filled)
        if text is None:
            return
        self.composer.insert(text)
        self.composer.focus()

    @work(exclusive=True, group="dialog")
    async def action_attach(self) -> None:
        from omnitui.tui.dialogs.text_prompt import TextPrompt

        text = await self.app.push_screen_wait(TextPrompt(
            "Attach a file: path on this machine", hint="An empty path removes attachments."))
        if text is None:
            return
        if not text.strip():
            self.attachments.clear()
        else:
            path = Path(text.strip()).expanduser()
            if not path.is_file():
                self.app.notify(f"There is no file {path}.", severity="error", markup=False)
                return
            self.attachments.append(path)
        self._show_composer_label()

