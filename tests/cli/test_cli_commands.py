"""The CLI as a setup script uses it: real subprocesses, real files, one-sentence errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from omnitui.channels.base import Inbound
from omnitui.core.ingest import ingest
from omnitui.store.db import Store
from tests.backend import database_in, on_postgres


def run(cfg: Path, *args: str, agent: str | None = None, check: bool = True,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMNITUI_CONFIG": str(cfg)}
    env.pop("OMNITUI_AGENT", None)
    if agent:
        env["OMNITUI_AGENT"] = agent
    proc = subprocess.run([sys.executable, "-m", "omnitui", *args], capture_output=True,
                          text=True, env=env, timeout=60, input=stdin)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def assert_one_sentence_error(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("Error: ") and needle in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[omnitui]\ndata_dir = "data"\ntimezone = "Europe/Warsaw"\n\n'
                    '[channels.chat]\nkind = "chat"\n', encoding="utf-8")
    return path


def seed(cfg: Path) -> int:
    store = Store.open(database_in(cfg.parent / "data"))
    conv = ingest(store, Inbound(channel="chat", kind="chat", external_id="v1:1", address="v1",
                                 text="Where is order 42?", display_name="Olga")).conversation_id
    store.close()
    return conv


def test_setup_script_flow(cfg: Path, tmp_path: Path, empty_database: str | None) -> None:
    assert "Created" in run(cfg, "init").stdout
    assert "up to date" in run(cfg, "init").stdout
    run(cfg, "agent", "add", "ann", "--name", "Ann Kowalska", "--role", "admin")
    run(cfg, "agent", "add", "bob")
    agents = json.loads(run(cfg, "agent", "list", "--json").stdout)
    assert [(a["username"], a["role"]) for a in agents] == [("ann", "admin"), ("bob", "agent")]
    run(cfg, "canned", "import", str(Path(__file__).parents[2] / "config/canned-example.toml"))
    assert len(json.loads(run(cfg, "canned", "list", "--json").stdout)) >= 5
    conv = seed(cfg)
    run(cfg, "reply", str(conv), "It ships today", agent="ann")
    run(cfg, "note", str(conv), "VIP customer", "--agent", "ann")
    run(cfg, "transfer", str(conv), "bob", "Olga asks about order 42", agent="ann")
    run(cfg, "snooze", str(conv), "--until", "2h", agent="bob")
    run(cfg, "resolve", str(conv), agent="bob")
    shown = json.loads(run(cfg, "conversation", "show", str(conv), "--json").stdout)
    assert shown["status"] == "resolved" and shown["assignee"] == "bob"
    assert [m["kind"] for m in shown["messages"]] == ["inbound", "outbound", "note", "transfer"]
    hits = json.loads(run(cfg, "search", "order", "--json").stdout)
    assert {h["kind"] for h in hits} >= {"inbound", "transfer"}
    lines = run(cfg, "export").stdout.splitlines()
    types = {json.loads(line)["type"] for line in lines}
    assert {"agent", "customer", "message", "event", "outbox"} <= types
    if not on_postgres():  # PostgreSQL: pg_dump (tests/cli/test_cli_postgres.py)
        run(cfg, "backup", str(tmp_path / "copy.db"))
        copy = Store.open(tmp_path / "copy.db")
        assert copy.conn.execute("SELECT count(*) FROM message").fetchone()[0] == 4
    status = json.loads(run(cfg, "status", "--json").stdout)
    assert status["hub"]["running"] is False and status["outbox"]["queued"] == 1


def test_errors_are_one_sentence(cfg: Path, tmp_path: Path, empty_database: str | None) -> None:
    assert_one_sentence_error(run(cfg, "agent", "list", check=False), "omnitui init")
    run(cfg, "init")
    conv = seed(cfg)
    assert_one_sentence_error(run(cfg, "reply", str(conv), "x", agent="zed", check=False),
                              "Unknown agent 'zed'")
    run(cfg, "agent", "add", "ann")
    assert_one_sentence_error(run(cfg, "reply", "999", "x", agent="ann", check=False),
                              "no conversation 999")
    assert_one_sentence_error(run(cfg, "agent", "add", "ann", check=False), "already exists")
    assert_one_sentence_error(run(cfg, "canned", "add", "x", "{oops", check=False), "brace")
    bad = tmp_path / "bad.toml"
    bad.write_text('[omnitui]\ndata_dir = "d"\ncolour = "red"\n', encoding="utf-8")
    assert_one_sentence_error(run(bad, "status", check=False), "omnitui.colour")
    bad.write_text('[channels.m]\nkind = "email"\naddress = "a@b"\nimap_host = "h"\n'
                   'smtp_host = "h"\nusername = "u"\nimap_port = "993"\npassword_env = "X"\n',
                   encoding="utf-8")
    assert_one_sentence_error(run(bad, "status", check=False), "channels.m.imap_port")
    bad.write_text("[omnitui\n", encoding="utf-8")
    assert_one_sentence_error(run(bad, "status", check=False), "not valid TOML")


def test_doctor_names_missing_secret(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[omnitui]\ndata_dir = "data"\n[channels.bot]\nkind = "telegram"\n'
                   'token_env = "OMNITUI_TEST_NO_SUCH_TOKEN"\n', encoding="utf-8")
    run(cfg, "init")
    proc = run(cfg, "doctor", check=False)
    assert proc.returncode == 1 and "OMNITUI_TEST_NO_SUCH_TOKEN" in proc.stdout


def test_serve_holds_lock_and_stops_on_sigterm(cfg: Path) -> None:
    run(cfg, "init")
    env = {**os.environ, "OMNITUI_CONFIG": str(cfg)}
    hub = subprocess.Popen([sys.executable, "-m", "omnitui", "serve"], env=env,
                           stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            status = json.loads(run(cfg, "status", "--json").stdout)
            if status["hub"]["running"] and status["channels"] and \
                    status["channels"][0]["state"] == "up":
                break
            time.sleep(0.1)
        assert status["hub"]["pid"] == hub.pid
        second = run(cfg, "serve", check=False)
        assert_one_sentence_error(second, f"process {hub.pid}")
        began = time.time()
        hub.send_signal(signal.SIGTERM)
        assert hub.wait(10) == 0
        assert time.time() - began < 5
    finally:
        if hub.poll() is None:
            hub.kill()
    log = (cfg.parent / "data" / "hub.log").read_text()
    assert "hub started" in log and "hub stopped" in log
    assert json.loads(run(cfg, "status", "--json").stdout)["hub"]["running"] is False


def test_shared_group_init(cfg: Path) -> None:
    import grp

    group = grp.getgrgid(os.getgid()).gr_name
    run(cfg, "init", "--shared-group", group)
    data = cfg.parent / "data"
    assert oct(data.stat().st_mode & 0o7777) == "0o2770"
    if on_postgres():  # the tables live on the server; the data dir holds no database file
        assert not (data / "omnitui.db").exists()
    else:
        assert oct((data / "omnitui.db").stat().st_mode & 0o777) == "0o660"
    proc = run(cfg, "init", "--shared-group", "no-such-group-xyz", check=False)
    assert_one_sentence_error(proc, "no-such-group-xyz")


def test_customer_link_makes_a_deep_link_that_links(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[omnitui]\ndata_dir = "data"\n[channels.bot]\nkind = "telegram"\n'
                   'token_env = "OMNITUI_TEST_TOKEN"\nbot_username = "shop_help_bot"\n',
                   encoding="utf-8")
    run(cfg, "init")
    conv = seed(cfg)
    store = Store.open(database_in(cfg.parent / "data"))
    customer = store.conn.execute("SELECT customer_id FROM conversation WHERE id = ?",
                                  (conv,)).fetchone()[0]
    first = json.loads(run(cfg, "customer", "link", str(customer), "--json").stdout)
    again = json.loads(run(cfg, "customer", "link", str(customer), "--json").stdout)
    assert first == again and first["url"] == f"https://t.me/shop_help_bot?start={first['token']}"
    linked = ingest(store, Inbound(channel="bot", kind="telegram", external_id="1:1",
                                   address="777", text=f"/start {first['token']}",
                                   link_token=first["token"]))
    assert linked.customer_id == customer


def test_one_person_install_checks_roles_once_an_admin_exists(cfg: Path, tmp_path: Path) -> None:
    """--agent and OMNITUI_AGENT still choose the agent here, and that agent's role counts; the
    data dir's owner acting as themselves (this test's user) stays an admin."""
    run(cfg, "init")
    run(cfg, "agent", "add", "bob", agent="bob")  # no admin yet: open to anyone
    run(cfg, "agent", "add", "ann", "--role", "admin", agent="bob")
    refused = run(cfg, "agent", "add", "mallory", "--role", "admin", agent="bob", check=False)
    assert_one_sentence_error(refused, "Only an admin can add agents; bob is an agent.")
    refused = run(cfg, "--agent", "bob", "backup", str(tmp_path / "copy.db"), check=False)
    assert_one_sentence_error(refused, "Only an admin can make backups; bob is an agent.")
    assert not (tmp_path / "copy.db").exists()
    run(cfg, "agent", "edit", "bob", "--name", "Bob B", agent="ann")
    run(cfg, "agent", "disable", "bob")  # the owner, as themselves
    agents = json.loads(run(cfg, "agent", "list", "--json").stdout)
    assert [(a["username"], a["name"], a["role"], a["disabled"]) for a in agents] == [
        ("ann", "ann", "admin", False), ("bob", "Bob B", "agent", True)]
    conv = seed(cfg)
    refused = run(cfg, "note", str(conv), "still here", agent="bob", check=False)
    assert_one_sentence_error(refused, "Agent 'bob' is disabled and can no longer act")
