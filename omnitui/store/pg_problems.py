"""PostgreSQL's connection failures said in one sentence that names the server and the fix.

libpq reports a failed connection as several lines ("connection to server at … failed: FATAL:
…", a hint on the next line). A person needs to know which of a few things went wrong: the URL
itself, the server out of reach, the login refused, or the database missing.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from omnitui.store.database import Database, is_postgres_url


def url_problem(url: str, where: str) -> str | None:
    """Why `url` (given as `where`, e.g. "--to") cannot name a store, or None when it can."""
    if not is_postgres_url(url):
        return f"{where} must be a postgresql:// URL, as in postgresql://omnitui@db.example/omnitui."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return f"{where} is not a valid URL: {url!r}."
    if parts.password:
        return (f"{where} holds a password; put it in an environment variable and name it with "
                "--password-env (a command line is visible to every user of the machine).")
    if not parts.path.strip("/"):
        return (f"{where} must name the database, as in "
                "postgresql://omnitui@db.example/omnitui.")
    return None


def connect_problem(database: Database, message: str) -> str:
    """One sentence for a failed connection to `database`, from libpq's message."""
    where = database.describe()
    parts = urlsplit(database.url or "")
    host = parts.hostname or "localhost"
    server = f"{host}:{parts.port or 5432}"
    text = " ".join(message.split())
    if m := re.search(r'database "([^"]+)" does not exist', text):
        return (f"There is no database '{m.group(1)}' on the PostgreSQL server {server}; create "
                f"it first (createdb -O OWNER {m.group(1)}).")
    if m := re.search(r'role "([^"]+)" does not exist', text):
        return f"The PostgreSQL server {server} refused the login: there is no role '{m.group(1)}'."
    if m := re.search(r'password authentication failed for user "([^"]+)"', text):
        return (f"The PostgreSQL server {server} refused the login of '{m.group(1)}': the password "
                "is wrong (--password-env, or database_password_env/_cmd in the config).")
    if "no password supplied" in text or "fe_sendauth" in text:
        return (f"The PostgreSQL server {server} asks for a password and none was given "
                "(--password-env, or database_password_env/_cmd in the config).")
    if "no pg_hba.conf entry" in text:
        return (f"The PostgreSQL server {server} refused the login: its pg_hba.conf lets no such "
                "connection in.")
    if "failed to resolve host" in text or "could not translate host name" in text:
        return f"The PostgreSQL server's host name '{host}' in {where} is not known."
    if "Connection refused" in text:
        return f"Nothing answers at {server}: the PostgreSQL server is not running there."
    if "timeout expired" in text or "timed out" in text:
        return f"The PostgreSQL server {server} did not answer in time."
    if "invalid" in text and "connection option" in text:
        return f"{where} is not a valid PostgreSQL URL ({_first_clause(text)})."
    return f"Cannot connect to {where}: {_first_clause(text)}."


def _first_clause(text: str) -> str:
    """libpq's reason without its "connection to server … failed:" preamble or its hint."""
    text = re.sub(r"^connection (failed|is bad):\s*", "", text)
    text = re.sub(r'^connection to server at "[^"]*"(, port \d+)? failed:\s*', "", text)
    text = text.replace("FATAL:", "").strip()
    return text.split(" HINT:")[0].rstrip(".")
