"""Who may do what, checked in core on real SQLite files: admin-only work, acting as someone
else in a shared install, and disabled agents refused inside the write transaction."""

from __future__ import annotations

import os
import pwd
from collections.abc import Callable
from pathlib import Path

import pytest

from omnitui.channels.base import Inbound
from omnitui.config import Settings
from omnitui.core import actions, canned, outbox
from omnitui.core.agents import (
    AgentRow,
    add_agent,
    change_agent,
    get_agent,
    list_agents,
    set_agent_disabled,
)
from omnitui.core.automatic import system_agent
from omnitui.core.errors import ActionError, AgentDisabled, NotAllowed
from omnitui.core.ingest import ingest
from omnitui.core.merge import merge_customers
from omnitui.core.permissions import Actor, Login, check_may_act_as, current_login
from omnitui.store.database import Database
from omnitui.store.db import Store

SERVICE = Login("omnitui-svc", owns_data=True)


def person(name: str, *, login: str | None = None, shared: bool = True) -> Actor:
    """Someone logged in as `login` (default: `name`), acting as `name`."""
    return Actor(name, Login(login or name, owns_data=False), shared)


def counts(store: Store) -> tuple[int, ...]:
    """Every table an action could write: unchanged means nothing was written."""
    return tuple(store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("agent", "event", "message", "outbox", "canned_answer",
                           "conversation_label"))


def conversation(store: Store, visitor: str = "v1") -> int:
    return ingest(store, Inbound(channel="chat", kind="chat", external_id=f"{visitor}:1",
                                 address=visitor, text="Where is my order?")).conversation_id


@pytest.fixture
def boss(store: Store) -> AgentRow:
    return add_agent(store, "boss", "The Boss", "admin")


def test_a_plain_agent_cannot_add_an_admin_and_nothing_is_written(
        store: Store, boss: AgentRow, bob: AgentRow) -> None:
    before = counts(store)
    with pytest.raises(NotAllowed) as refused:
        add_agent(store, "mallory", role="admin", by=person("bob"))
    assert str(refused.value) == "Only an admin can add agents; bob is an agent."
    assert counts(store) == before
    with pytest.raises(NotAllowed, match="Only an admin can disable agents; bob is an agent"):
        set_agent_disabled(store, "boss", by=person("bob"))
    with pytest.raises(NotAllowed, match="Only an admin can change agents"):
        change_agent(store, "bob", role="admin", by=person("bob"))
    with pytest.raises(NotAllowed, match="carol is not an agent"):
        add_agent(store, "mallory", by=person("carol"))
    assert counts(store) == before
    assert not get_agent(store, "boss").disabled and get_agent(store, "bob").role == "agent"


def test_admins_the_data_dir_owner_and_root_may_manage_agents(store: Store, boss: AgentRow,
                                                              bob: AgentRow) -> None:
    add_agent(store, "carol", by=person("boss"))
    add_agent(store, "dave", by=Actor(SERVICE.user, SERVICE, True))
    change_agent(store, "carol", role="admin", name="Carol C", by=Actor("root",
                                                                        Login("root", True), True))
    set_agent_disabled(store, "dave", by=person("carol"))
    roles = {a.username: (a.role, a.disabled) for a in list_agents(store)}
    assert roles["carol"] == ("admin", False) and roles["dave"] == ("agent", True)
    actors = [r[0] for r in store.conn.execute(
        "SELECT actor FROM event WHERE kind LIKE 'agent_%' ORDER BY id DESC LIMIT 3")]
    assert actors == ["carol", "root", SERVICE.user]


def test_the_owner_acting_as_a_plain_agent_has_that_agents_rights(store: Store, boss: AgentRow,
                                                                  bob: AgentRow) -> None:
    as_bob = Actor("bob", SERVICE, shared=False)
    with pytest.raises(NotAllowed, match="bob is an agent"):
        add_agent(store, "carol", by=as_bob)


def test_one_person_install_is_open_until_the_first_admin(
        store: Store, bob: AgentRow, another_database: Callable[..., Database]) -> None:
    add_agent(store, "ann", role="admin", by=person("bob", shared=False))
    with pytest.raises(NotAllowed):
        add_agent(store, "carol", by=person("bob", shared=False))
    # A shared install has no such opening: its owner (the service user) adds the first admin.
    other = Store.open(another_database("other"))
    try:
        add_agent(other, "bob")
        with pytest.raises(NotAllowed):
            add_agent(other, "ann", role="admin", by=person("bob"))
    finally:
        other.close()


def test_canned_answers_are_admin_work(store: Store, boss: AgentRow, bob: AgentRow,
                                       tmp_path: Path) -> None:
    file = tmp_path / "canned.toml"
    file.write_text('[[canned]]\nname = "hi"\nbody = "Hello!"\n', encoding="utf-8")
    before = counts(store)
    with pytest.raises(NotAllowed, match="Only an admin can import canned answers; bob is an"):
        canned.import_toml(store, file, by=person("bob"))
    with pytest.raises(NotAllowed, match="Only an admin can change canned answers"):
        canned.add(store, "hi", "Hello", by=person("bob"))
    assert counts(store) == before
    assert canned.import_toml(store, file, by=person("boss")) == 1


def test_acting_as_someone_else_needs_an_admin_in_a_shared_install(store: Store, boss: AgentRow,
                                                                   bob: AgentRow) -> None:
    with pytest.raises(NotAllowed) as refused:
        check_may_act_as(store, person("boss", login="bob"))
    assert str(refused.value) == "Only an admin can act as another agent (boss); bob is an agent."
    check_may_act_as(store, person("bob", login="boss"))  # an admin may
    check_may_act_as(store, Actor("bob", SERVICE, True))  # so may the service user
    check_may_act_as(store, person("boss", login="bob", shared=False))  # one-person: as before


def test_current_login_is_the_real_uid_not_the_environment(
        store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("USER", "ann")
    monkeypatch.setenv("LOGNAME", "ann")
    login = current_login(tmp_path)
    assert login.user == pwd.getpwuid(os.getuid()).pw_name
    assert login.owns_data  # this test's process made tmp_path (or is root)


ACTIONS: dict[str, Callable[[Store, int, AgentRow], object]] = {
    "reply": lambda s, c, a: actions.reply(s, c, "On its way", a),
    "note": lambda s, c, a: actions.note(s, c, "a note", a),
    "log_call": lambda s, c, a: actions.log_call(s, c, "called", a),
    "resolve": lambda s, c, a: actions.resolve(s, c, a),
    "pending": lambda s, c, a: actions.set_pending(s, c, a),
    "label": lambda s, c, a: actions.label(s, c, "vip", a),
    "assign": lambda s, c, a: actions.assign(s, c, "ann", a),
    "transfer": lambda s, c, a: actions.transfer(s, c, "ann", "over to you", a),
    "merge": lambda s, c, a: merge_customers(s, c, conversation(s, "v2"), a),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_stale_agent_row_of_a_disabled_agent_cannot_act(
        store: Store, settings: Settings, ann: AgentRow, bob: AgentRow, action: str) -> None:
    """bob's console holds his AgentRow from before; the disable comes from another process."""
    conv = conversation(store)
    other = Store.open(settings.database)
    try:
        set_agent_disabled(other, "bob")
    finally:
        other.close()
    assert bob.disabled is False  # the row bob's console holds says he may
    before = counts(store)
    with pytest.raises(AgentDisabled) as refused:
        ACTIONS[action](store, conv, bob)
    assert str(refused.value) == ("Agent 'bob' is disabled and can no longer act; an admin can "
                                  "enable it with 'omnitui agent enable bob'.")
    if action != "merge":  # (merge's second customer is ingested before the refusal)
        assert counts(store) == before


def test_disabling_fails_the_agents_queued_replies_for_everyone_to_see(
        store: Store, ann: AgentRow, bob: AgentRow) -> None:
    conv = conversation(store)
    bobs = actions.reply(store, conv, "from bob", bob).message_id
    anns = actions.reply(store, conv, "from ann", ann).message_id
    set_agent_disabled(store, "bob", by=Actor(SERVICE.user, SERVICE, True))
    row = store.conn.execute(
        "SELECT m.delivery_state, m.failure_reason, o.state FROM message m JOIN outbox o "
        "ON o.message_id = m.id WHERE m.id = ?", (bobs,)).fetchone()
    assert tuple(row) == ("failed", "not sent: bob was disabled before it left", "failed")
    assert [c.message_id for c in outbox.claim_due(store, {"chat"})] == [anns]
    last = store.conn.execute("SELECT kind, data FROM event WHERE message_id = ? ORDER BY id "
                              "DESC LIMIT 1", (bobs,)).fetchone()
    assert last[0] == "delivery" and "disabled" in last[1]


def test_the_hub_refuses_a_reply_whose_author_was_disabled_behind_cores_back(
        store: Store, ann: AgentRow, bob: AgentRow) -> None:
    """Even an agent disabled by a direct UPDATE is caught at the moment the hub claims."""
    conv = conversation(store)
    bobs = actions.reply(store, conv, "from bob", bob).message_id
    store.conn.execute("UPDATE agent SET disabled = 1 WHERE username = 'bob'")
    assert outbox.claim_due(store, {"chat"}) == []
    state = store.conn.execute("SELECT delivery_state, failure_reason FROM message WHERE id = ?",
                               (bobs,)).fetchone()
    assert tuple(state) == ("failed", "not sent: bob was disabled before it left")


def test_automatic_messages_still_leave_and_their_sender_stays_disabled(
        store: Store, ann: AgentRow) -> None:
    conv = conversation(store)
    sender = system_agent(store)
    queued = actions.reply(store, conv, "Thanks, we got it", sender, automatic=True)
    assert [c.message_id for c in outbox.claim_due(store, {"chat"})] == [queued.message_id]
    for attempt in (lambda: set_agent_disabled(store, "omnitui", False),
                    lambda: add_agent(store, "omnitui"),
                    lambda: change_agent(store, "omnitui", role="admin")):
        with pytest.raises(ActionError, match="signs automatic messages"):
            attempt()
    with pytest.raises(AgentDisabled):
        get_agent(store, "omnitui")
