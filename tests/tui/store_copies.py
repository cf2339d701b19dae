"""A store built once per run (or module) and copied fresh for every test, on either engine.

On SQLite the copy is the backup API's; on PostgreSQL the test's own database (the one its
processes find in OMNITUI_DATABASE) is made again as a clone of the template database.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from omnitui.store.database import Database

if TYPE_CHECKING:
    from tests.pg_cluster import Cluster


@dataclass(frozen=True)
class StoreTemplate:
    path: Path  # the template's data dir (its omnitui.db on SQLite)
    pg_name: str | None = None
    pg_url: str | None = None

    @property
    def database(self) -> Database:
        return Database.at(self.pg_url or self.path / "omnitui.db")


def make_template(path: Path, label: str, pg_cluster: Cluster | None) -> StoreTemplate:
    """An empty, migrated store to build a template in: `path`'s SQLite file, or a database
    of its own on the test cluster."""
    if pg_cluster is None:
        return StoreTemplate(path)
    from tests.pg_cluster import TEMPLATE  # the migrated, empty database

    name = f"{label}{os.getpid()}"
    with pg_cluster.admin() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
    return StoreTemplate(path, name, pg_cluster.url(name))


def copy_template(template: StoreTemplate, data_dir: Path, pg_cluster: Cluster | None,
                  backend_database: str | None) -> None:
    """This test's store becomes a copy of the template's (no connection may be open to it)."""
    if pg_cluster is not None and backend_database is not None and template.pg_name:
        name = urlsplit(backend_database).path.strip("/")
        with pg_cluster.admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name} TEMPLATE {template.pg_name} "
                          "STRATEGY FILE_COPY")
        return
    src = sqlite3.connect(template.path / "omnitui.db")
    dst = sqlite3.connect(data_dir / "omnitui.db")
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def drop_template(template: StoreTemplate, pg_cluster: Cluster | None) -> None:
    if pg_cluster is not None and template.pg_name:
        pg_cluster.drop_database(template.pg_name)
