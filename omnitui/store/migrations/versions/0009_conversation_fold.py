"""conversations folded into one when their customers are merged

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

Merging two customers who each have a live conversation can fold the newer conversation into
the older one, so the case is in the inbox once. Each fold keeps what it moved and what it
changed (the messages, and both conversations' fields before and after), so unmerging the
customers puts everything back exactly.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_fold",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("merge_id", sa.Integer(), sa.ForeignKey("customer_merge.id"), nullable=False),
        sa.Column("target_id", sa.Integer(), sa.ForeignKey("conversation.id"), nullable=False),
        sa.Column("folded_id", sa.Integer(), sa.ForeignKey("conversation.id"), nullable=False),
        sa.Column("message_ids", sa.Text(), nullable=False),
        sa.Column("labels_added", sa.Text(), nullable=False),
        sa.Column("target_before", sa.Text(), nullable=False),
        sa.Column("target_after", sa.Text(), nullable=False),
        sa.Column("folded_before", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("undone_at", sa.Float(), nullable=True),
    )
    op.create_index("ix_conversation_fold_merge_id", "conversation_fold", ["merge_id"])


def downgrade() -> None:
    op.drop_index("ix_conversation_fold_merge_id", table_name="conversation_fold")
    op.drop_table("conversation_fold")
