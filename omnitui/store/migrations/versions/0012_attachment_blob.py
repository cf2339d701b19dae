"""attachment bytes inside the database on PostgreSQL

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

On SQLite attachments stay content-addressed files beside the database (one host reads them).
On PostgreSQL the hub and the consoles may sit on different hosts, so a file on the hub's disk
is out of the consoles' reach: the bytes live in `attachment_blob`, keyed by their SHA-256, and
are written in the same transaction as the rows that name them. The table exists on both
engines (one history), but only PostgreSQL stores into it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment_blob",
        sa.Column("sha256", sa.Text(), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("attachment_blob")
