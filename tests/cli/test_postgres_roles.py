"""The agent role of docs/postgresql.md: the grants printed there let a console's work through
and nothing more (no schema change, no deleting messages)."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from tests.cli.test_migrate_store import _no_leftover, make_shop, new_database, run  # noqa: F401
from tests.pg_cluster import Cluster

DOC = Path(__file__).resolve().parents[2] / "docs" / "postgresql.md"


def grant_statements() -> str:
    """The second SQL block of the page: what the owner runs once the tables exist."""
    blocks = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 2 and "GRANT USAGE ON SCHEMA public TO omnitui_agent" in blocks[1]
    return blocks[1]


def test_the_agent_role_works_the_console_and_cannot_change_the_schema(
        tmp_path: Path, pg_server: Cluster) -> None:
    shop = make_shop(tmp_path)
    with pg_server.admin() as admin:
        for role in ("omnitui_owner", "omnitui_agent"):
            if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() \
                    is None:
                admin.execute(f"CREATE ROLE {role} LOGIN")
    url = new_database(pg_server)
    run(shop, "migrate-store", "--to", url)
    with psycopg.connect(url, autocommit=True) as owner:
        owner.execute(grant_statements().encode())
    agent_url = url.replace(f"//{pg_server.user}@", "//omnitui_agent@")
    as_agent = {"OMNITUI_DATABASE": agent_url}
    run(shop, "note", "2", "written by the agent role", env=as_agent)
    run(shop, "label", "1", "vip", "--remove", env=as_agent)
    run(shop, "label", "1", "urgent", env=as_agent)
    assert "written by the agent role" in run(shop, "conversation", "show", "2", "--json",
                                              env=as_agent).stdout
    with psycopg.connect(agent_url, autocommit=True) as agent:
        for statement in ("CREATE TABLE mine (a int)", "DROP TABLE event",
                          "DELETE FROM message", "UPDATE alembic_version SET version_num = 'x'"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                agent.execute(statement)
        labels = agent.execute("SELECT l.name FROM conversation_label cl JOIN label l "
                               "ON l.id = cl.label_id WHERE cl.conversation_id = 1").fetchall()
        assert labels == [("urgent",)]
