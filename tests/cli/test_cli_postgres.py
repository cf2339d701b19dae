"""The CLI on a PostgreSQL store: init names the server, doctor checks it line by line, backup
points at pg_dump, export gives the same lines as from a SQLite store of the same shop."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from omnitui.channels.base import Inbound
from omnitui.core import actions
from omnitui.core.agents import add_agent
from omnitui.core.ingest import ingest
from omnitui.store.database import Database
from omnitui.store.db import Store, head_revision, upgrade
from tests.cli.test_cli_commands import assert_one_sentence_error


@pytest.fixture(autouse=True)
def _postgres_pass(backend_database: str | None) -> None:
    """These are PostgreSQL's own behaviours; the SQLite pass tests its file in test_cli_*."""
    if backend_database is None:
        pytest.skip("runs in the --backend=postgresql pass")


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[omnitui]\ndata_dir = "data"\ntimezone = "UTC"\n\n'
                    '[channels.chat]\nkind = "chat"\n', encoding="utf-8")
    return path


def run(cfg: Path, *args: str, url: str | None = None, agent: str | None = "ann",
        check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMNITUI_CONFIG": str(cfg)}
    if url is not None:
        env["OMNITUI_DATABASE"] = url
    env.pop("OMNITUI_AGENT", None)
    if agent:
        env["OMNITUI_AGENT"] = agent
    proc = subprocess.run([sys.executable, "-m", "omnitui", *args], capture_output=True,
                          text=True, env=env, timeout=60)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def server_of(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}", parts.path.strip("/")


def test_init_creates_then_upgrades_the_schema_on_the_server(
        cfg: Path, empty_database: str) -> None:
    server, name = server_of(empty_database)
    refused = run(cfg, "agent", "list", check=False)
    assert_one_sentence_error(refused, f"PostgreSQL database {name} on {server} holds no "
                              "omnitui tables; run 'omnitui init' first.")
    made = run(cfg, "init").stdout
    assert made == (f"Created the omnitui schema {head_revision()} in PostgreSQL database "
                    f"{name} on {server}.\n")
    assert not (cfg.parent / "data" / "omnitui.db").exists()  # no file: the server holds it
    assert run(cfg, "init").stdout == (f"PostgreSQL database {name} on {server} is up to date "
                                       f"(schema {head_revision()}).\n")
    store = Store(empty_database)
    try:
        assert store.conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] \
            == head_revision()
    finally:
        store.close()


def test_init_upgrades_an_older_schema_and_keeps_the_rows(cfg: Path, empty_database: str
                                                          ) -> None:
    server, name = server_of(empty_database)
    upgrade(empty_database, "0011")
    store = Store(empty_database)
    try:
        with store.write() as tx:
            tx.execute("INSERT INTO agent (username, name, role, disabled, created_at) "
                       "VALUES ('ann', 'Ann', 'admin', 0, 1)")
    finally:
        store.close()
    assert run(cfg, "init").stdout == (f"Upgraded PostgreSQL database {name} on {server} from "
                                       f"schema 0011 to {head_revision()}; nothing removed.\n")
    agents = json.loads(run(cfg, "agent", "list", "--json").stdout)
    assert [a["username"] for a in agents] == ["ann"]


def test_doctor_checks_the_server_one_line_each(cfg: Path, backend_database: str) -> None:
    server, name = server_of(backend_database)
    run(cfg, "init")  # the data dir (logs, sockets)
    lines = run(cfg, "doctor").stdout.splitlines()
    assert any(line.startswith(f"ok    database server {server} answers: PostgreSQL 1")
               and f"database {name}, logged in as " in line for line in lines), lines
    assert "ok    extension plpgsql present" in lines
    assert any(line.startswith("ok    ") and "has the privileges omnitui needs on all " in line
               for line in lines), lines
    assert any(line.startswith("ok    database postgresql://") and
               f"at schema {head_revision()}" in line for line in lines), lines


def test_doctor_names_what_a_role_may_not_do(cfg: Path, backend_database: str,
                                             pg_cluster: object) -> None:
    """An agents' host whose role may only read: doctor says which tables, and that it fails."""
    role = f"reader_{os.getpid()}"
    owner = urlsplit(backend_database).username

    def as_owner(sql: str) -> None:
        store = Store(backend_database)
        try:
            store.conn.execute(sql)
        finally:
            store.close()

    with pg_cluster.admin() as admin:  # type: ignore[attr-defined]
        admin.execute(f"DROP ROLE IF EXISTS {role}")
        admin.execute(f"CREATE ROLE {role} LOGIN")
    reader = backend_database.replace(f"//{owner}@", f"//{role}@")
    run(cfg, "init")
    try:
        as_owner(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        proc = run(cfg, "doctor", url=reader, check=False)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        failed = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
        assert len(failed) == 1 and failed[0].startswith(
            f"FAIL  {role} lacks privileges omnitui needs: INSERT UPDATE on agent; INSERT "
            "UPDATE DELETE on agent_signature; "), failed
        assert failed[0].endswith("more (README: PostgreSQL, Roles)"), failed
        # The README's grants for an agents' host make every check pass.
        as_owner(f"GRANT USAGE ON SCHEMA public TO {role}; "
                 f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {role}; "
                 "GRANT DELETE ON conversation_label, conversation_read, agent_signature, "
                 f"chat_presence TO {role}; "
                 f"REVOKE INSERT, UPDATE ON alembic_version, store_copy FROM {role}; "
                 f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        assert run(cfg, "doctor", url=reader).returncode == 0
    finally:
        as_owner(f"DROP OWNED BY {role}")  # its grants in this test's database
        with pg_cluster.admin() as admin:  # type: ignore[attr-defined]
            admin.execute(f"DROP ROLE IF EXISTS {role}")


def test_a_server_that_does_not_answer_is_one_line(cfg: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    url = f"postgresql://omnitui@127.0.0.1:{port}/shop"
    (cfg.parent / "data").mkdir()
    doctor = run(cfg, "doctor", url=url, check=False)
    failed = [line for line in doctor.stdout.splitlines() if line.startswith("FAIL")]
    assert doctor.returncode == 1 and "Traceback" not in doctor.stderr
    assert len(failed) == 1 and failed[0].startswith(
        f"FAIL  database server 127.0.0.1:{port} cannot be used: "), failed
    for command in (["status"], ["init"], ["agent", "list"]):
        proc = run(cfg, *command, url=url, check=False)
        assert_one_sentence_error(proc, f"127.0.0.1:{port}")


def test_backup_says_to_use_pg_dump_and_writes_nothing(cfg: Path, tmp_path: Path,
                                                       backend_database: str) -> None:
    run(cfg, "agent", "add", "ann", "--role", "admin", agent=None)
    target = tmp_path / "copy.db"
    proc = run(cfg, "backup", str(target), check=False)
    server, name = server_of(backend_database)
    assert_one_sentence_error(proc, "A PostgreSQL store is backed up with pg_dump")
    assert f"127.0.0.1:{server.split(':')[1]}/{name}" in proc.stderr
    assert not target.exists()


def seed_shop(where: Path | str) -> None:
    """The same small shop, at the same instants, on either engine."""
    now = [1_750_000_000.0]
    store = Store.open(Database.at(where), clock=lambda: now[0])
    try:
        ann = add_agent(store, "ann", "Ann", "admin")
        add_agent(store, "bob", "Bob")
        first = ingest(store, Inbound(channel="chat", kind="chat", external_id="v1:1",
                                      address="v1", text="Gdzie jest zamówienie 4412?",
                                      display_name="Łucja")).conversation_id
        now[0] += 60
        ingest(store, Inbound(channel="mail", kind="email", external_id="<m1@x>",
                              address="olga@example.org", text="Где мой заказ?",
                              subject="Заказ", display_name="Ольга"))
        now[0] += 60
        actions.reply(store, first, "Wysłane dziś.", ann)
        actions.label(store, first, "orders", ann)
        actions.assign(store, first, "bob", ann)
        actions.resolve(store, first, ann)
        actions.record_rating(store, first, 5, "super")
    finally:
        store.close()


def test_export_gives_the_same_lines_as_from_sqlite(cfg: Path, tmp_path: Path,
                                                     backend_database: str) -> None:
    seed_shop(backend_database)
    lite = tmp_path / "lite"
    lite.mkdir()
    seed_shop(lite / "omnitui.db")
    lite_cfg = tmp_path / "lite.toml"
    lite_cfg.write_text(f'[omnitui]\ndata_dir = "{lite}"\ntimezone = "UTC"\n\n'
                        '[channels.chat]\nkind = "chat"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "OMNITUI_DATABASE"}
    from_sqlite = subprocess.run([sys.executable, "-m", "omnitui", "export"], env={
        **env, "OMNITUI_CONFIG": str(lite_cfg), "OMNITUI_AGENT": "ann"}, capture_output=True,
        text=True, timeout=60, check=True).stdout.splitlines()
    from_postgres = run(cfg, "export").stdout.splitlines()
    assert len(from_postgres) > 20
    rows = [json.loads(line) for line in from_postgres]
    assert {"agent", "customer", "identity", "conversation", "message", "label", "outbox",
            "event"} <= {r["type"] for r in rows}
    assert [json.loads(line) for line in from_sqlite] == rows
    assert from_sqlite == from_postgres  # byte for byte: same key order, same number forms
