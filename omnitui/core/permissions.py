"""Who may do what: whom a person acts as, admin-only work, and disabled agents.

The checks that matter run inside the transaction they guard, so a console holding a stale
AgentRow (its agent disabled a moment ago) cannot act, and no process can slip in between a
check and the write. They guard the console and CLI paths against honest mistakes and curious
colleagues; a member of a shared install's group can still write the SQLite file directly (see
the README's trust model).

Who counts as an admin: an active agent with role admin, and, acting as themselves, root and the
Unix user that owns the data dir (the service user who runs `init` and adds the first agents).
In a one-person install, where the person picks their agent name freely, admin-only work is open
to anyone until the first admin agent exists.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omnitui.core.errors import AgentDisabled, NotAllowed, UnknownAgent
from omnitui.store.db import Store, Tx

if TYPE_CHECKING:
    from omnitui.core.agents import AgentRow

SYSTEM_USERNAME = "omnitui"  # the disabled row that signs automatic messages (core.automatic)


@dataclass(frozen=True, slots=True)
class Login:
    """The person at the keyboard, as the operating system knows them (not as they claim)."""

    user: str
    owns_data: bool  # root, or the owner of the data dir


@dataclass(frozen=True, slots=True)
class Actor:
    """Whom a command acts as (`name`, the agent recorded in the audit log), and who asked."""

    name: str
    login: Login
    shared: bool

    @property
    def as_self(self) -> bool:
        return self.name == self.login.user


def current_login(data_dir: Path) -> Login:
    """The real uid's user name: OMNITUI_AGENT, --agent, USER and LOGNAME are anyone's to set."""
    uid = os.getuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        user = str(uid)
    try:
        owner = data_dir.stat().st_uid
    except OSError:
        owner = None
    return Login(user, uid == 0 or uid == owner)


def choose_actor(login: Login, requested: str | None, *, shared: bool) -> Actor:
    """Whom to act as: `requested` (--agent, else OMNITUI_AGENT) or the login's own name.

    In a shared install naming someone else is only allowed to an admin, which
    `check_may_act_as` decides against the store.
    """
    return Actor(requested or login.user, login, shared)


def check_may_act_as(store: Store, actor: Actor) -> None:
    """In a shared install only an admin may act as another agent."""
    if not actor.shared or actor.as_self or actor.login.owns_data:
        return
    with store.read() as tx:
        role = _describe(tx, actor.login.user)
    if role != "admin":
        raise NotAllowed(f"Only an admin can act as another agent ({actor.name}); "
                         f"{actor.login.user} {_phrase(role)}.")


def require_admin(tx: Tx, actor: Actor, what: str) -> None:
    """Refuse admin-only work (`what`, e.g. "add agents") in one sentence, inside `tx`."""
    if actor.as_self and actor.login.owns_data:
        return
    role = _describe(tx, actor.name)
    if role == "admin":
        return
    if not actor.shared and tx.scalar(
        "SELECT 1 FROM agent WHERE role = 'admin' AND disabled = 0 LIMIT 1"
    ) is None:
        return  # a one-person install before its first admin: nothing to protect yet
    raise NotAllowed(f"Only an admin can {what}; {actor.name} {_phrase(role)}.")


def require_admin_to_read(store: Store, actor: Actor, what: str) -> None:
    """`require_admin` for work that only reads (export, backup)."""
    with store.read() as tx:
        require_admin(tx, actor, what)


def require_active(tx: Tx, agent: AgentRow) -> None:
    """The agent still exists and is enabled, as of this transaction (not as of its AgentRow).

    The automatic sender is a disabled row by design and always passes; nobody can act as it
    (the CLI and console refuse disabled agents, and it cannot be enabled).
    """
    row = tx.one("SELECT username, disabled FROM agent WHERE id = ?", (agent.id,))
    if row is None:
        raise UnknownAgent(agent.username)
    if row[1] and row[0] != SYSTEM_USERNAME:
        raise AgentDisabled(row[0])


@contextmanager
def agent_write(store: Store, agent: AgentRow) -> Iterator[Tx]:
    """The write transaction of an agent's action, refused when the agent is disabled."""
    with store.write(agent.username) as tx:
        require_active(tx, agent)
        yield tx


def _describe(tx: Tx, username: str) -> str:
    """'admin', 'agent', 'disabled' or 'unknown'."""
    row = tx.one("SELECT role, disabled FROM agent WHERE username = ?", (username,))
    if row is None:
        return "unknown"
    return "disabled" if row[1] else str(row[0])


def _phrase(role: str) -> str:
    return {"agent": "is an agent", "disabled": "is a disabled agent",
            "unknown": "is not an agent"}.get(role, f"is {role}")
