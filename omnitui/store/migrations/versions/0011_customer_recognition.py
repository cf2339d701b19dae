"""keys for recognising a customer, and the suggestions made from them

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

A message from an identity the shop has not seen may come from a customer it knows. Finding
candidates must cost milliseconds at tens of thousands of customers, so each customer's evidence
is kept pre-normalised in `match_key` (one row per name token, phone number in E.164, address
local part, order or reference number mentioned in a conversation, opening of a reply the shop
sent), looked up by `(kind, key)`. `match_suggestion` holds what was found: the new customer, the
known candidate, the reasons (JSON, with their wording), a score and the state (open, dismissed,
merged). One row per pair of customers, whichever side was new.

Existing customers get their keys from the upgrade itself (core.match_keys.backfill).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_key",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.execute("CREATE UNIQUE INDEX ux_match_key ON match_key "
               "(kind, key, customer_id, coalesce(conversation_id, 0))")
    op.create_index("ix_match_key_customer", "match_key", ["customer_id"])
    op.create_table(
        "match_suggestion",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("candidate_id", sa.Integer(), sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False, server_default="open"),
        sa.Column("dismissed_kinds", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.Float(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )
    smaller, larger = (("least", "greatest") if op.get_bind().dialect.name == "postgresql"
                       else ("min", "max"))
    op.execute("CREATE UNIQUE INDEX ux_match_suggestion_pair ON match_suggestion "
               f"({smaller}(customer_id, candidate_id), {larger}(customer_id, candidate_id))")
    op.execute("CREATE INDEX ix_match_suggestion_open ON match_suggestion (customer_id) "
               "WHERE state = 'open'")
    op.execute("CREATE INDEX ix_match_suggestion_open_candidate ON match_suggestion "
               "(candidate_id) WHERE state = 'open'")
    # A customer's evidence includes that of the customers merged into it.
    op.execute("CREATE INDEX ix_customer_merged_into ON customer (merged_into) "
               "WHERE merged_into IS NOT NULL")
    from omnitui.core.match_keys import backfill

    raw = op.get_bind().connection.dbapi_connection
    if op.get_bind().dialect.name == "postgresql":
        from omnitui.store.postgres import PgConnection

        raw = PgConnection.adopt(raw)
    backfill(raw)


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_customer_merged_into")
    op.drop_table("match_suggestion")
    op.drop_table("match_key")
