"""the "Needs reply" inbox view from an index

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

The console opens on "Needs reply": open conversations whose customer waits for an answer,
assigned to the agent or to nobody, most urgent first. This partial index holds exactly those
conversations in the inbox order, with the assignee last, so the view's pages, its count in the
header and the "next" key are walks of the few waiting conversations (a few thousand in a shop of
50,000), never of the table.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ORDER = "coalesce(due_at, waiting_since, 9e15), last_message_at DESC, id DESC"


def upgrade() -> None:
    # The query repeats this WHERE word for word (store.queries.NEEDS_REPLY).
    op.execute(f"CREATE INDEX ix_conversation_needs_reply ON conversation ({ORDER}, assignee_id) "
               "WHERE merged_into IS NULL AND status = 'open' AND waiting_since IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_conversation_needs_reply")
