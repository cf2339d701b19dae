"""agents' signatures, conversations an agent started, chat visitors online

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

`agent_signature` holds each agent's own signature: one for every channel that signs (`channel`
is '') and one per configured channel name. `conversation.started_by` is the agent who wrote
first (a conversation begun from the shop's side): no customer waited, so it has no first
response to measure, and reports do not take it for the customer coming back.
`chat_presence` holds the chat visitors connected to the hub right now (a row per visitor,
written by the hub when their first session opens and removed when the last one closes, all
cleared when the channel starts or stops), so a process other than the hub can tell whether a
new chat conversation can reach the visitor.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_signature",
        sa.Column("agent_id", sa.Integer(), sa.ForeignKey("agent.id"), primary_key=True),
        sa.Column("channel", sa.Text(), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    op.add_column("conversation", sa.Column("started_by", sa.Integer(), nullable=True))
    op.create_table(
        "chat_presence",
        sa.Column("channel", sa.Text(), primary_key=True),
        sa.Column("visitor", sa.Text(), primary_key=True),
        sa.Column("since", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chat_presence")
    op.execute("ALTER TABLE conversation DROP COLUMN started_by")
    op.drop_table("agent_signature")
