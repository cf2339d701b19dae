"""Alembic environment: runs migrations on the connection the store hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from omnitui.store import tables  # noqa: F401  (registers the tables on the metadata)
from omnitui.store.database import libpq_defaults

target_metadata = SQLModel.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        database = context.config.attributes.get("database")
        password = getattr(database, "password", None)
        url = getattr(database, "url", None)
        connect_args: dict[str, str] = libpq_defaults(url) if url else {}
        if password:
            connect_args["password"] = password
        engine = create_engine(context.config.get_main_option("sqlalchemy.url"),
                               connect_args=connect_args,
                               poolclass=NullPool)  # nothing stays connected after the upgrade
        with engine.begin() as connection:
            _migrate(connection)
    else:
        _migrate(connection)


def _migrate(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


run()
