"""inbox order indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

The inbox is read a page at a time in one order: most urgent first (SLA due time, else how long
the customer has waited), then the rest by recency. These partial expression indexes hold exactly
that order, so a page — first, deep or last — is an index walk instead of a sort of every
conversation. Resolved conversations stop waiting, so their sort key falls back to recency.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ORDER = "coalesce(due_at, waiting_since, 9e15), last_message_at DESC, id DESC"


def upgrade() -> None:
    op.execute("UPDATE conversation SET waiting_since = NULL, due_at = NULL "
               "WHERE status = 'resolved'")
    op.execute(f"CREATE INDEX ix_conversation_inbox ON conversation ({ORDER}) "
               "WHERE merged_into IS NULL")
    op.execute(f"CREATE INDEX ix_conversation_inbox_assignee ON conversation (assignee_id, "
               f"{ORDER}) WHERE merged_into IS NULL")
    # The default view (open + pending); the query repeats this WHERE word for word.
    op.execute(f"CREATE INDEX ix_conversation_inbox_active ON conversation ({ORDER}) "
               "WHERE merged_into IS NULL AND status IN ('open', 'pending')")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_conversation_inbox_active")
    op.execute("DROP INDEX IF EXISTS ix_conversation_inbox_assignee")
    op.execute("DROP INDEX IF EXISTS ix_conversation_inbox")
