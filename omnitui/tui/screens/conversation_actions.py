"""The conversation screen's agent actions: each asks with a dialog, then calls core once.

A mixin so the screen file stays about drawing; every write goes through `app.attempt`, the
console's one error handler.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from omnitui.core import actions, canned
from omnitui.core.agents import list_agents
from omnitui.core.undo import UNDO_WINDOW
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

    def action_reply(self) -> None: ...

    def _do(self, fn: Any, *args: Any, done: str | None = None, **kwargs: Any) -> bool:
        ok = self.app.try_run(fn, *args, **kwargs)
        if ok:
            self.reload()
            if done:
                self.app.notify(done, timeout=2, markup=False)
        return ok

    def _change(self, fn: Any, *args: Any, done: str, **kwargs: Any) -> int | None:
        """A change to the conversation that the agent may take back: done at once (others
        see it), with a toast naming the undo key for UNDO_WINDOW seconds."""
        event_id = self.app.attempt(fn, *args, **kwargs)
        if event_id is not None:
            self.reload()
            self.app.offer_undo([event_id], done)
        return event_id

    def _ask(self, dialog: Any, then: Any) -> None:
        """Open a dialog now, in the key's own handler (not a worker started later), so the
        keys typed right after the command key are held until it is on screen."""
        self.app.push_screen(dialog, then)

    def action_note(self) -> None:
        from omnitui.tui.dialogs.text_prompt import TextPrompt

        title = "Private note (only agents see it)"

        def save(text: str | None) -> None:
            if text and text.strip() and not self._do(
                    actions.note, self.store, self.conversation_id, text, self.agent,
                    done="Note added."):
                self._ask(TextPrompt(title, value=text, multiline=True), save)  # (kept)

        self._ask(TextPrompt(title, multiline=True), save)

    def action_log_call(self) -> None:
        from omnitui.tui.dialogs.call_log import CallLogDialog, LoggedCall

        region = self.app.settings.recognition.phone_region

        def save(call: LoggedCall | None) -> None:
            if call is not None and not self._do(
                    actions.log_call, self.store, self.conversation_id, call.text, self.agent,
                    phone=call.phone, phone_region=region,
                    done="Call logged." if call.phone is None else
                    f"Call logged; {call.phone} added to the customer."):
                self._ask(CallLogDialog(call), save)  # the toast said why; nothing is lost

        self._ask(CallLogDialog(), save)

    def action_transfer(self) -> None:
        from omnitui.tui.dialogs.transfer import TransferChoice, TransferDialog

        agents = [a for a in list_agents(self.store, include_disabled=False)
                  if a.id != self.agent.id]
        if not agents:
            self.app.notify("There is nobody else to transfer to.", severity="warning")
            return

        def save(choice: TransferChoice | None) -> None:
            if choice is not None:
                self._change(actions.transfer, self.store, self.conversation_id,
                             choice.username, choice.note, self.agent,
                             tell_customer=choice.tell_customer,
                             done=f"Transferred #{self.conversation_id} to {choice.username}.")

        self._ask(TransferDialog(agents, transfer_draft(self.store, self.conversation_id,
                                                        self.app.tz)),
                  save)

    def action_assign(self) -> None:
        from omnitui.tui.dialogs.pick import PickDialog

        options: list[tuple[str, str]] = [(f"Me ({self.agent.name})", self.agent.username)]
        options += [(f"{a.name} ({a.username})", a.username)
                    for a in list_agents(self.store, include_disabled=False)
                    if a.id != self.agent.id]
        options.append(("Nobody (unassign)", ""))

        def save(who: str | None) -> None:
            if who is not None:
                self._change(actions.assign, self.store, self.conversation_id, who or None,
                             self.agent, done=(f"Assigned #{self.conversation_id} to {who}."
                                               if who else f"Unassigned #{self.conversation_id}."))

        self._ask(PickDialog("Assign to", options), save)

    def _confirmed_change(self, question: str, fn: Any, done: str) -> None:
        """Resolve, reopen and pending take one more key (enter), which prose never types:
        a stray letter must not resolve a case and send the customer a rating request."""
        from omnitui.tui.dialogs.confirm import ConfirmDialog

        def save(ok: bool | None) -> None:
            if ok:
                self._change(fn, self.store, self.conversation_id, self.agent, done=done)

        self._ask(ConfirmDialog(question, yes="Yes", no="No", letters=False), save)

    def action_resolve(self) -> None:
        cid = self.conversation_id
        self._confirmed_change(
            f"Resolve #{cid}? The customer is asked for a rating {UNDO_WINDOW:.0f} s later, "
            "unless you undo.", actions.resolve, f"Resolved #{cid}.")

    def action_reopen(self) -> None:
        cid = self.conversation_id
        self._confirmed_change(f"Reopen #{cid}?", actions.reopen, f"Reopened #{cid}.")

    def action_pending(self) -> None:
        cid = self.conversation_id
        self._confirmed_change(f"Set #{cid} pending (waiting on the customer)?",
                               actions.set_pending, f"#{cid} is pending: waiting on the customer.")

    def action_snooze(self) -> None:
        from omnitui.tui.dialogs.pick import PickDialog

        now = datetime.fromtimestamp(self.app.now(), self.app.tz)
        options = snooze_choices(now)

        def picked(until: Any) -> None:
            if until == "ask":
                self._ask_time(now)
            elif until is not None:
                self._snooze(until)

        self._ask(PickDialog("Snooze", options), picked)

    def _snooze(self, until: Any) -> None:
        cid = self.conversation_id
        if until == "reply":
            self._change(actions.snooze, self.store, cid, self.agent, until_reply=True,
                         done=f"Snoozed #{cid} until the customer replies.")
        else:
            self._change(actions.snooze, self.store, cid, self.agent, until=until,
                         until_reply=True, done=f"Snoozed #{cid} until {until:%d %b %H:%M}.")

    def _ask_time(self, now: datetime) -> None:
        """A duration ("90m", "2d") or a local time ("2025-07-01 09:00", "14:30")."""
        from omnitui.tui.dialogs.text_prompt import TextPrompt

        def typed(text: str | None) -> None:
            if text and text.strip():
                until = parse_time(text.strip(), now)
                if until is None:
                    self.app.notify(f"Cannot read {text.strip()!r} as a time.",
                                    severity="error", markup=False)
                else:
                    self._snooze(until)

        self._ask(TextPrompt(
            "Snooze until", hint='A duration like "90m" or "2d", or a time like "14:30" or '
            '"2025-07-01 09:00" (your time zone).'), typed)

    def action_label(self) -> None:
        from omnitui.tui.dialogs.text_prompt import TextPrompt

        current = list(self.detail.labels) if self.detail else []
        known = label_names(self.store)
        hint = ("Type a label to add it, or -name to remove one. On it: "
                + (" ".join(f"#{x}" for x in current) or "none")
                + ("   Known: " + " ".join(known[:12]) if known else ""))

        def save(text: str | None) -> None:
            if not text:
                return
            done: list[int] = []
            for word in text.split():
                remove = word.startswith("-")
                name = word.lstrip("-#")
                if name:
                    event_id = self.app.attempt(actions.label, self.store, self.conversation_id,
                                                name, self.agent, remove=remove)
                    if event_id is not None:
                        done.append(event_id)
            if done:
                self.reload()
                self.app.offer_undo(done, f"Labels of #{self.conversation_id} changed "
                                          f"({' '.join(text.split())}).")

        self._ask(TextPrompt("Label", hint=hint, suggestions=known), save)

    def action_merge(self) -> None:
        from omnitui.tui.dialogs.merge import MergeChoice, MergeDialog

        if self.detail is None:
            return
        customer_id = self.detail.customer_id

        def save(choice: MergeChoice | None) -> None:
            if choice is not None:
                self.merge_chosen(customer_id, choice)  # type: ignore[attr-defined]

        self._ask(MergeDialog(customer_id, self.detail.customer), save)

    def action_canned(self) -> None:
        from omnitui.tui.dialogs.canned_picker import CannedPicker

        answers = canned.all_canned(self.store)
        if not answers:
            self.app.notify("No canned answers yet: add some with 'omnitui canned add'.",
                            severity="warning")
            return
        last = last_inbound_text(self.store, self.conversation_id)

        def chosen(answer: Any) -> None:
            if answer is not None:
                self._fill_canned(answer.body, canned.prompts(answer.body), {})

        self._ask(CannedPicker(answers, last), chosen)

    def _fill_canned(self, body: str, labels: list[str], filled: dict[str, str]) -> None:
        """Ask for each placeholder in turn (each dialog opened as the previous one closes),
        then put the rendered answer into the reply box."""
        from omnitui.tui.dialogs.text_prompt import TextPrompt

        if len(filled) < len(labels):
            label = labels[len(filled)]

            def typed(value: str | None) -> None:
                if value:
                    self._fill_canned(body, labels, {**filled, label: value})

            self._ask(TextPrompt(f"Fill in: {label}"), typed)
            return
        variables = canned.variables_for(self.store, self.conversation_id, self.agent.name)
        text = self.app.attempt(canned.render, body, variables, filled)
        if text is not None:
            self.composer.insert(text)
            self.action_reply()

def snooze_choices(now: datetime) -> list[tuple[str, Any]]:
    """The snooze dialog's options (one conversation or many): "reply", a time, or "ask"."""
    tomorrow = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    monday = (now + timedelta(days=7 - now.weekday())).replace(
        hour=9, minute=0, second=0, microsecond=0)
    return [
        ("Until the customer replies", "reply"),
        ("1 hour (or their reply)", now + timedelta(hours=1)),
        ("4 hours (or their reply)", now + timedelta(hours=4)),
        (f"Tomorrow {tomorrow:%H:%M} (or their reply)", tomorrow),
        (f"Monday {monday:%d %b %H:%M} (or their reply)", monday),
        ("Other time…", "ask"),
    ]


def parse_time(text: str, now: datetime) -> datetime | None:
    """A duration ("90m", "2d") from now, or a local time ("2025-07-01 09:00"; "14:30" is the
    next such time), in `now`'s time zone; None when it is neither."""
    from omnitui.core.hours import parse_duration

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
            at = now.replace(hour=parsed.hour, minute=parsed.minute, second=0, microsecond=0)
            return at if at > now else at + timedelta(days=1)
        return parsed.replace(tzinfo=now.tzinfo)
    return None
