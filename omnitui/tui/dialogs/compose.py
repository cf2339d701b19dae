"""A new conversation (`C`, or the palette): whom to, on which channel, a subject for email, the
message, its signature and the channel's footer, all on one screen. Answers with the new
conversation's id (the console opens it) or None.

Whom to: a known customer, found fuzzily as you type, or an email address nobody has yet. Only
the channels that customer can be reached on are offered (an offline chat visitor is shown, but
sending says why not); the line above the message names where it will go before it goes.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from omnitui.core.compose import (
    CustomerMatch,
    Target,
    customer_matches,
    is_email,
    start_conversation,
    targets,
)
from omnitui.core.signatures import Signing, signature_for
from omnitui.store.db import StoreError
from omnitui.tui.format import display
from omnitui.tui.widgets.composer import Composer
from omnitui.tui.widgets.signature_box import SignatureBox

NEW = "new"


class ComposeDialog(ModalScreen[int | None]):
    AUTO_FOCUS = "#compose-to"
    BINDINGS = [
        Binding("escape", "leave", "Cancel", id="compose.cancel", show=False),
        Binding("down", "move(1)", "Next", show=False, id="compose.down"),
        Binding("up", "move(-1)", "Previous", show=False, id="compose.up"),
    ]
    DEFAULT_CSS = """
    ComposeDialog .dialog { height: auto; max-height: 100%; }
    ComposeDialog #compose-matches, ComposeDialog #compose-via { max-height: 6; }
    ComposeDialog Composer { height: 5; }
    ComposeDialog #compose-target { margin-top: 1; }
    """

    def __init__(self, customer_id: int | None = None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.new_address: str | None = None
        self.matches: list[CustomerMatch] = []
        self.targets: list[Target] = []
        self.target: Target | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(Text("New conversation", style="bold"), classes="dialog-title")
            yield Input(placeholder="To: a customer's name, an email address or #id",
                        id="compose-to")
            yield OptionList(id="compose-matches")
            yield OptionList(id="compose-via")
            yield Input(placeholder="Subject", id="compose-subject")
            yield Static(id="compose-target")
            yield Composer(id="compose-text")
            yield SignatureBox(id="compose-signature")
            yield Static(Text("enter pick · tab next field · ctrl+j send · esc cancel",
                              style="dim"))

    @property
    def app_(self) -> Any:
        return self.app

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.cursor_blink = False
        for hidden in ("#compose-via", "#compose-subject", "#compose-text",
                       "#compose-signature"):
            self.query_one(hidden).display = False
        if self.customer_id is not None:
            match = next((m for m in customer_matches(self.app_.store, f"#{self.customer_id}")
                          if m.customer_id == self.customer_id), None)
            to = self.query_one("#compose-to", Input)
            with to.prevent(Input.Changed):  # a name shown, not a new search
                to.value = match.name if match else f"#{self.customer_id}"
            self.query_one("#compose-matches").display = False
            self._recipient_chosen()
        else:
            self._fill_matches("")
        self._show_target()

    # whom to ----------------------------------------------------------------------------------
    def _fill_matches(self, query: str) -> None:
        try:
            self.matches = customer_matches(self.app_.store, query)
        except StoreError as exc:
            self.app.notify(str(exc), severity="error", markup=False)
            self.matches = []
        lst = self.query_one("#compose-matches", OptionList)
        lst.clear_options()
        address = query.strip().lower()
        known = {a.split(" ", 1)[-1] for m in self.matches for a in m.addresses}
        if is_email(address) and address not in known:
            lst.add_option(Option(Text(f"New customer: {address} (email)", style="bold"),
                                  id=NEW))
        for m in self.matches:
            label = Text(no_wrap=True, overflow="ellipsis")
            label.append(m.name, style="bold")
            if m.addresses:
                label.append("  " + " · ".join(m.addresses), style="dim")
            lst.add_option(Option(label, id=str(m.customer_id)))
        lst.display = lst.option_count > 0
        if lst.option_count:
            lst.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "compose-to":
            self.customer_id = None
            self.new_address = None
            self.target = None
            self.query_one("#compose-matches").display = True
            for hidden in ("#compose-via", "#compose-subject"):
                self.query_one(hidden).display = False
            self._fill_matches(event.value)
            self._show_target()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "compose-to":
            self._pick_match()
        elif event.input.id == "compose-subject":
            self.set_focus(self.query_one("#compose-text"))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "compose-matches":
            self._pick_match()
        else:
            self._focus_text()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "compose-via" and event.option.id is not None:
            self._set_target(self.targets[int(event.option.id)])

    def _pick_match(self) -> None:
        lst = self.query_one("#compose-matches", OptionList)
        if lst.highlighted is None or not lst.option_count:
            self.app.notify("Type a customer's name or an email address first.",
                            severity="warning")
            return
        option = lst.get_option_at_index(lst.highlighted)
        to = self.query_one("#compose-to", Input)
        if option.id == NEW:
            self.new_address = to.value.strip().lower()
        else:
            self.customer_id = int(option.id or 0)
            with to.prevent(Input.Changed):
                to.value = next(m.name for m in self.matches if m.customer_id == self.customer_id)
        lst.display = False
        self._recipient_chosen()

    def _recipient_chosen(self) -> None:
        """Offer the ways to reach the recipient; the first (latest heard, online) is picked."""
        channels = {name: ch.kind for name, ch in self.app_.settings.channels.items()}
        if self.new_address is not None:
            email = next((name for name, kind in channels.items() if kind == "email"), None)
            self.targets = [] if email is None else [
                Target("email", email, None, self.new_address, f"email {self.new_address}")]
        else:
            self.targets = targets(self.app_.store, self.customer_id or 0, channels)
        via = self.query_one("#compose-via", OptionList)
        via.clear_options()
        for n, t in enumerate(self.targets):
            label = Text(f"{t.label} ({t.channel})", no_wrap=True, overflow="ellipsis")
            if not t.online:
                label.append("  (offline)", style="dim")
            via.add_option(Option(label, id=str(n)))
        via.display = bool(self.targets)
        if not self.targets:
            self.app.notify("This customer has no address on any configured channel.",
                            severity="warning")
            self._show_target()
            return
        first = next((n for n, t in enumerate(self.targets) if t.online), 0)
        via.highlighted = first
        self._set_target(self.targets[first])
        self._focus_text()

    def _set_target(self, target: Target) -> None:
        self.target = target
        self.query_one("#compose-subject").display = target.kind == "email"
        self.query_one("#compose-text").display = True
        try:
            below = signature_for(self.app_.store, Signing.from_settings(self.app_.settings),
                                  self.app_.agent, target.channel)
            self.query_one(SignatureBox).show_for(target.channel, below)
        except StoreError:
            self.query_one(SignatureBox).hide()
        self._show_target()

    def _focus_text(self) -> None:
        subject = self.query_one("#compose-subject", Input)
        if subject.display and not subject.value.strip():
            self.set_focus(subject)
        else:
            self.set_focus(self.query_one("#compose-text"))

    def _show_target(self) -> None:
        line = Text(end="")
        if self.target is None:
            line.append("Pick whom to write to.", style="dim")
        else:
            line.append("New conversation to ", style="dim")
            line.append(display(self.target.label, 60), style="bold")
            line.append(f" ({display(self.target.channel, 20)})", style="dim")
            if not self.target.online:
                line.append("  offline: a chat message only reaches a visitor online",
                            style="bold yellow")
        self.query_one("#compose-target", Static).update(line)

    # keys -------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in ("canned", "attach")  # the reply box's keys that have no use here

    def action_move(self, delta: int) -> None:
        lst = self.query_one("#compose-matches", OptionList)
        if not lst.display or not lst.option_count:
            return
        current = lst.highlighted if lst.highlighted is not None else -delta
        lst.highlighted = max(0, min(lst.option_count - 1, current + delta))

    def action_next_identity(self) -> None:
        """ctrl+n, as in the reply box: the next way to reach the recipient."""
        via = self.query_one("#compose-via", OptionList)
        if self.targets:
            via.highlighted = ((via.highlighted or 0) + 1) % len(self.targets)

    def action_leave(self) -> None:
        """esc: cancel; a message already written is only dropped once the agent says so."""
        from omnitui.tui.dialogs.confirm import ConfirmDialog

        if not self.query_one("#compose-text", Composer).text.strip():
            self.dismiss(None)
            return
        self.app.push_screen(ConfirmDialog("Discard this new message?", yes="Discard",
                                           no="Keep writing", letters=False),
                             lambda ok: self.dismiss(None) if ok else None)

    def action_send(self) -> None:
        from omnitui.hub_lock import running_hub

        if self.target is None:
            self.app.notify("Pick whom to write to first.", severity="warning")
            return
        settings = self.app_.settings
        to = self.new_address or f"#{self.customer_id}"
        try:
            started = start_conversation(
                self.app_.store, self.app_.agent, to, self.query_one(Composer).text,
                channels={name: ch.kind for name, ch in settings.channels.items()},
                via=self.target.channel, via_identity=self.target.identity_id,
                subject=self.query_one("#compose-subject", Input).value,
                signing=Signing.from_settings(settings),
                signature=self.query_one(SignatureBox).signature,
                hub_running=running_hub(settings) is not None)
        except StoreError as exc:  # one readable sentence; the dialog stays as it was
            self.app.notify(str(exc), severity="error", markup=False)
            return
        self.app.notify("Conversation started; the message is queued.", timeout=3)
        self.dismiss(started.conversation_id)
