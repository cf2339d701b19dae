"""where a copied store came from, and how far the copy got

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

`omnitui migrate-store` copies a SQLite store into an empty PostgreSQL database one table per
transaction. `store_copy` (one row) records the source file, the source's row counts when the
copy began, which tables are already in, and when the copy finished, so a copy cut short (a
killed process, a lost connection) is resumed where it stopped and never mixed with another
source, and a finished copy says where it came from. SQLite stores keep the table empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_copy",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("census", sa.Text(), nullable=False),
        sa.Column("tables_done", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("store_copy")
