"""Who signs automatic messages: a disabled agent row named `omnitui`.

Automatic replies (auto-acknowledgements, CSAT requests) go through `core.reply` like every
reply, so they get the same outbox, threading and audit trail; that path needs an agent row. A
disabled agent can never log in or be assigned, and names the sender honestly in the timeline.
"""

from __future__ import annotations

from omnitui.core.agents import AgentRow
from omnitui.core.permissions import SYSTEM_USERNAME
from omnitui.store.db import Store

__all__ = ["SYSTEM_NAME", "SYSTEM_USERNAME", "system_agent"]

SYSTEM_NAME = "omnitui (automatic)"


def system_agent(store: Store) -> AgentRow:
    """The automatic sender, created (disabled) on first use."""
    with store.write("system") as tx:
        row = tx.one("SELECT id, username, name, role, disabled FROM agent WHERE username = ?",
                     (SYSTEM_USERNAME,))
        if row is None:
            agent_id = tx.insert("agent", {"username": SYSTEM_USERNAME, "name": SYSTEM_NAME,
                                           "role": "agent", "disabled": True,
                                           "created_at": tx.now})
            tx.event("agent_added", username=SYSTEM_USERNAME, role="agent", automatic=True)
            return AgentRow(agent_id, SYSTEM_USERNAME, SYSTEM_NAME, "agent", True)
    return AgentRow(row[0], row[1], row[2], row[3], bool(row[4]))

