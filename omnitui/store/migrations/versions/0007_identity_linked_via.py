"""how an identity came to its customer

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

Ingest ties a new channel identity to a customer already known when the message carries an email
address, a deep-link token or a phone number. Only the email is unchecked: a chat widget's visitor
can claim anybody's address. `identity.linked_via` keeps the reason ("email", "link", "phone"; NULL
for an identity first seen on its own or moved by an agent's merge), so an agent answering sees
when the chat side of a customer rests on nothing but a claimed address.

An automatic fold re-labels the identity it moves; `customer_merge.linked_via_before` keeps what
the labels were (JSON {identity id: value}), so `unmerge` restores exactly what was there. It is
NULL for agents' merges, which re-label nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("identity", sa.Column("linked_via", sa.Text(), nullable=True))
    op.add_column("customer_merge", sa.Column("linked_via_before", sa.Text(), nullable=True))


def downgrade() -> None:
    # Not batch mode: copying `identity` would trip the search triggers that name it.
    op.execute("ALTER TABLE customer_merge DROP COLUMN linked_via_before")
    op.execute("ALTER TABLE identity DROP COLUMN linked_via")
