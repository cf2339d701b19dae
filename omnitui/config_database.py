"""`[omnitui] database`: where the store lives (a SQLite file by default, or PostgreSQL).

The URL names the server, user and database; the password, like every secret, comes from
`database_password_env` or `database_password_cmd`, never from the config file itself.
`OMNITUI_DATABASE` in the environment takes the place of the `database` key (a service unit or
a test run points every process at one server without editing the file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from omnitui.store.database import is_postgres_url

DATABASE_KEYS = {"database", "database_password_env", "database_password_cmd"}
DATABASE_ENV = "OMNITUI_DATABASE"


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str | None = None  # None: the SQLite file omnitui.db in the data dir
    password_env: str | None = None
    password_cmd: str | None = None


def parse_database(top: dict[str, Any], where: str) -> DatabaseSettings:
    """Validate the database keys of `[omnitui]`; raises ValueError with one sentence."""
    for key in ("database_password_env", "database_password_cmd"):
        if key in top and not isinstance(top[key], str):
            raise ValueError(f"'omnitui.{key}' in {where} must be a string.")
    url = os.environ.get(DATABASE_ENV) or top.get("database")
    source = DATABASE_ENV if os.environ.get(DATABASE_ENV) else f"'omnitui.database' in {where}"
    if url is None:
        if "database_password_env" in top or "database_password_cmd" in top:
            raise ValueError(f"'omnitui.database_password_env' and '_cmd' in {where} need "
                             "'omnitui.database' (a postgresql:// URL).")
        return DatabaseSettings()
    if not isinstance(url, str) or not is_postgres_url(url):
        raise ValueError(f"{source} must be a postgresql:// URL (without it, omnitui keeps "
                         "its SQLite file in the data dir).")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        raise ValueError(f"{source} is not a valid URL: {url!r}.") from None
    if parts.password:
        raise ValueError(f"{source} holds a password; put it in an environment variable "
                         "named by 'omnitui.database_password_env' (or a command in "
                         "'database_password_cmd') instead.")
    if not parts.path.strip("/"):
        raise ValueError(f"{source} must name the database, as in "
                         "postgresql://omnitui@db.example/omnitui.")
    return DatabaseSettings(url=url, password_env=top.get("database_password_env"),
                            password_cmd=top.get("database_password_cmd"))
