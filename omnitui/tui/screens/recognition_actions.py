"""The conversation screen's actions on who the customer is: merging (with the fold of two live
cases into one), acting on a suggestion that this customer is somebody already known, and
adding what the customer told the agent (an address, a number) to the customer."""

from __future__ import annotations

from typing import Any

from omnitui.core.merge import merge_customers
from omnitui.store.queries import conversation_detail


class RecognitionActions:
    """Needs `self.app`, `self.store`, `self.agent`, `self.conversation_id`, `self.reload`."""

    app: Any
    store: Any
    agent: Any
    conversation_id: int
    detail: Any

    def merge_chosen(self, survivor_id: int, choice: Any) -> None:
        """Merge as the merge dialog said; when this conversation folded into an older one,
        go on in that one (this one has left the inbox)."""
        merge_id = self.app.attempt(merge_customers, self.store, survivor_id,
                                    choice.customer_id, self.agent, fold_cases=choice.fold)
        if merge_id is None:
            return
        now = self.app.attempt(conversation_detail, self.store, self.conversation_id)
        if now is not None and now.merged_into is not None:
            self.app.notify(f"Customers merged; this case is now part of #{now.merged_into}.",
                            timeout=3, markup=False)
            self.app.open_conversation(now.merged_into)
            return
        self.reload()  # type: ignore[attr-defined]
        self.app.notify("Customers merged.", timeout=2, markup=False)

    # suggestions (core.suggestions): never a merge by themselves, an agent decides ----------
    def _suggestion(self) -> Any:
        """The most certain open suggestion about this customer, or None (with a toast)."""
        from omnitui.core.suggestions import open_suggestions

        if self.detail is None:
            return None
        found = self.app.attempt(open_suggestions, self.store, self.detail.customer_id)
        if found is None:
            return None
        if not found:
            self.app.notify("No suggestion about this customer.", severity="warning",
                            timeout=3)
            return None
        return found[0]

    def action_merge_suggested(self) -> None:
        """The merge preview for the suggested pair: the known customer stays, this one joins
        it (and its live case folds into the older one unless the agent says otherwise)."""
        from omnitui.store.console_queries import CustomerHit
        from omnitui.store.queries import identities_of
        from omnitui.tui.dialogs.merge import MergeChoice, MergeDialog

        s = self._suggestion()
        if s is None:
            return
        # The customer known longer stays (whichever side this screen shows).
        names = {s.customer_id: s.customer_name or self.detail.customer,
                 s.candidate_id: s.candidate_name}
        keep, join = sorted((s.customer_id, s.candidate_id))
        addresses = " ".join(f"{i['kind']}:{i['address']}"
                             for i in identities_of(self.store, join))
        hit = CustomerHit(join, names[join], addresses, 0)

        def save(choice: MergeChoice | None) -> None:
            if choice is not None:
                self.merge_chosen(keep, choice)

        self.app.push_screen(MergeDialog(keep, names[keep], suggested=hit), save)

    def action_dismiss_suggestion(self) -> None:
        """Not the same person: the suggestion goes, and is not made again on the same kinds
        of reason."""
        from omnitui.core.suggestions import dismiss_suggestion

        s = self._suggestion()
        if s is None:
            return
        if self.app.try_run(dismiss_suggestion, self.store, s.id, self.agent):
            self.reload()  # type: ignore[attr-defined]
            self.app.notify(f"Dismissed: not {s.candidate_name}.", timeout=3, markup=False)

    def action_add_identity(self) -> None:
        from omnitui.core.added_identities import add_identity
        from omnitui.tui.dialogs.add_identity import AddIdentityDialog, NewIdentity

        if self.detail is None:
            return
        customer_id, name = self.detail.customer_id, self.detail.customer
        region = self.app.settings.recognition.phone_region

        def save(new: NewIdentity | None) -> None:
            if new is None:
                return
            added = self.app.attempt(add_identity, self.store, customer_id, new.kind,
                                     new.value, self.agent, phone_region=region)
            if added and added[1]:
                self.reload()  # type: ignore[attr-defined]
                self.app.notify(f"Added {new.value} to {name}.", timeout=2, markup=False)
            elif added:
                self.app.notify(f"{name} already has {new.value}.", timeout=3, markup=False)

        self.app.push_screen(AddIdentityDialog(name), save)

    def suggestion_lines(self, customer_id: int) -> tuple[list[str], str]:
        """For the side panel: labels of the open suggestions about this customer, and the keys
        that act on the first."""
        from omnitui.core.suggestions import open_suggestions, suggestion_label

        found = self.app.attempt(open_suggestions, self.store, customer_id) or []
        if not found:
            return [], ""
        keys = (f"{self._key('conversation.suggestion')} merge · "  # type: ignore[attr-defined]
                f"{self._key('conversation.not_them')} not them")  # type: ignore[attr-defined]
        return [suggestion_label(s) for s in found], keys
