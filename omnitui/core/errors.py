"""Errors an action reports to a person: each one sentence, no traceback."""

from __future__ import annotations

from omnitui.store.db import NotFound, StoreError

__all__ = ["ActionError", "NotFound", "StaleConversation", "StoreError", "UnknownAgent"]


class ActionError(StoreError):
    """An agent action that cannot be done as asked."""


class UnknownAgent(ActionError):
    def __init__(self, username: str) -> None:
        super().__init__(
            f"Unknown agent '{username}'; add it with 'omnitui agent add {username}'."
        )
        self.username = username


class StaleConversation(ActionError):
    """The customer wrote again since the agent last looked; the reply needs a confirmation."""
