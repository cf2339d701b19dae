"""`omnitui migrate-store`: a real SQLite store copied into a real PostgreSQL database.

The source is always a SQLite file and the target the test cluster, on both test passes (the
`pg_server` fixture starts a cluster when the run itself is on SQLite).
"""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from omnitui.channels.base import Inbound, InboundAttachment
from omnitui.core import actions, canned
from omnitui.core.agents import add_agent, get_agent
from omnitui.core.ingest import ingest
from omnitui.core.merge import merge_customers
from omnitui.core.reply import reply
from omnitui.hub_lock import HubLock
from omnitui.store.db import Store
from tests.cli.test_cli_commands import assert_one_sentence_error
from tests.pg_cluster import TEMPLATE, Cluster

PASSWORD_ROLE = "shop_owner"
PASSWORD = "correct horse"
ALL_BYTES = bytes(range(256)) * 64
HOSTILE_NAME = "../../etc/passwd\x1b[31m.png"
_names = itertools.count(1)
SKIPPED = {"alembic_version", "store_copy", "attachment_blob"}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return make_shop(tmp_path)


def make_shop(tmp_path: Path) -> Path:
    """A config whose data dir holds a SQLite store filled through core."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[omnitui]\ndata_dir = "data"\ntimezone = "UTC"\n\n[channels.chat]\nkind = "chat"\n\n'
        '[channels.mail]\nkind = "email"\naddress = "support@shop.example"\n'
        'imap_host = "127.0.0.1"\nsmtp_host = "127.0.0.1"\nusername = "support"\n'
        'password_env = "NO_SUCH_PASSWORD"\n', encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    fill(data)
    return cfg


def fill(data: Path) -> None:
    store = Store.open(data / "omnitui.db")
    files = data / "attachments"
    ann = add_agent(store, "ann", "Ann Kowalska", "admin")
    add_agent(store, "bob", "Bob")
    canned.add(store, "hello", "Hello {customer_name}!")
    olga = ingest(store, Inbound(
        channel="bot", kind="telegram", external_id="t1", address="5512", display_name="Olga",
        text="order 4412 has not arrived", attachments=(InboundAttachment(
            "Счёт 4412.bin", "application/octet-stream", len(ALL_BYTES), ALL_BYTES),)),
        attachments_dir=files)
    ingest(store, Inbound(channel="bot", kind="telegram", external_id="t2", address="5512",
                          text="order 4412 has not arrived!", revision_of="t1"),
           attachments_dir=files)
    mail = ingest(store, Inbound(
        channel="mail", kind="email", external_id="<m1@post.example>",
        address="olga@post.example", display_name="Olga Petrova", subject="Where is 4412?",
        text="Here is the receipt", attachments=(InboundAttachment(
            HOSTILE_NAME, "image/png", 4, b"\x89PNG"),)), attachments_dir=files)
    chat = ingest(store, Inbound(channel="chat", kind="chat", external_id="v1:1",
                                 address="visitor-1", display_name="Марек",
                                 text="طلبي لم يصل بعد 🙂"), attachments_dir=files)
    actions.label(store, olga.conversation_id, "vip", ann)
    actions.assign(store, chat.conversation_id, "bob", ann)
    actions.note(store, chat.conversation_id, "asked the courier", ann)
    reply(store, chat.conversation_id, "We have re-sent it today.", ann, attachments_dir=files)
    actions.resolve(store, chat.conversation_id, ann)
    actions.mark_read(store, olga.conversation_id, ann)
    merge_customers(store, olga.customer_id, mail.customer_id, ann, fold_cases=True)
    store.close()


def run(cfg: Path, *args: str, env: dict[str, str] | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "OMNITUI_CONFIG": str(cfg), "OMNITUI_AGENT": "ann"}
    full.pop("OMNITUI_DATABASE", None)  # the source is the SQLite file on every test pass
    full.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "omnitui", *args], capture_output=True,
                          text=True, env=full, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def new_database(server: Cluster, *, owner: str | None = None, migrated: bool = False) -> str:
    """A database of the test cluster: empty, or at the newest schema (cloned)."""
    name = f"mig{os.getpid()}_{next(_names)}"
    how = f" TEMPLATE {TEMPLATE} STRATEGY FILE_COPY" if migrated else ""
    with server.admin() as conn:
        conn.execute(f"CREATE DATABASE {name}{how}" + (f" OWNER {owner}" if owner else ""))
    return server.url(name)


@pytest.fixture
def password_role(pg_server: Cluster) -> str:
    """A role that logs in with a password (the cluster trusts every other role on loopback)."""
    with pg_server.admin() as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s",
                        (PASSWORD_ROLE,)).fetchone() is None:
            conn.execute(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD}'")
        hba = pg_server.root / "data" / "pg_hba.conf"
        line = f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n"
        if line not in hba.read_text():
            hba.write_text(line + hba.read_text())
            conn.execute("SELECT pg_reload_conf()")
    return PASSWORD_ROLE


def as_role(url: str, role: str) -> str:
    return url.replace(f"//{url.split('//')[1].split('@')[0]}@", f"//{role}@")


def sqlite_tables(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' "
            "AND name NOT LIKE 'sqlite%'")]
        return {n: [r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')]
                for n in names if n not in SKIPPED}


def rows_of(conn: object, table: str, columns: list[str]) -> list[tuple[object, ...]]:
    cols = ", ".join(f'"{c}"' for c in columns)
    rows = [tuple(r) for r in conn.execute(f'SELECT {cols} FROM "{table}"')]  # type: ignore[attr-defined]
    return sorted(rows, key=repr)


def assert_same_rows(source: Path, url: str, password: str | None = None) -> dict[str, int]:
    """Every copied table holds exactly the source's rows, value for value."""
    counts = {}
    with sqlite3.connect(source) as src, psycopg.connect(url, password=password) as pg:
        for table, columns in sqlite_tables(source).items():
            theirs = rows_of(src, table, columns)
            assert rows_of(pg, table, columns) == theirs, table
            counts[table] = len(theirs)
        digests = {r[0] for r in src.execute("SELECT sha256 FROM attachment")}
        blobs = dict(pg.execute("SELECT sha256, data FROM attachment_blob").fetchall())
    assert set(blobs) == digests
    files = source.parent / "attachments"
    for digest, data in blobs.items():
        assert bytes(data) == (files / digest[:2] / digest[2:]).read_bytes()
    return counts


def test_copy_keeps_every_row_and_the_cli_answers_the_same(
        shop: Path, pg_server: Cluster, password_role: str) -> None:
    url = as_role(new_database(pg_server, owner=password_role), password_role)
    done = run(shop, "migrate-store", "--to", url, "--password-env", "SHOP_DB_PASSWORD",
               env={"SHOP_DB_PASSWORD": PASSWORD})
    assert "every table's row count matches" in done.stdout
    source = shop.parent / "data" / "omnitui.db"
    counts = assert_same_rows(source, url, PASSWORD)
    assert counts["message"] == 5 and counts["customer_merge"] == 1
    assert counts["conversation_fold"] == 1 and counts["message_revision"] == 1
    assert counts["event"] > 10 and counts["outbox"] == 1 and counts["conversation_label"] == 1
    for table, n in counts.items():  # the printed check names every table with its count
        assert any(line.split()[:3] == [table, f"{n:,}", f"{n:,}"] for line in
                   done.stdout.replace("│", " ").splitlines()), table
    on_pg = {"OMNITUI_DATABASE": url, "SHOP_DB_PASSWORD": PASSWORD}
    with_password = shop.parent / "pg.toml"
    with_password.write_text(shop.read_text().replace(
        'timezone = "UTC"', 'timezone = "UTC"\ndatabase_password_env = "SHOP_DB_PASSWORD"'))
    for args in (("export",), ("conversation", "show", "1", "--json"),
                 ("customer", "timeline", "1", "--json"), ("search", "4412", "--json")):
        assert run(with_password, *args, env=on_pg).stdout == run(shop, *args).stdout, args
    run(with_password, "attachment", "save", "1", "--to", str(shop.parent / "saved"), env=on_pg)
    assert (shop.parent / "saved" / "Счёт 4412.bin").read_bytes() == ALL_BYTES
    # The PostgreSQL store goes on where the SQLite one stopped: new ids follow the copied ones.
    run(with_password, "note", "2", "written after the move", env=on_pg)
    with psycopg.connect(url, password=PASSWORD) as pg:
        newest = pg.execute("SELECT id, text FROM message ORDER BY id DESC LIMIT 1").fetchone()
        assert newest == (counts["message"] + 1, "written after the move")
        assert pg.execute("SELECT finished_at IS NOT NULL, source FROM store_copy").fetchone() \
            == (True, str(source))
    again = run(shop, "migrate-store", "--to", url, "--password-env", "SHOP_DB_PASSWORD",
                env={"SHOP_DB_PASSWORD": PASSWORD})
    assert "is already a complete copy" in again.stdout and "rows" not in again.stdout


def test_refuses_a_database_that_holds_data(shop: Path, pg_server: Cluster,
                                            tmp_path: Path) -> None:
    url = new_database(pg_server, migrated=True)
    store = Store.open(url)
    add_agent(store, "zoe", "Zoe")
    store.close()
    refused = run(shop, "migrate-store", "--to", url, check=False)
    assert_one_sentence_error(refused, "already holds omnitui data (rows in agent, event)")
    with psycopg.connect(url) as pg:
        assert pg.execute("SELECT count(*) FROM agent").fetchone() == (1,)
        assert pg.execute("SELECT count(*) FROM store_copy").fetchone() == (0,)
    # A finished copy of one shop is no place for another shop's store.
    copied = new_database(pg_server, migrated=True)
    run(shop, "migrate-store", "--to", copied)
    other = tmp_path / "other"
    other.mkdir()
    fill(other)
    refused = run(shop, "migrate-store", "--from", str(other / "omnitui.db"), "--to", copied,
                  check=False)
    assert_one_sentence_error(refused, "already holds a copy of")


def test_resumes_after_being_killed_mid_table(shop: Path, pg_server: Cluster) -> None:
    source = shop.parent / "data" / "omnitui.db"
    with sqlite3.connect(source) as conn:  # a long audit log: the table the copy is killed in
        conn.executemany("INSERT INTO event (at, actor, kind, data) VALUES (?, 'hub', ?, ?)",
                         ((1.7e9 + i, "synthetic", f'{{"n": {i}}}') for i in range(300_000)))
    url = new_database(pg_server, migrated=True)
    env = {**os.environ, "OMNITUI_CONFIG": str(shop)}
    env.pop("OMNITUI_DATABASE", None)
    proc = subprocess.Popen([sys.executable, "-m", "omnitui", "migrate-store", "--to", url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    with psycopg.connect(url, autocommit=True) as watch:
        deadline = time.monotonic() + 60
        while watch.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                            "'omnitui migrate-store' AND query LIKE 'COPY \"event\"%%' "
                            "AND state = 'active'").fetchone() == (0,):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        while watch.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                            "'omnitui migrate-store'").fetchone() != (0,):
            time.sleep(0.02)
        done_before = watch.execute("SELECT tables_done FROM store_copy").fetchone()[0]
        assert '"agent"' in done_before and '"event"' not in done_before
        assert watch.execute("SELECT count(*) FROM event").fetchone() == (0,)  # rolled back
    resumed = run(shop, "migrate-store", "--to", url)
    assert "Resuming the copy" in resumed.stdout and "every table's row count matches" in \
        resumed.stdout
    copied_again = [line.split()[0] for line in resumed.stdout.splitlines()
                    if line.endswith(" s") and " rows " in line]
    assert "event" in copied_again and "agent" not in copied_again
    assert assert_same_rows(source, url)["event"] > 300_000


def test_a_failed_copy_of_a_changed_source_starts_over_only_when_asked(
        shop: Path, pg_server: Cluster) -> None:
    source = shop.parent / "data" / "omnitui.db"
    with sqlite3.connect(source) as conn:  # a value PostgreSQL's integer column cannot take
        conn.execute("UPDATE outbox SET attempts = 'many'")
    url = new_database(pg_server, migrated=True)
    failed = run(shop, "migrate-store", "--to", url, check=False)
    assert_one_sentence_error(failed, "PostgreSQL refused row 1 of table outbox")
    with sqlite3.connect(source) as conn:
        conn.execute("UPDATE outbox SET attempts = 0")
    store = Store.open(source)  # the shop went on working on SQLite meanwhile
    actions.note(store, 1, "meanwhile", get_agent(store, "ann"))
    store.close()
    refused = run(shop, "migrate-store", "--to", url, check=False)
    assert_one_sentence_error(refused, "run again with --restart")
    run(shop, "migrate-store", "--to", url, "--restart")
    assert_same_rows(source, url)


def test_errors_are_one_sentence_and_store_nothing(shop: Path, pg_server: Cluster,
                                                   password_role: str, tmp_path: Path) -> None:
    url = new_database(pg_server, migrated=True)
    name = url.rsplit("/", 1)[1]
    port = pg_server.port
    cases = [
        (("--to", "mysql://shop@db/omnitui"), "--to must be a postgresql:// URL"),
        (("--to", "postgresql://shop@127.0.0.1:notaport/omnitui"), "--to is not a valid URL"),
        (("--to", "postgresql://shop:secret@127.0.0.1/omnitui"), "holds a password"),
        (("--to", f"postgresql://postgres@127.0.0.1:{port}/"), "must name the database"),
        (("--to", pg_server.url("no_such_db")), "There is no database 'no_such_db'"),
        (("--to", f"postgresql://nobody@127.0.0.1:{port}/{name}"), "there is no role 'nobody'"),
        (("--to", as_role(url, password_role), "--password-env", "WRONG"),
         f"refused the login of '{password_role}': the password is wrong"),
        (("--to", as_role(url, password_role), "--password-env", "UNSET_VARIABLE"),
         "The environment variable UNSET_VARIABLE (--password-env) is not set."),
        (("--to", "postgresql://shop@127.0.0.1:1/omnitui"), "Nothing answers at 127.0.0.1:1"),
        (("--to", url, "--from", str(tmp_path / "none.db")), "There is no SQLite store at"),
        ((), "Name the PostgreSQL database to copy into with --to"),
    ]
    for args, needle in cases:
        proc = run(shop, "migrate-store", *args, env={"WRONG": "wrong horse"}, check=False)
        assert_one_sentence_error(proc, needle)
    not_ours = tmp_path / "notes.db"
    sqlite3.connect(not_ours).execute("CREATE TABLE notes (x)").connection.commit()
    assert_one_sentence_error(run(shop, "migrate-store", "--to", url, "--from", str(not_ours),
                                  check=False), "is not an omnitui store")
    lock = HubLock(shop.parent / "data" / "hub.lock")
    lock.acquire()
    try:
        busy = run(shop, "migrate-store", "--to", url, check=False)
    finally:
        lock.release()
    assert_one_sentence_error(busy, "A hub is already running for this data dir")
    with psycopg.connect(url) as pg:
        assert pg.execute("SELECT count(*) FROM store_copy").fetchone() == (0,)
        assert pg.execute("SELECT count(*) FROM message").fetchone() == (0,)


@pytest.fixture(autouse=True)
def _no_leftover(pg_server: Cluster) -> Iterator[None]:
    yield
    with pg_server.admin() as conn:  # this test's databases go with it
        for (name,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                    (f"mig{os.getpid()}_%",)).fetchall():
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
