"""One conversation: the customer's whole timeline, the side panel, presence and the composer.

Actions here are thin: ask with a dialog, call core.actions through `app.attempt`, redraw. The
change feed redraws when anything about this customer changes, by whoever.
"""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from omnitui.agent_files import file_limits
from omnitui.core import actions
from omnitui.core.chat_presence import EVENT as CHAT_PRESENCE
from omnitui.core.errors import StaleConversation
from omnitui.core.feed import Event
from omnitui.core.identity_trust import identity_warning
from omnitui.store.console_queries import (
    TYPING_ANNOUNCE,
    TYPING_MAX_AGE,
    newest_event_id,
    others_since,
    status_changes,
    viewers_of,
)
from omnitui.store.queries import (
    ConversationDetail,
    conversation_detail,
    conversation_entry,
    customer_conversations,
    customer_messages_after,
    customer_timeline,
)
from omnitui.store.rating_queries import ratings_of_customer
from omnitui.tui import keymap
from omnitui.tui.compositor import use_partial_compositor
from omnitui.tui.database_trouble import DATABASE_ERRORS
from omnitui.tui.format import display, safe_line
from omnitui.tui.screens.compose_actions import ComposeActions
from omnitui.tui.screens.conversation_actions import ConversationActions
from omnitui.tui.screens.conversation_lines import hints_line, title_line
from omnitui.tui.screens.customer_actions import CustomerActions
from omnitui.tui.screens.file_actions import FileActions
from omnitui.tui.screens.recognition_actions import RecognitionActions
from omnitui.tui.timeline_text import merge_changes
from omnitui.tui.widgets.attached_files import AttachedFiles
from omnitui.tui.widgets.composer import Composer, ComposerPreview
from omnitui.tui.widgets.key_bar import KeyBar
from omnitui.tui.widgets.side_panel import SidePanel, side_text
from omnitui.tui.widgets.signature_box import SignatureBox
from omnitui.tui.widgets.status_line import StatusLine
from omnitui.tui.widgets.timeline import Timeline

TIMELINE_LIMIT = 500
APPENDS = frozenset({"message_in", "message_out", "note", "call"})  # add a row, change none
MARK_READ_DELAY = 0.2  # s (to twice that) after new messages are drawn (see reload)
CUSTOMER_TYPING_SHOWN = 5.0  # s: the hub tells at most every 3 s while the customer types
COMPOSER_ACTIONS = frozenset({"send", "canned", "next_identity", "attach", "leave"})
CLOSED_HINTS = (("conversation.note", "note"), ("conversation.resolve", "resolve"),
                ("conversation.transfer", "transfer"), ("app.help", "help"))
OPEN_HINTS = (("composer.send", "send"), ("composer.leave", "close"),
              ("composer.canned", "canned"), ("composer.identity", "switch"),
              ("composer.attach", "attach"))


class ConversationScreen(FileActions, ConversationActions, CustomerActions, RecognitionActions,
                         ComposeActions, Screen[None]):
    """Timeline + side panel + reply composer for one conversation."""

    SCOPES = ("conversation", "composer")
    AUTO_FOCUS = "#timeline"  # set once, before keys typed ahead arrive (no later focus())
    BINDINGS = keymap.bindings("conversation")  # type: ignore[assignment]

    def __init__(self, conversation_id: int) -> None:
        super().__init__()
        use_partial_compositor(self)  # a new message renders the timeline, not every widget
        self.conversation_id = conversation_id
        self.detail: ConversationDetail | None = None
        self.seen_inbound: int | None = None  # newest inbound when the agent started typing
        self.identity_index = -1  # -1: the channel of the latest inbound message
        self.attachments: list[Path] = []
        self.typing_since: float | None = None
        self.read_upto = 0  # newest message id this console marked read
        self._drawn: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._read_timer: Timer | None = None
        self._box: Composer | None = None  # the reply box, kept for on_unmount
        self._typing_timer: Timer | None = None
        self.opened_at_event = 0  # the newest event when the reply box was opened
        self.customer_typing_until = 0.0  # monotonic time the customer's typing mark fades
        self._targets_seen = 0  # bumped when what the reply's target depends on may change
        # the side panel's other conversations and suggestion lines, as last read
        self._side_parts: tuple[list[dict[str, Any]], tuple[list[str], str]] | None = None
        self._target_words: tuple[tuple[int, int | None, bool, int], str] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="conv-title")
        with Horizontal(id="conv-body"):
            yield Timeline(id="timeline")
            yield SidePanel(id="side")
        yield Static(id="composer-label")
        attached = AttachedFiles(id="attached-files")
        attached.display = False  # the reply's files, when it has any (ctrl+t)
        yield attached
        preview = ComposerPreview(id="composer-preview")
        preview.display = False
        yield preview
        composer = Composer(id="composer")
        composer.display = False  # closed until `r`: letters are commands only while it is
        yield composer
        signature = SignatureBox(id="signature-box")
        signature.display = False  # with the box: what is added below the reply
        yield signature
        yield StatusLine(id="status-line")
        yield KeyBar()

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.app.store  # type: ignore[attr-defined]

    @property
    def agent(self):  # type: ignore[no-untyped-def]
        return self.app.agent  # type: ignore[attr-defined]

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    @property
    def timeline(self) -> Timeline:
        return self.query_one(Timeline)

    def on_mount(self) -> None:
        self._box = box = self.composer  # (its text outlives the screen's widgets)
        draft = self.app.drafts.pop(self.conversation_id, None)  # type: ignore[attr-defined]
        if draft:
            box.load_text(draft)
            box.move_cursor(box.document.end)  # (typing goes on where it stopped)
        self.reload()
        self.app.attempt(actions.set_presence, self.store, self.agent,  # type: ignore[attr-defined]
                         self.conversation_id)

    def on_unmount(self) -> None:
        box = self._box
        if box is not None and box.text.strip():  # an unsent reply waits for the next visit
            self.app.drafts[self.conversation_id] = box.text  # type: ignore[attr-defined]
        if self._read_timer is not None:  # left within the read mark's delay: still seen
            self._read_timer.stop()
            self._read_timer = None
            self.app.attempt(actions.mark_read, self.store, self.conversation_id, self.agent)  # type: ignore[attr-defined]
        self.app.attempt(actions.set_presence, self.store, self.agent, None)  # type: ignore[attr-defined]

    # drawing --------------------------------------------------------------------------------
    def reload(self, *, append: bool = False, only_here: bool = False) -> None:
        """Re-read the conversation, timeline and side panel and mark it read. `append`: only
        new messages arrived, so add them below instead of redrawing the history.
        `only_here`: and all of them in this conversation, with no one coming or going, so the
        customer's other conversations, the suggestions and the viewers are as last read (each
        was a statement per console per message; with PostgreSQL a round trip each). A
        database that does not answer leaves the screen as last read, and says so."""
        try:
            self._reload(append, only_here)
        except DATABASE_ERRORS as exc:
            self.app.database_failed(exc)  # type: ignore[attr-defined]

    def _reload(self, append: bool, only_here: bool) -> None:
        app = self.app
        detail = app.attempt(conversation_detail, self.store, self.conversation_id)  # type: ignore[attr-defined]
        if detail is None:
            return
        self.detail = detail
        if not self.composer.text.strip():
            self.seen_inbound = detail.last_inbound_id
        now = app.now()  # type: ignore[attr-defined]
        shown = self.timeline.shown
        if append and shown:
            last = max(m.id for m in shown)
            self.timeline.append(customer_messages_after(self.store, detail.customer_id, last))
            messages = self.timeline.shown
        else:
            self._targets_seen += 1  # identities, merges, links: the target is read again
            messages = customer_timeline(self.store, detail.customer_id, limit=TIMELINE_LIMIT)
            since = messages[0].created_at if len(messages) == TIMELINE_LIMIT else 0.0
            changes = status_changes(self.store, detail.customer_id, since=since)
            ratings = ratings_of_customer(self.store, detail.customer_id, since=since)
            messages = merge_changes(messages, changes, app.tz, ratings)  # type: ignore[attr-defined]
            self.timeline.show(messages, app.tz, now, self.conversation_id)  # type: ignore[attr-defined]
        kept = self._side_parts if append and only_here else None
        if kept is not None:
            others, suggestions = kept
            past = sorted([conversation_entry(detail),
                           *(c for c in others if c["id"] != detail.id)],
                          key=lambda c: c["last_message_at"], reverse=True)
        else:
            past = customer_conversations(self.store, detail.customer_id)
            suggestions = self.suggestion_lines(detail.customer_id)
        self._side_parts = (past, suggestions)
        self._update("side", side_text(detail, past, app.tz, *suggestions))  # type: ignore[attr-defined]
        if kept is None:
            self._show_title()
        self._show_composer_label()
        newest = max((m.id for m in messages if m.conversation_id == detail.id), default=0)
        if newest > self.read_upto:  # one write per new message, not per redraw
            self.read_upto = newest
            # Not before the paint: the write waits for SQLite's lock, and every console
            # of the shop marks the new message at once, waking all the others (and the hub)
            # while they are still drawing it. A moment later, once for a burst, and spread
            # out: writers that collide sleep in SQLite's busy handler on the UI thread.
            if self._read_timer is None:
                delay = MARK_READ_DELAY * (1 + random.random())
                self._read_timer = self.set_timer(delay, self._mark_read)

    def _mark_read(self) -> None:
        self._read_timer = None
        if self.is_mounted:
            self.app.attempt(actions.mark_read, self.store, self.conversation_id, self.agent)  # type: ignore[attr-defined]

    def _show_title(self) -> None:
        d = self.detail
        if d is None:
            return
        viewers = viewers_of(self.store, d.id, exclude_agent_id=self.agent.id,
                             now=self.app.now())  # type: ignore[attr-defined]
        self._update("#conv-title", title_line(d, viewers, self.size.width or 80))
        typing = [v.updated_at for v in viewers if v.typing]
        if typing and self._typing_timer is None:  # fade the marker with no event to wake us
            fade = min(typing) + TYPING_MAX_AGE - float(self.store.clock())
            self._typing_timer = self.set_timer(min(max(fade, 0.2), TYPING_MAX_AGE),
                                                self._typing_faded)

    def _typing_faded(self) -> None:
        self._typing_timer = None
        if self.is_mounted:
            self._show_title()

    def _update(self, where: str, text: Text) -> None:
        """Redraw a line or panel only when its text changed (each update costs a layout)."""
        key = (text.plain, tuple(map(str, text.spans)))
        if self._drawn.get(where) == key:
            return
        self._drawn[where] = key
        if where == "side":
            self.query_one(SidePanel).show(text)
        else:  # (one line high, whatever it says: no layout)
            self.query_one(where, Static).update(text, layout=False)

    def chosen_identity(self) -> dict[str, Any] | None:
        """The identity the agent switched the reply to, or None for the latest channel."""
        d = self.detail
        if d is None or not 0 <= self.identity_index < len(d.identities):
            return None
        return d.identities[self.identity_index]

    def _latest_channel(self) -> str:
        d = self.detail
        inbound = [m for m in self.timeline.shown if m.kind == "inbound"]
        return (inbound[-1].channel if inbound else None) or (d.channel if d else None) or "?"

    def reply_target(self) -> str:
        """Where the reply goes, by name (compose_actions.py), read again only when it can
        have changed: another identity chosen, the customer writing from another identity, a
        full reload, or a chat visitor coming or going. A new message used to cost every
        console six more statements for the same words."""
        if self.detail is None:
            return ""
        d = self.detail
        # (an agent-started conversation replies where it started until the customer answers)
        key = (self.identity_index, d.customer_last_identity, d.last_inbound_id is None,
               self._targets_seen)
        if self._target_words is None or self._target_words[0] != key:
            self._target_words = (key, self.target_words())
        return self._target_words[1]

    def _target_unverified(self) -> bool:
        """Whether the reply would go to an identity tied to this customer only by a claim."""
        ident = self.chosen_identity()
        if ident is not None:
            targets = [ident]
        else:
            channel = self._latest_channel()
            targets = [i for i in (self.detail.identities if self.detail else ())
                       if i.get("channel") == channel]
        return any(identity_warning(i) for i in targets)

    @property
    def composing(self) -> bool:
        """The reply box is open (visible): then it takes every letter typed."""
        return bool(self.composer.display)

    def _show_composer_label(self) -> None:
        """The line where the box would be (closed) or above it (open): whom the reply goes
        to, then the keys that matter here, as many whole ones as fit."""
        label = Text(end="")
        width = self.size.width or 80
        target = display(self.reply_target(), max(12, width // 2))
        if time.monotonic() < self.customer_typing_until:
            label.append(" ✎ customer typing…", style="bold cyan")
        if not self.composing:
            draft = self.composer.text.strip()
            if draft:
                label.append(f" Draft kept ({len(draft)} characters) ", style="bold yellow")
                label.append(f" {self._key('conversation.reply')} continue", style="bold")
            else:
                label.append(f" {self._key('conversation.reply')} reply", style="bold")
                label.append(f" to {target}", style="dim")
                if self._target_unverified():
                    label.append("  ⚠ unverified", style="bold yellow")
            hints = [(self._key(i), w) for i, w in CLOSED_HINTS]
            self._update("#composer-label", hints_line(label, hints, width))
            return
        label.append(" Reply to ", style="dim")
        label.append(target, style="bold")
        if self._target_unverified():
            label.append("  ⚠ unverified", style="bold yellow")  # the side panel says why
        hints = [(self._key(i), w) for i, w in OPEN_HINTS]
        self._update("#composer-label", hints_line(label, hints, width))

    def _key(self, binding_id: str) -> str:
        """The first key of a binding as the agent has it (rebinds in `[keys]` included)."""
        spec = keymap.BY_ID[binding_id]
        keys = keymap.effective_keys(spec, self.app.keys)  # type: ignore[attr-defined]
        return keymap.pretty_keys(keys.split(",")[0])

    # live -----------------------------------------------------------------------------------
    def store_changed(self, events: list[Event]) -> None:
        d = self.detail
        if d is None:
            return
        mine = [e for e in events if e.conversation_id == d.id or e.customer_id == d.customer_id
                or (e.kind == "conversation_merged" and e.data.get("source") == d.id)
                or (e.kind == "suggestion" and e.data.get("candidate") == d.customer_id)]
        changes = [e for e in mine if e.kind not in ("presence", "read", "customer_typing")]
        if any(e.kind == "customer_typing" for e in mine):
            self._customer_typing()
        if any(e.kind == CHAT_PRESENCE for e in events):  # a visitor came or went: "offline"
            self._targets_seen += 1
            if not changes:
                self._show_composer_label()
        if changes:
            self.reload(append=all(e.kind in APPENDS for e in changes),
                        only_here=all(e.conversation_id == d.id for e in changes)
                        and not any(e.kind == "presence" for e in events))
        elif any(e.kind == "presence" for e in events):
            self._show_title()
        if any(e.kind in ("channel_state", "message_out", "delivery", "outbox") for e in events):
            self.query_one(StatusLine).update_status()

    def _customer_typing(self) -> None:
        """Show the customer's typing for CUSTOMER_TYPING_SHOWN s after their last sign."""
        self.customer_typing_until = time.monotonic() + CUSTOMER_TYPING_SHOWN
        self._show_composer_label()
        self.set_timer(CUSTOMER_TYPING_SHOWN + 0.05, self._show_composer_label)

    def on_text_area_changed(self, event: Composer.Changed) -> None:
        """Tell other agents I am typing: on the first key, then at most every
        TYPING_ANNOUNCE s while keys come; their marker fades TYPING_MAX_AGE s after the last."""
        if event.text_area is not self.composer:
            return
        self._show_preview()
        if not self.composer.text.strip():
            self._stop_typing()
            return
        now = time.monotonic()
        if self.typing_since is None or now - self.typing_since >= TYPING_ANNOUNCE:
            self.typing_since = now
            self.app.attempt(actions.set_presence, self.store, self.agent,  # type: ignore[attr-defined]
                             self.conversation_id, typing=True)

    def _show_preview(self) -> None:
        self.query_one(ComposerPreview).show_draft(self.composer.text, self.size.width or 80)

    def _stop_typing(self) -> None:
        if self.typing_since is not None:
            self.typing_since = None
            self.app.attempt(actions.set_presence, self.store, self.agent,  # type: ignore[attr-defined]
                             self.conversation_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The box's keys only while it is open; the screen's letters only while it is not."""
        if action in COMPOSER_ACTIONS:
            return self.composing
        return True

    # composer actions -----------------------------------------------------------------------
    def action_reply(self) -> None:
        """Open the reply box and give it every key until it is sent or closed. `set_focus`,
        not `focus()`: the keys typed right after `r` are released into the box only once
        the focus has moved (see tui/typeahead.py)."""
        composer = self.composer
        opening = not composer.display
        if opening:
            composer.display = True
            self._show_preview()
        self.set_focus(composer)
        # The box is open and has the keys before anything is read: a database that does not
        # answer is said, and what the agent types next still goes into the box, never to the
        # screen's commands.
        try:
            if opening:
                self.opened_at_event = newest_event_id(self.store)
            self.show_signature()
            self._show_composer_label()
        except DATABASE_ERRORS as exc:
            if opening:  # (the newest event this console has seen stands in)
                self.opened_at_event = getattr(self.app.feed, "last_id", 0)  # type: ignore[attr-defined]
            self.app.database_failed(exc)  # type: ignore[attr-defined]

    def close_composer(self) -> None:
        """Close the box (a draft stays, shown in the line above) and give letters back to the
        screen's commands. Other agents stop seeing 'typing…' at once."""
        self.composer.display = False
        self.query_one(SignatureBox).hide()
        self.set_focus(self.timeline)
        self._stop_typing()
        self.query_one(ComposerPreview).display = False
        self._show_composer_label()

    def action_leave(self) -> None:
        self.close_composer()

    def action_back(self) -> None:
        if self.composing:
            self.close_composer()
            return
        if self.composer.text.strip():
            self.app.notify(f"Draft of #{self.conversation_id} kept: it is in the reply box "
                            "when you open the conversation again.", timeout=3)
        self.app.pop_screen()

    def action_scroll_timeline(self, lines: int) -> None:
        if lines < 0 and self.timeline.scroll_y <= 0 and self.timeline.older():
            return
        self.timeline.scroll_relative(y=lines, animate=False)

    def action_older(self) -> None:
        if not self.timeline.older():
            self.app.notify("That is the whole history.", timeout=2)

    def action_next_identity(self) -> None:
        if self.detail is None or not self.detail.identities:
            return
        self.identity_index += 1
        if self.identity_index >= len(self.detail.identities):
            self.identity_index = -1
        self.show_signature()  # the new channel's signature and footer
        self._show_composer_label()

    def action_send(self) -> None:
        """Send now (not in a worker: the box must be empty and closed before the keys typed
        after ctrl+j are let through). A stale view or a colleague's reply asks first."""
        from omnitui.tui.dialogs.confirm import ConfirmDialog

        text = self.composer.text
        if not text.strip() and not self.attachments:
            self.app.notify("Write a reply first.", severity="warning")
            return
        # (a database that does not answer here: the text stays in the box, and
        # OmniConsole._dispatch_action says why)
        warning = self._collision_warning()
        if warning is not None:
            self.app.push_screen(ConfirmDialog(warning, yes="Send anyway", no="Keep editing"),
                                 lambda ok: self._deliver(text, force=True) if ok else None)
            return
        self._deliver(text, force=False)

    def _collision_warning(self) -> str | None:
        """One sentence when, since this box was opened, a colleague replied here or started
        to: two agents answering one customer is what the customer notices first."""
        others = others_since(self.store, self.conversation_id, self.agent.username,
                              self.opened_at_event)
        if not others:
            return None
        tz = self.app.tz  # type: ignore[attr-defined]
        said = [f"{safe_line(a.name)} {'replied' if a.replied else 'started writing a reply'} "
                f"at {datetime.fromtimestamp(a.at, tz):%H:%M}" for a in others]
        return ("Since you opened this reply, " + " and ".join(said)
                + ". Send yours anyway?")

    def _deliver(self, text: str, *, force: bool) -> None:
        from omnitui.tui.dialogs.confirm import ConfirmDialog

        chosen = self.chosen_identity()
        kwargs = {"via_identity": None if chosen is None else chosen["id"],
                  "attachments": list(self.attachments),
                  "attachments_dir": self.app.settings.attachments_dir,  # type: ignore[attr-defined]
                  "file_limits": file_limits(self.app.settings),  # type: ignore[attr-defined]
                  **self.signing_kwargs()}
        try:
            actions.reply(self.store, self.conversation_id, text, self.agent,
                          expect_last_inbound=None if force else self.seen_inbound, **kwargs)
        except StaleConversation as exc:
            self.reload()
            self.app.push_screen(ConfirmDialog(str(exc), yes="Send anyway", no="Keep editing"),
                                 lambda ok: self._deliver(text, force=True) if ok else None)
            return
        except sqlite3.Error as exc:  # rolled back: nothing queued, the text kept
            self.app.database_failed(exc)  # type: ignore[attr-defined]
            return
        except Exception as exc:  # one readable sentence, not a crash
            self.app.notify(str(exc), severity="error", markup=False)
            return
        self.composer.clear()
        self.query_one(SignatureBox).forget()
        self.set_attachments([])
        self.close_composer()
        self.reload()
        self.app.notify("Reply queued.", timeout=2)
