"""prefix indexes for search-as-you-type

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Search runs on every keystroke, so the first letters typed are the common case. FTS5 answers a
two-letter prefix from a prefix index in well under a millisecond, where without one it
merges the doclists of every matching term (tens of milliseconds on a million messages). A
one-letter prefix index is left out on purpose: its doclists hold nearly every message and make
each insert slow; the console starts searching at the second letter. The message index is
rebuilt with `prefix='2'` and refilled from the messages and revisions.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TOKENIZE = "unicode61 remove_diacritics 2"


def _rebuild(prefix: str | None) -> None:
    option = f", prefix = '{prefix}'" if prefix else ""
    op.execute("DROP TRIGGER IF EXISTS message_fts_insert")
    op.execute("DROP TRIGGER IF EXISTS message_fts_revision")
    op.execute("DROP TABLE IF EXISTS message_fts")
    op.execute(f"CREATE VIRTUAL TABLE message_fts USING fts5(body, subject, "
               f"tokenize = '{TOKENIZE}'{option})")
    op.execute("""CREATE TRIGGER message_fts_insert AFTER INSERT ON message BEGIN
         INSERT INTO message_fts(rowid, body, subject) VALUES (new.id, new.text, new.subject);
       END""")
    op.execute("""CREATE TRIGGER message_fts_revision AFTER INSERT ON message_revision BEGIN
         UPDATE message_fts SET body = body || ' ' || new.text WHERE rowid = new.message_id;
       END""")
    op.execute("""INSERT INTO message_fts(rowid, body, subject)
         SELECT m.id, m.text || coalesce(
             (SELECT ' ' || group_concat(r.text, ' ') FROM message_revision r
              WHERE r.message_id = m.id), ''), m.subject
         FROM message m""")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        return  # PostgreSQL's search index is made by its own migration
    _rebuild("2")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        return
    _rebuild(None)
