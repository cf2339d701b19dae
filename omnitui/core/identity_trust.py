"""Whether an agent should be warned about one of a customer's identities.

`identities.unverified_note` says what a way of linking is worth; this adds what happened
since: an email address given in chat that has since emailed the shop is no longer in doubt,
because its owner proved they receive mail there (an agent's reply by email is not flagged).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnitui.core.identities import CLAIMED_IN_CHAT, LINKED_BY_AGENT, unverified_note

ADDED_BY_AGENT = "added by an agent"


def identity_origin(identity: Mapping[str, Any]) -> str | None:
    """How an identity that is not in doubt came to the customer, when worth saying: an agent
    added it (what the customer told them), which is neither the customer's own message nor an
    unverified claim."""
    return ADDED_BY_AGENT if identity.get("linked_via") == LINKED_BY_AGENT else None


def identity_warning(identity: Mapping[str, Any]) -> str | None:
    """The warning for one identity as `store.queries.identities_of` reads it, or None."""
    if identity.get("has_written") and identity.get("linked_via") == CLAIMED_IN_CHAT:
        return None
    return unverified_note(identity.get("linked_via"))
