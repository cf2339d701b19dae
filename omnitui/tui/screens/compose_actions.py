"""New conversations (`C`) and what the reply box says before sending: to whom, and signed how.

Kept out of the screens so they stay one idea each: the inbox and the conversation screen mix
this in; the conversation screen also asks it for the reply's target (an address, a Telegram
name, the website chat) and for the signature box under the reply. Core modules are imported
when first used, not when the inbox starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from omnitui.store.db import StoreError
from omnitui.tui.format import safe_line

if TYPE_CHECKING:
    from omnitui.core.compose import Target


class ComposeActions:
    """Mixed into screens; `self` is a Textual Screen of the console app."""

    app: Any

    def action_compose(self) -> None:
        """The new-conversation dialog; in a conversation it starts with that customer."""
        from omnitui.tui.dialogs.compose import ComposeDialog

        detail = getattr(self, "detail", None)
        customer = detail.customer_id if detail is not None else None

        def started(conversation_id: int | None) -> None:
            if conversation_id is not None:
                self.app.call_after_refresh(self.app.open_conversation, conversation_id)

        if not isinstance(self.app.screen, ComposeDialog):
            self.app.push_screen(ComposeDialog(customer_id=customer), started)

    # the conversation screen's reply box ------------------------------------------------------
    def current_target(self) -> Target | None:
        """Where the reply goes now; None when nowhere (the customer has no address)."""
        from omnitui.core.compose import reply_target

        chosen = self.chosen_identity()  # type: ignore[attr-defined]
        try:
            return reply_target(self.app.store, self.conversation_id,  # type: ignore[attr-defined]
                                None if chosen is None else chosen["id"])
        except StoreError:
            return None

    def target_words(self) -> str:
        """'email olga@example.org (mail)', 'Telegram Olga (bot)', 'website chat Liam (chat)',
        with ', offline' for a chat visitor not connected now (the reply waits for them)."""
        target = self.current_target()
        if target is None:
            return "nobody (no address)"
        words = f"{safe_line(target.label)} ({safe_line(target.channel)})"
        return words if target.online else f"{words}, offline"  # it waits for the visitor

    def show_signature(self) -> None:
        """Fill the box under the reply with what this channel adds below it."""
        from omnitui.core.signatures import Signing, signature_for
        from omnitui.tui.widgets.signature_box import SignatureBox

        target = self.current_target()
        box = self.query_one(SignatureBox)  # type: ignore[attr-defined]
        if target is None:
            box.hide()
            return
        signing = Signing.from_settings(self.app.settings)
        try:
            below = signature_for(self.app.store, signing, self.app.agent, target.channel)
        except StoreError:
            box.hide()
            return
        box.show_for(target.channel, below)

    def signing_kwargs(self) -> dict[str, Any]:
        """What `actions.reply` needs to sign the reply as the box shows it."""
        from omnitui.core.signatures import Signing
        from omnitui.tui.widgets.signature_box import SignatureBox

        box = self.query_one(SignatureBox)  # type: ignore[attr-defined]
        return {"signing": Signing.from_settings(self.app.settings),
                "signature": box.signature}
