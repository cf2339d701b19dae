"""Errors an action reports to a person: each one sentence, no traceback."""

from __future__ import annotations

from omnitui.store.db import NotFound, StoreError

__all__ = ["ActionError", "AgentDisabled", "NotAllowed", "NotFound", "StaleConversation",
           "StoreError", "UnknownAgent"]


class ActionError(StoreError):
    """An agent action that cannot be done as asked."""


class UnknownAgent(ActionError):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"Unknown agent '{username}'; add it with 'omnitui agent add {username}'."
        )
        self.username = username


class AgentDisabled(ActionError):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"Agent '{username}' is disabled and can no longer act; an admin can enable it with "
            f"'omnitui agent enable {username}'."
        )
        self.username = username


class NotAllowed(ActionError):
    """Work reserved for an admin, asked for by someone who is not one."""


class StaleConversation(ActionError):
    """The customer wrote again since the agent last looked; the reply needs a confirmation."""
