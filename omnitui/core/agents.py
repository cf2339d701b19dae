"""Agents: the people who answer. Who is acting is always checked against this table."""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass

from omnitui.core.errors import ActionError, AgentDisabled, UnknownAgent
from omnitui.core.permissions import SYSTEM_USERNAME, Actor, require_admin
from omnitui.store.db import Store, Tx

USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
ROLES = ("admin", "agent")


@dataclass(frozen=True, slots=True)
class AgentRow:
    id: int
    username: str
    name: str
    role: str
    disabled: bool


def default_agent_name(explicit: str | None = None) -> str:
    """`--agent`, else OMNITUI_AGENT, else the Unix user name."""
    if explicit:
        return explicit
    env = os.environ.get("OMNITUI_AGENT")
    if env:
        return env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "agent"


def add_agent(
    store: Store, username: str, name: str | None = None, role: str = "agent",
    *, by: Actor | None = None,
) -> AgentRow:
    """`by` is the person asking (admin-only); None for set-up code acting for nobody."""
    if not USERNAME.match(username):
        raise ActionError(
            f"'{username}' is not a valid agent name: use letters, digits, '.', '_' or '-'."
        )
    if role not in ROLES:
        raise ActionError(f"Role must be admin or agent, not '{role}'.")
    _not_the_automatic_sender(username)
    with store.write(by.name if by else "cli") as tx:
        if by is not None:
            require_admin(tx, by, "add agents")
        if tx.one("SELECT 1 FROM agent WHERE username = ?", (username,)):
            raise ActionError(f"Agent '{username}' already exists.")
        agent_id = tx.insert(
            "agent",
            {
                "username": username,
                "name": name or username,
                "role": role,
                "disabled": False,
                "created_at": tx.now,
            },
        )
        tx.event("agent_added", username=username, role=role)
    return AgentRow(agent_id, username, name or username, role, False)


def list_agents(store: Store, *, include_disabled: bool = True) -> list[AgentRow]:
    rows = store.conn.execute(
        "SELECT id, username, name, role, disabled FROM agent ORDER BY username"
    ).fetchall()
    agents = [AgentRow(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]
    return [a for a in agents if include_disabled or not a.disabled]


def set_agent_disabled(store: Store, username: str, disabled: bool = True,
                       *, by: Actor | None = None) -> None:
    """Disabling also fails the agent's replies still waiting in the outbox (see outbox)."""
    from omnitui.core.outbox import fail_replies_of_disabled_agents

    with store.write(by.name if by else "cli") as tx:
        if by is not None:
            require_admin(tx, by, "disable agents" if disabled else "enable agents")
        _not_the_automatic_sender(username)
        cur = tx.execute("UPDATE agent SET disabled = ? WHERE username = ?", (disabled, username))
        if cur.rowcount == 0:
            raise UnknownAgent(username)
        tx.event("agent_disabled" if disabled else "agent_enabled", username=username)
        if disabled:
            fail_replies_of_disabled_agents(tx)


def change_agent(store: Store, username: str, *, name: str | None = None,
                 role: str | None = None, by: Actor | None = None) -> AgentRow:
    """A new display name or role; one event names what changed."""
    if role is not None and role not in ROLES:
        raise ActionError(f"Role must be admin or agent, not '{role}'.")
    with store.write(by.name if by else "cli") as tx:
        if by is not None:
            require_admin(tx, by, "change agents")
        _not_the_automatic_sender(username)
        row = _row(tx, username)
        changes = {k: v for k, v in (("name", name), ("role", role)) if v is not None}
        if not changes:
            raise ActionError("Say what to change: --name or --role.")
        tx.execute(f"UPDATE agent SET {', '.join(f'{k} = ?' for k in changes)} WHERE id = ?",
                   (*changes.values(), row.id))
        tx.event("agent_changed", username=username, **changes)
        return _row(tx, username)


def _not_the_automatic_sender(username: str) -> None:
    if username == SYSTEM_USERNAME:
        raise ActionError(f"The agent name '{SYSTEM_USERNAME}' signs automatic messages; it "
                          "cannot be added, enabled, disabled or changed.")


def _row(tx: Tx, username: str) -> AgentRow:
    row = tx.one("SELECT id, username, name, role, disabled FROM agent WHERE username = ?",
                 (username,))
    if row is None:
        raise UnknownAgent(username)
    return AgentRow(row[0], row[1], row[2], row[3], bool(row[4]))


def get_agent(store: Store, username: str, *, active: bool = True) -> AgentRow:
    row = store.conn.execute(
        "SELECT id, username, name, role, disabled FROM agent WHERE username = ?", (username,)
    ).fetchone()
    if row is None:
        raise UnknownAgent(username)
    agent = AgentRow(row[0], row[1], row[2], row[3], bool(row[4]))
    if active and agent.disabled:
        raise AgentDisabled(username)
    return agent


def agent_by_id(store: Store, agent_id: int) -> AgentRow:
    row = store.conn.execute(
        "SELECT id, username, name, role, disabled FROM agent WHERE id = ?", (agent_id,)
    ).fetchone()
    if row is None:
        raise ActionError(f"There is no agent with id {agent_id}.")
    return AgentRow(row[0], row[1], row[2], row[3], bool(row[4]))
