"""full-text search index over messages, subjects and customers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

FTS5 tables kept in step by triggers, so every writer (hub, consoles, CLI) updates them in the
same transaction as the row. The message index uses the message id as rowid: "newest first" is
`ORDER BY rowid DESC`, which FTS5 answers without sorting. Existing rows are indexed on upgrade.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TOKENIZE = "unicode61 remove_diacritics 2"

STATEMENTS = [
    f"CREATE VIRTUAL TABLE message_fts USING fts5(body, subject, tokenize = '{TOKENIZE}')",
    f"CREATE VIRTUAL TABLE customer_fts USING fts5(name, addresses, tokenize = '{TOKENIZE}')",
    """CREATE TRIGGER message_fts_insert AFTER INSERT ON message BEGIN
         INSERT INTO message_fts(rowid, body, subject) VALUES (new.id, new.text, new.subject);
       END""",
    """CREATE TRIGGER message_fts_revision AFTER INSERT ON message_revision BEGIN
         UPDATE message_fts SET body = body || ' ' || new.text WHERE rowid = new.message_id;
       END""",
    """CREATE TRIGGER customer_fts_insert AFTER INSERT ON customer BEGIN
         INSERT INTO customer_fts(rowid, name, addresses)
           VALUES (new.id, new.name, coalesce(new.email, '') || ' ' || coalesce(new.phone, ''));
       END""",
    """CREATE TRIGGER customer_fts_update AFTER UPDATE OF name, email, phone ON customer BEGIN
         UPDATE customer_fts SET name = new.name,
           addresses = coalesce(new.email, '') || ' ' || coalesce(new.phone, '') || ' ' ||
             coalesce((SELECT group_concat(address, ' ') FROM identity
                       WHERE customer_id = new.id), '')
         WHERE rowid = new.id;
       END""",
    """CREATE TRIGGER customer_fts_identity AFTER INSERT ON identity BEGIN
         UPDATE customer_fts SET addresses = addresses || ' ' || new.address
         WHERE rowid = new.customer_id;
       END""",
    """INSERT INTO message_fts(rowid, body, subject)
         SELECT m.id, m.text || coalesce(
             (SELECT ' ' || group_concat(r.text, ' ') FROM message_revision r
              WHERE r.message_id = m.id), ''), m.subject
         FROM message m""",
    """INSERT INTO customer_fts(rowid, name, addresses)
         SELECT c.id, c.name, coalesce(c.email, '') || ' ' || coalesce(c.phone, '') || ' ' ||
           coalesce((SELECT group_concat(address, ' ') FROM identity i
                     WHERE i.customer_id = c.id), '')
         FROM customer c""",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        return  # PostgreSQL's search index is made by its own migration
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        return
    for name in ("message_fts_insert", "message_fts_revision", "customer_fts_insert",
                 "customer_fts_update", "customer_fts_identity"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS message_fts")
    op.execute("DROP TABLE IF EXISTS customer_fts")
