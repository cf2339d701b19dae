"""event lookups by conversation

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

SLA replays, the once-only breach check, CSAT bookkeeping and reports read one conversation's
events by kind; without this index each of those scans the whole append-only log.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_event_conversation_kind ON event (conversation_id, kind)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_event_conversation_kind")
