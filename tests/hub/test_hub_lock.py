"""One hub per store, whichever host it runs on: what a second hub, a console and `omnitui
doctor`/`status` see of the hub that holds the lock (a lock file on SQLite, a session advisory
lock on PostgreSQL, where another data dir stands for another host)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from omnitui.cli.commands import app as cli_app
from omnitui.config import Settings, parse_settings
from omnitui.core.health import set_channel_state
from omnitui.hub import EmbeddedHub, HubRunning, start_embedded_hub
from omnitui.hub_lock import HubLock, hub_last_seen, running_hub
from omnitui.store.db import Store
from tests.backend import on_postgres

REPO = Path(__file__).resolve().parents[2]
HUB = ("import asyncio, pathlib, sys; sys.path.insert(0, sys.argv[1]);"
       "from omnitui.config import load_settings; from omnitui.hub import serve;"
       "asyncio.run(serve(load_settings(pathlib.Path(sys.argv[2])), channels={}, "
       "ready=lambda: print('ready', flush=True)))")



@pytest.fixture
def postgres(backend_database: str | None) -> str:
    if backend_database is None:
        pytest.skip("another host's hub: hosts with data dirs of their own share only a "
                    "PostgreSQL store")
    return backend_database


def other_host(tmp_path: Path, name: str = "elsewhere") -> Settings:
    """The same store seen from another machine: a data dir of its own."""
    data = tmp_path / name
    data.mkdir()
    return parse_settings({"omnitui": {"data_dir": str(data), "timezone": "UTC"},
                           "channels": {"chat": {"kind": "chat"}}}, None)


def test_the_lock_names_its_holder_and_frees_on_release(settings: Settings,
                                                        store: Store) -> None:
    lock = HubLock.of(settings)
    lock.acquire(embedded=True)
    try:
        info = running_hub(settings)
        assert info is not None and info.pid == os.getpid() and info.embedded
        assert abs(info.started_at - time.time()) < 60
        if on_postgres():
            assert info.host == socket.gethostname()[:len(info.host)] and info.host
            assert info.describe() == f"pid {os.getpid()} on {info.host}"
        with pytest.raises(HubRunning, match=rf"process {os.getpid()}\b"):
            HubLock.of(settings).acquire()
        assert lock.still_held()
    finally:
        lock.release()
    assert running_hub(settings) is None
    again = HubLock.of(settings)
    again.acquire()
    again.release()


def test_a_hub_on_another_host_keeps_this_console_from_starting_one(
        settings: Settings, store: Store, tmp_path: Path, postgres: str) -> None:
    here = start_embedded_hub(settings)
    assert isinstance(here, EmbeddedHub)
    try:
        elsewhere = other_host(tmp_path)
        seen = running_hub(elsewhere)
        assert seen is not None and seen.pid == os.getpid() and seen.embedded
        assert start_embedded_hub(elsewhere) is None  # its console only shows the store
        with pytest.raises(HubRunning, match=r"for the database postgresql://.*process \d+ on "):
            HubLock.of(elsewhere).acquire()
    finally:
        here.stop()
    assert running_hub(elsewhere) is None
    there = start_embedded_hub(elsewhere)  # now the other host may run it
    assert isinstance(there, EmbeddedHub)
    there.stop()


def test_a_killed_hub_frees_the_lock_and_doctor_says_who_ran_it(
        settings: Settings, store: Store, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[omnitui]\ndata_dir = "{settings.data_dir}"\ntimezone = "UTC"\n')
    proc = subprocess.Popen([sys.executable, "-c", HUB, str(REPO), str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "OMNITUI_CONFIG": str(config)})
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready", \
            proc.stderr.read() if proc.stderr else ""
        info = running_hub(settings)
        assert info is not None and info.pid == proc.pid and not info.embedded
        runner = CliRunner()
        env = {"OMNITUI_CONFIG": str(config)}
        status = runner.invoke(cli_app, ["status", "--json"], env=env)
        assert status.exit_code == 0, status.output
        hub = json.loads(status.output)["hub"]
        assert hub["running"] and hub["pid"] == proc.pid
        doctor = runner.invoke(cli_app, ["doctor"], env=env)
        assert f"info  hub running, {info.describe()}" in doctor.output
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    deadline = time.monotonic() + 10  # the server sees the dead session's socket close
    while running_hub(settings) is not None:
        assert time.monotonic() < deadline, "the lock outlived its hub"
        time.sleep(0.05)
    lock = HubLock.of(settings)
    lock.acquire()
    lock.release()


def test_hub_down_since_is_the_last_channel_change_on_postgresql(
        settings: Settings, store: Store, tmp_path: Path, postgres: str) -> None:
    """The hub's log lives on its own host; the store says when it last changed a channel."""
    elsewhere = other_host(tmp_path)
    assert hub_last_seen(elsewhere) is None
    store.clock = lambda: 1_700_000_000.0
    set_channel_state(store, "chat", "chat", "up")
    store.clock = lambda: 1_700_000_600.0
    set_channel_state(store, "chat", "chat", "stopped")
    assert hub_last_seen(elsewhere) == 1_700_000_600.0


def test_an_agent_role_sees_which_host_runs_the_hub(
        settings: Settings, store: Store, tmp_path: Path, postgres: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A console logs in as the agent role, not the hub's owner role: the holder's name is
    one of the few things PostgreSQL shows every role of other roles' sessions."""
    import psycopg

    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS omnitui_lock_agent")
        admin.execute("CREATE ROLE omnitui_lock_agent LOGIN")
    try:
        lock = HubLock.of(settings)
        lock.acquire()
        try:
            server = postgres.split("@", 1)[1]
            monkeypatch.setenv("OMNITUI_DATABASE", f"postgresql://omnitui_lock_agent@{server}")
            as_agent = other_host(tmp_path)
            assert as_agent.database.url is not None
            assert as_agent.database.url.startswith("postgresql://omnitui_lock_agent@")
            info = running_hub(as_agent)
            assert info is not None and info.pid == os.getpid() and info.host
        finally:
            lock.release()
    finally:
        with psycopg.connect(postgres, autocommit=True) as admin:
            admin.execute("DROP ROLE omnitui_lock_agent")
