"""Who may do what on the README's server install, each command run as a real Unix user.

bob is a plain agent, boss an admin agent, carol is in the group but no agent; the service user
owns the data dir. The acting agent is the logged-in user, whatever --agent or OMNITUI_AGENT say.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.install.test_server_install import assert_one_sentence, user_tmux
from tests.unix_users import ServerInstall, make_user, run_as


@dataclass(frozen=True)
class Staff:
    install: ServerInstall
    bob: str
    boss: str
    carol: str
    conversation: int

    def run(self, user: str, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
        return run_as(user, [self.install.bin, *argv], env=self.install.env(**env))

    def service(self, *argv: str) -> subprocess.CompletedProcess[str]:
        done = self.run(self.install.service_user, *argv)
        assert done.returncode == 0, done.stderr
        return done

    def agents(self) -> dict[str, tuple[str, bool]]:
        rows = json.loads(self.service("agent", "list", "--json").stdout)
        return {a["username"]: (a["role"], a["disabled"]) for a in rows}

    def authors(self) -> list[tuple[str, str]]:
        shown = json.loads(self.service("conversation", "show", str(self.conversation),
                                        "--json").stdout)
        return [(m["author"], m["text"]) for m in shown["messages"] if m["kind"] == "note"]


SEED = ("import sys; from omnitui.store.db import Store; from omnitui.core.ingest import ingest;"
        "from omnitui.channels.base import Inbound; s = Store.open(sys.argv[1]); "
        "print(ingest(s, Inbound(channel='chat', kind='chat', external_id='roles:1', "
        "address='roles-visitor', text='Where is order 4412?')).conversation_id)")


@pytest.fixture(scope="module")
def staff(server_install: ServerInstall) -> Staff:
    group = server_install.group
    bob, boss, carol = (make_user(n, groups=[group]) for n in ("bob", "boss", "carol"))
    python = server_install.root / "opt/omnitui/bin/python"
    seeded = run_as(server_install.service_user,
                    [str(python), "-c", SEED, server_install.store_location])
    assert seeded.returncode == 0, seeded.stderr
    staff = Staff(server_install, bob, boss, carol, int(seeded.stdout))
    staff.service("agent", "add", bob, "--name", "Bob")
    staff.service("agent", "add", boss, "--name", "Boss", "--role", "admin")
    return staff


def test_a_plain_agent_is_refused_admin_work_in_one_sentence(staff: Staff, tmp_path: Path) -> None:
    bob = staff.bob
    canned = Path(f"/home/{bob}/canned.toml")
    canned.write_text('[[canned]]\nname = "hi"\nbody = "Hello!"\n', encoding="utf-8")
    copy = f"/home/{bob}/copy.db"
    before = staff.agents()
    refusals = {
        ("agent", "add", "mallory", "--role", "admin"): "add agents",
        ("agent", "disable", staff.boss): "disable agents",
        ("agent", "edit", bob, "--role", "admin"): "change agents",
        ("canned", "import", str(canned)): "import canned answers",
        ("canned", "add", "hi", "Hello"): "change canned answers",
        ("export",): "export the shop's data",
        ("backup", copy): "make backups",
    }
    for argv, what in refusals.items():
        done = staff.run(bob, *argv)
        assert_one_sentence(done, f"Only an admin can {what}; {bob} is an agent.")
        assert done.stdout == ""  # (export printed nothing either)
    assert staff.agents() == before
    assert not Path(copy).exists()
    canned_now = json.loads(staff.service("canned", "list", "--json").stdout)
    assert "hi" not in {c["name"] for c in canned_now}
    carol = staff.run(staff.carol, "agent", "add", "mallory")
    assert_one_sentence(carol, f"Only an admin can add agents; {staff.carol} is not an agent.")


def test_admins_and_the_service_user_may(staff: Staff) -> None:
    added = staff.run(staff.boss, "agent", "add", "dave", "--name", "Dave")
    assert added.returncode == 0, added.stderr
    assert staff.agents()["dave"] == ("agent", False)
    assert staff.run(staff.boss, "agent", "disable", "dave").returncode == 0
    assert staff.agents()["dave"] == ("agent", True)


def test_the_acting_agent_is_the_logged_in_user(staff: Staff) -> None:
    bob, boss, conv = staff.bob, staff.boss, str(staff.conversation)
    claimed = staff.run(bob, "note", conv, "I am boss", "--agent", boss)
    assert_one_sentence(claimed, f"Only an admin can act as another agent ({boss}); {bob} is "
                        "an agent.")
    by_env = staff.run(bob, "note", conv, "I am boss too", OMNITUI_AGENT=boss, USER=boss)
    assert_one_sentence(by_env, f"({boss}); {bob} is an agent.")
    assert staff.run(bob, "note", conv, "bob here").returncode == 0
    assert staff.run(boss, "note", conv, "for bob", "--agent", bob).returncode == 0
    assert staff.authors() == [("Bob", "bob here"), ("Bob", "for bob")]  # (display names)


def test_a_disabled_or_unknown_agent_gets_no_console_and_no_action(staff: Staff) -> None:
    carol = staff.run(staff.carol)  # the console, as an SSH login would start it
    assert_one_sentence(carol, f"Unknown agent '{staff.carol}'")
    erin = make_user("erin", groups=[staff.install.group])
    staff.service("agent", "add", erin)
    staff.service("agent", "disable", erin)
    for argv in ((), ("note", str(staff.conversation), "still here")):
        done = staff.run(erin, *argv)
        assert_one_sentence(done, f"Agent '{erin}' is disabled and can no longer act")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_a_running_console_closes_when_its_agent_is_disabled(staff: Staff) -> None:
    frank = make_user("frank", groups=[staff.install.group])
    staff.service("agent", "add", frank)
    tmux = user_tmux(frank, staff.install)
    try:
        tmux.start(f"{staff.install.bin}; echo console-exit=$?; sleep 60")
        tmux.wait("Inbox")
        began = time.monotonic()
        assert staff.run(staff.boss, "agent", "disable", frank).returncode == 0
        pane = tmux.wait("console-exit=1", timeout=10)
        took = time.monotonic() - began
        assert f"Agent {frank} was disabled by {staff.boss}" in pane
        assert took < 5, took
    finally:
        tmux.kill()
