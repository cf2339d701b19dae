"""Modes and groups of what omnitui makes in a data dir, set explicitly whatever the umask."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from omnitui.config import Settings, parse_settings
from omnitui.hub import setup_logging
from omnitui.hub_lock import HubLock
from omnitui.store.data_files import DataDirAccess
from omnitui.store.db import Store
from omnitui.store.files import blob_path, store_bytes
from tests.backend import on_postgres
from tests.unix_users import make_group, make_user, need_root


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask most logins have (022): what omnitui makes must not depend on it."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@contextmanager
def everything_made(settings: Settings) -> Iterator[list[Path]]:
    """What a hub and a console create: the data dir, the database (WAL) when it is a SQLite
    file, hub.log, hub.lock, an attachment."""
    DataDirAccess.of(settings.data_dir).make_dirs(settings.data_dir)
    store = Store.open(settings.database)
    with store.write() as tx:
        tx.event("test")
    setup_logging(settings, to_stderr=False)
    lock = HubLock(settings.lock_path)
    lock.acquire()
    lock.release()
    digest = store_bytes(settings.attachments_dir, b"invoice")
    made = [settings.data_dir, settings.log_path, settings.lock_path,
            settings.attachments_dir, blob_path(settings.attachments_dir, digest).parent,
            blob_path(settings.attachments_dir, digest)]
    if not settings.database.is_postgres:
        made += [settings.db_path, settings.data_dir / "omnitui.db-wal",
                 settings.data_dir / "omnitui.db-shm"]
    assert all(p.exists() for p in made)
    try:
        yield made  # the store still open: SQLite removes its WAL when the last one closes
    finally:
        store.close()


def settings_for(data_dir: Path) -> Settings:
    return parse_settings({"omnitui": {"data_dir": str(data_dir)},
                           "channels": {"chat": {"kind": "chat"}}}, None)


def test_one_persons_data_dir_is_private(tmp_path: Path, loose_umask: None) -> None:
    settings = settings_for(tmp_path / "data")
    with everything_made(settings) as made:
        for path in made:
            wanted = 0o700 if path.is_dir() else 0o600
            assert stat.S_IMODE(path.stat().st_mode) == wanted, path


def test_shared_data_dir_files_belong_to_the_group(tmp_path: Path, loose_umask: None) -> None:
    need_root()
    group = make_group("shop-agents")
    data = tmp_path / "data"
    data.mkdir()
    subprocess.run(["chgrp", group, str(data)], check=True)
    data.chmod(0o2770)
    gid = data.stat().st_gid
    settings = settings_for(data)
    with everything_made(settings) as made:
        for path in made:
            st = path.stat()
            wanted = 0o2770 if path.is_dir() else 0o660
            assert (st.st_gid, stat.S_IMODE(st.st_mode)) == (gid, wanted), path


def test_backup_and_export_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    config.write_text(f'[omnitui]\ndata_dir = "{data}"\n[channels.chat]\nkind = "chat"\n')
    env = {**os.environ, "OMNITUI_CONFIG": str(config)}

    def omnitui(*args: str) -> None:
        done = subprocess.run(["sh", "-c", 'umask 022 && exec "$0" -m omnitui "$@"',
                               sys.executable, *args], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr

    omnitui("init")
    omnitui("agent", "add", "ann", "--name", "Ann", "--role", "admin")
    names = ["shop.jsonl", "old.jsonl"]
    if not on_postgres():  # PostgreSQL is backed up with pg_dump (tests/cli/test_cli_postgres.py)
        omnitui("backup", str(tmp_path / "shop.db"))
        names.append("shop.db")
    omnitui("export", "--output", str(tmp_path / "shop.jsonl"))
    stale = tmp_path / "old.jsonl"
    stale.write_text("last week's export\n")
    stale.chmod(0o644)
    omnitui("export", "--output", str(stale))
    for name in names:
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name
    assert stale.read_text().startswith('{"type": ')



def test_init_as_root_gives_every_file_back_to_the_owner_and_group(tmp_path: Path) -> None:
    need_root()
    group = make_group("shop-agents")
    owner = make_user("shop-hub", groups=[group])
    data = tmp_path / "data"
    data.mkdir()
    shutil.chown(data, owner, group)
    data.chmod(0o2770)
    stray = data / "hub.log"
    stray.write_text("written by hand as root\n")
    stray.chmod(0o644)
    config = tmp_path / "config.toml"
    config.write_text(f'[omnitui]\ndata_dir = "{data}"\n[channels.chat]\nkind = "chat"\n')
    done = subprocess.run([sys.executable, "-m", "omnitui", "init", "--shared-group", group],
                          env={**os.environ, "OMNITUI_CONFIG": str(config)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    uid, gid = pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid
    for path in [data, *data.rglob("*")]:
        st = path.stat()
        wanted = 0o2770 if path.is_dir() else 0o660
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (uid, gid, wanted), path
    assert stray.read_text() == "written by hand as root\n"
