"""full-text search on PostgreSQL: word lists in tsvectors with GIN, kept by triggers

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01

SQLite searches through FTS5 (0002, 0004); this revision gives PostgreSQL the same search and
does nothing on SQLite. Words are cut and folded by one SQL function, `omnitui_search_words`,
used both for the stored documents and for the words typed, so the two always agree. It follows
FTS5's `unicode61 remove_diacritics 2`: lower case; the accents FTS5 removes (acute, grave,
ogonek, caron, dot above, ...) dropped from Latin letters, so "zołw" finds "Żółw" and "łodz"
finds "Łódź" (ł, ø, ß have no accent to drop, as in FTS5: "lodz" does not); Cyrillic and Arabic
letters kept as they are; anything that is not a letter or a digit separates words. Lower case and the letter
classes come from ICU's root collation (`und-x-icu`) when the server has ICU, so they do not
depend on the database's locale; without ICU the database's own UTF-8 locale is used.

`message_search` holds each message's words (its text, subject and every revision's text),
`customer_search` each customer's (name, email, phone and every identity's address). Both are
filled here from the existing rows and kept by triggers in the writer's own transaction. The
words are a tsvector without positions: search matches words and prefixes, never phrases.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# The combining marks FTS5's remove_diacritics 2 drops after a Latin letter.
LATIN_ACCENTS = ("\\u0300-\\u0304\\u0306-\\u030c\\u030f\\u0311\\u031b\\u0323-\\u0328"
                 "\\u032d\\u032e\\u0330\\u0331")
# Numbers that are not digits (superscripts, fractions, Roman and circled numerals): words to
# FTS5, which counts every Unicode number as a letter; [:alnum:] knows only decimal digits.
NUMBERS = ("\\u00b2\\u00b3\\u00b9\\u00bc-\\u00be\\u2070\\u2074-\\u2079\\u2080-\\u2089"
           "\\u2150-\\u2189\\u2460-\\u249b\\u24ea-\\u24ff\\u2776-\\u2793")

FUNCTIONS = """
CREATE FUNCTION omnitui_search_words(doc text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$
  SELECT coalesce(array_agg(DISTINCT w), '{{}}') FROM regexp_split_to_table(
    normalize(regexp_replace(normalize(lower(coalesce(doc, '') COLLATE {collation}), NFD),
                             '([a-z])[{accents}]+', '\\1', 'g'), NFC) COLLATE {collation},
    '[^[:alnum:]{numbers}]+') AS w
  WHERE w <> ''
$body$;

CREATE FUNCTION omnitui_search_doc(doc text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$
  SELECT array_to_tsvector(omnitui_search_words(doc))
$body$;

CREATE FUNCTION omnitui_search_query(typed text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$
  SELECT string_agg('''' || w || ''':*', ' & ')::tsquery
  FROM unnest(omnitui_search_words(typed)) AS w
$body$;

CREATE FUNCTION omnitui_message_words(message_id bigint) RETURNS tsvector
LANGUAGE sql STABLE AS $body$
  SELECT omnitui_search_doc(coalesce(m.text, '') || ' ' || coalesce(m.subject, '') || ' ' ||
           coalesce((SELECT string_agg(r.text, ' ') FROM message_revision r
                     WHERE r.message_id = m.id), ''))
  FROM message m WHERE m.id = message_id
$body$;

CREATE FUNCTION omnitui_customer_words(customer_id bigint) RETURNS tsvector
LANGUAGE sql STABLE AS $body$
  SELECT omnitui_search_doc(coalesce(c.name, '') || ' ' || coalesce(c.email, '') || ' ' ||
           coalesce(c.phone, '') || ' ' ||
           coalesce((SELECT string_agg(i.address, ' ') FROM identity i
                     WHERE i.customer_id = c.id), ''))
  FROM customer c WHERE c.id = customer_id
$body$;

CREATE FUNCTION omnitui_message_search_insert() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  INSERT INTO message_search (id, words)
    VALUES (NEW.id, omnitui_search_doc(coalesce(NEW.text, '') || ' ' ||
                                       coalesce(NEW.subject, '')));
  RETURN NULL;
END $body$;

CREATE FUNCTION omnitui_message_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  UPDATE message_search SET words = omnitui_message_words(NEW.id) WHERE id = NEW.id;
  RETURN NULL;
END $body$;

CREATE FUNCTION omnitui_message_search_revision() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  UPDATE message_search SET words = words || omnitui_search_doc(NEW.text)
    WHERE id = NEW.message_id;
  RETURN NULL;
END $body$;

CREATE FUNCTION omnitui_customer_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  INSERT INTO customer_search (id, words) VALUES (NEW.id, omnitui_customer_words(NEW.id))
    ON CONFLICT (id) DO UPDATE SET words = excluded.words;
  RETURN NULL;
END $body$;

CREATE FUNCTION omnitui_identity_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  IF TG_OP = 'INSERT' THEN  -- the common case: one more address, nothing else changed
    UPDATE customer_search SET words = words || omnitui_search_doc(NEW.address)
      WHERE id = NEW.customer_id;
    RETURN NULL;
  END IF;
  UPDATE customer_search SET words = omnitui_customer_words(OLD.customer_id)
    WHERE id = OLD.customer_id;
  IF TG_OP = 'UPDATE' AND NEW.customer_id <> OLD.customer_id THEN
    UPDATE customer_search SET words = omnitui_customer_words(NEW.customer_id)
      WHERE id = NEW.customer_id;
  END IF;
  RETURN NULL;
END $body$;
"""

TABLES = [
    "CREATE TABLE message_search (id bigint PRIMARY KEY REFERENCES message (id) "
    "ON DELETE CASCADE, words tsvector NOT NULL)",
    "CREATE TABLE customer_search (id bigint PRIMARY KEY REFERENCES customer (id) "
    "ON DELETE CASCADE, words tsvector NOT NULL)",
    "INSERT INTO message_search (id, words) SELECT id, omnitui_message_words(id) FROM message",
    "INSERT INTO customer_search (id, words) SELECT id, omnitui_customer_words(id) FROM customer",
    "CREATE INDEX message_search_words ON message_search USING gin (words)",
    "CREATE INDEX customer_search_words ON customer_search USING gin (words)",
    "CREATE TRIGGER message_search_insert AFTER INSERT ON message "
    "FOR EACH ROW EXECUTE FUNCTION omnitui_message_search_insert()",
    "CREATE TRIGGER message_search_update AFTER UPDATE OF text, subject ON message "
    "FOR EACH ROW EXECUTE FUNCTION omnitui_message_search_refresh()",
    "CREATE TRIGGER message_search_revision AFTER INSERT ON message_revision "
    "FOR EACH ROW EXECUTE FUNCTION omnitui_message_search_revision()",
    "CREATE TRIGGER customer_search_change AFTER INSERT OR UPDATE OF name, email, phone "
    "ON customer FOR EACH ROW EXECUTE FUNCTION omnitui_customer_search_refresh()",
    "CREATE TRIGGER identity_search_change AFTER INSERT OR DELETE OR UPDATE OF address, "
    "customer_id ON identity FOR EACH ROW EXECUTE FUNCTION omnitui_identity_search_refresh()",
]

DROPPED = [
    "DROP TRIGGER IF EXISTS identity_search_change ON identity",
    "DROP TRIGGER IF EXISTS customer_search_change ON customer",
    "DROP TRIGGER IF EXISTS message_search_revision ON message_revision",
    "DROP TRIGGER IF EXISTS message_search_update ON message",
    "DROP TRIGGER IF EXISTS message_search_insert ON message",
    "DROP TABLE IF EXISTS customer_search",
    "DROP TABLE IF EXISTS message_search",
    "DROP FUNCTION IF EXISTS omnitui_identity_search_refresh()",
    "DROP FUNCTION IF EXISTS omnitui_customer_search_refresh()",
    "DROP FUNCTION IF EXISTS omnitui_message_search_revision()",
    "DROP FUNCTION IF EXISTS omnitui_message_search_refresh()",
    "DROP FUNCTION IF EXISTS omnitui_message_search_insert()",
    "DROP FUNCTION IF EXISTS omnitui_customer_words(bigint)",
    "DROP FUNCTION IF EXISTS omnitui_message_words(bigint)",
    "DROP FUNCTION IF EXISTS omnitui_search_query(text)",
    "DROP FUNCTION IF EXISTS omnitui_search_doc(text)",
    "DROP FUNCTION IF EXISTS omnitui_search_words(text)",
]


def _collation(bind) -> str:  # type: ignore[no-untyped-def]
    """ICU's root collation where the server has ICU, else the database's own UTF-8 locale."""
    encoding = bind.exec_driver_sql("SHOW server_encoding").scalar()
    if encoding != "UTF8":
        raise RuntimeError(f"omnitui needs a UTF8 PostgreSQL database, and this one is "
                           f"{encoding} (create it with ENCODING 'UTF8')")
    if bind.exec_driver_sql(
            "SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'").scalar():
        return '"und-x-icu"'
    ctype = bind.exec_driver_sql(
        "SELECT datctype FROM pg_database WHERE datname = current_database()").scalar()
    if str(ctype).upper() in ("C", "POSIX"):
        raise RuntimeError("omnitui's search needs a PostgreSQL server with ICU or a database "
                           "with a UTF-8 locale (LC_CTYPE), and this one has neither")
    return '"default"'


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite searches with FTS5 (0002, 0004)
    functions = FUNCTIONS.format(collation=_collation(bind), accents=LATIN_ACCENTS,
                                 numbers=NUMBERS)
    for statement in functions.split("\n\n"):
        bind.exec_driver_sql(statement)
    for statement in TABLES:
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in DROPPED:
        bind.exec_driver_sql(statement)
