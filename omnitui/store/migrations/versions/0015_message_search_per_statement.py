"""search words of new rows made once per statement, without foreign keys

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

Measured on ingest (docs/benchmarks.md): 0014's row triggers and the foreign keys of
`message_search` and `customer_search` cost each new message more than the rest of its insert.
A foreign key's check locks the row it points at, once per row, and grew slower as a transaction
wrote more; a row trigger runs its statements once per row. Here the words of all the messages,
customers and identities one statement inserts are made by one statement over its new rows (a
transition table), and the foreign keys' other duty, dropping the words of a deleted row, is a
statement trigger too. Changes of a row (an edit, a new name, a moved identity) keep 0014's row
triggers. Nothing changes on SQLite (FTS5, 0002 and 0004).
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

UPGRADE = [
    "DROP TRIGGER IF EXISTS message_search_insert ON message",
    "ALTER TABLE message_search DROP CONSTRAINT IF EXISTS message_search_id_fkey",
    """CREATE FUNCTION omnitui_message_search_insert_rows() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
  INSERT INTO message_search (id, words)
    SELECT id, omnitui_search_doc(coalesce(text, '') || ' ' || coalesce(subject, ''))
    FROM new_rows;
  RETURN NULL;
END $body$""",
    """CREATE FUNCTION omnitui_message_search_delete_rows() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
  DELETE FROM message_search s USING old_rows o WHERE s.id = o.id;
  RETURN NULL;
END $body$""",
    "CREATE TRIGGER message_search_insert AFTER INSERT ON message "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION omnitui_message_search_insert_rows()",
    "CREATE TRIGGER message_search_delete AFTER DELETE ON message "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION omnitui_message_search_delete_rows()",
    # customers: new ones per statement, changed ones per row as before
    "DROP TRIGGER IF EXISTS customer_search_change ON customer",
    "ALTER TABLE customer_search DROP CONSTRAINT IF EXISTS customer_search_id_fkey",
    """CREATE FUNCTION omnitui_customer_search_insert_rows() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
  INSERT INTO customer_search (id, words)
    SELECT n.id, omnitui_search_doc(coalesce(n.name, '') || ' ' || coalesce(n.email, '') || ' '
             || coalesce(n.phone, '') || ' ' ||
             coalesce((SELECT string_agg(i.address, ' ') FROM identity i
                       WHERE i.customer_id = n.id), ''))
    FROM new_rows n
    ON CONFLICT (id) DO UPDATE SET words = excluded.words;
  RETURN NULL;
END $body$""",
    """CREATE FUNCTION omnitui_customer_search_delete_rows() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
  DELETE FROM customer_search s USING old_rows o WHERE s.id = o.id;
  RETURN NULL;
END $body$""",
    "CREATE TRIGGER customer_search_insert AFTER INSERT ON customer "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION omnitui_customer_search_insert_rows()",
    "CREATE TRIGGER customer_search_change AFTER UPDATE OF name, email, phone ON customer "
    "FOR EACH ROW EXECUTE FUNCTION omnitui_customer_search_refresh()",
    "CREATE TRIGGER customer_search_delete AFTER DELETE ON customer "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION omnitui_customer_search_delete_rows()",
    # identities: a new address adds its words to its customer's, once per statement
    "DROP TRIGGER IF EXISTS identity_search_change ON identity",
    """CREATE FUNCTION omnitui_identity_search_insert_rows() RETURNS trigger
LANGUAGE plpgsql AS $body$
BEGIN
  UPDATE customer_search s SET words = s.words || d.words
    FROM (SELECT customer_id, omnitui_search_doc(string_agg(address, ' ')) AS words
          FROM new_rows GROUP BY customer_id) d
    WHERE s.id = d.customer_id;
  RETURN NULL;
END $body$""",
    "CREATE TRIGGER identity_search_insert AFTER INSERT ON identity "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION omnitui_identity_search_insert_rows()",
    "CREATE TRIGGER identity_search_change AFTER DELETE OR UPDATE OF address, customer_id "
    "ON identity FOR EACH ROW EXECUTE FUNCTION omnitui_identity_search_refresh()",
]

DOWNGRADE = [
    "DROP TRIGGER IF EXISTS identity_search_change ON identity",
    "DROP TRIGGER IF EXISTS identity_search_insert ON identity",
    "DROP FUNCTION IF EXISTS omnitui_identity_search_insert_rows()",
    "CREATE TRIGGER identity_search_change AFTER INSERT OR DELETE OR UPDATE OF address, "
    "customer_id ON identity FOR EACH ROW EXECUTE FUNCTION omnitui_identity_search_refresh()",
    "DROP TRIGGER IF EXISTS customer_search_delete ON customer",
    "DROP TRIGGER IF EXISTS customer_search_change ON customer",
    "DROP TRIGGER IF EXISTS customer_search_insert ON customer",
    "DROP FUNCTION IF EXISTS omnitui_customer_search_delete_rows()",
    "DROP FUNCTION IF EXISTS omnitui_customer_search_insert_rows()",
    "DELETE FROM customer_search s WHERE NOT EXISTS (SELECT 1 FROM customer c WHERE c.id = s.id)",
    "ALTER TABLE customer_search ADD CONSTRAINT customer_search_id_fkey FOREIGN KEY (id) "
    "REFERENCES customer (id) ON DELETE CASCADE",
    "CREATE TRIGGER customer_search_change AFTER INSERT OR UPDATE OF name, email, phone "
    "ON customer FOR EACH ROW EXECUTE FUNCTION omnitui_customer_search_refresh()",
    "DROP TRIGGER IF EXISTS message_search_delete ON message",
    "DROP TRIGGER IF EXISTS message_search_insert ON message",
    "DROP FUNCTION IF EXISTS omnitui_message_search_delete_rows()",
    "DROP FUNCTION IF EXISTS omnitui_message_search_insert_rows()",
    "DELETE FROM message_search s WHERE NOT EXISTS (SELECT 1 FROM message m WHERE m.id = s.id)",
    "ALTER TABLE message_search ADD CONSTRAINT message_search_id_fkey FOREIGN KEY (id) "
    "REFERENCES message (id) ON DELETE CASCADE",
    "CREATE TRIGGER message_search_insert AFTER INSERT ON message "
    "FOR EACH ROW EXECUTE FUNCTION omnitui_message_search_insert()",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in UPGRADE:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in DOWNGRADE:
        bind.exec_driver_sql(statement)
