"""The conversation screen's actions on who the customer is: merging (with the fold of two live
cases into one), and acting on a suggestion that this customer is somebody already known."""

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
