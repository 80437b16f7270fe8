"""The PostgreSQL spelling of the schema migrations: the same versions, tables, columns and indexes as
migrations.py, so both backends hold the same data and answer the same queries alike.

Where the spelling differs, and why:
- Text is `COLLATE "C"` (the `_T` below): byte order, as SQLite compares, whatever the database's
  locale; id-prefix lookups are range scans that need it, listings tie-break on ids, and lower()
  then folds ASCII only, as SQLite's does.
- Ingest order and row ids are identity columns (SQLite: INTEGER PRIMARY KEY, the rowid); REAL is
  DOUBLE PRECISION (PostgreSQL's REAL is 4 bytes); BLOB is BYTEA.
- Search (version 4) is a generated tsvector column with a GIN index instead of an FTS5 table, over
  text folded by tm_fold(): unaccent() when the unaccent extension can be had, else as is. It covers
  an article's first 100,000 characters: a tsvector holds at most 1 MB, and an article whose words
  overflowed it would not be stored at all.
Never edit a version that has shipped; append to both lists.
"""

from __future__ import annotations

from truthmeter.store.migrations import V6_CLAIMS, V7_SUMMARY

__all__ = ["PG_MIGRATIONS"]

_T = 'TEXT COLLATE "C"'
_ID = "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"

_V1 = f"""
CREATE TABLE schema_version (
    version INTEGER NOT NULL
);

CREATE TABLE articles (
    seq {_ID},
    content_hash {_T} NOT NULL UNIQUE,
    id {_T} NOT NULL,
    title {_T} NOT NULL,
    body {_T} NOT NULL,
    author {_T},
    outlet {_T},
    date {_T},
    url {_T},
    source {_T},
    source_line BIGINT,
    dataset_label INTEGER,
    fact_check_rating INTEGER,
    quotes_json {_T} NOT NULL,
    ingested_at {_T} NOT NULL
);

CREATE INDEX articles_id ON articles (id);

CREATE TABLE ratings (
    content_hash {_T} PRIMARY KEY REFERENCES articles (content_hash) ON DELETE CASCADE,
    p_true DOUBLE PRECISION NOT NULL,
    truth_rating INTEGER NOT NULL,
    verdict {_T} NOT NULL,
    label {_T} NOT NULL,
    model {_T} NOT NULL,
    fact_check_rating INTEGER,
    signals_json {_T} NOT NULL,
    rated_at {_T} NOT NULL
);
"""

_V2 = """
CREATE INDEX articles_outlet ON articles (lower(outlet));
CREATE INDEX ratings_verdict ON ratings (verdict);
"""

_V3 = f"""
CREATE TABLE stories (
    id {_T} PRIMARY KEY,
    title {_T} NOT NULL,
    created_at {_T} NOT NULL,
    updated_at {_T} NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    story_rating INTEGER NOT NULL,
    verdict {_T} NOT NULL,
    fact_check_rating INTEGER,
    signals_json {_T} NOT NULL
);

CREATE INDEX stories_last_seq ON stories (last_seq);
CREATE INDEX stories_verdict ON stories (verdict);

CREATE TABLE story_articles (
    content_hash {_T} PRIMARY KEY REFERENCES articles (content_hash) ON DELETE CASCADE,
    story_id {_T} NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    stance {_T} NOT NULL,
    people_json {_T} NOT NULL,
    date {_T},
    signature BYTEA NOT NULL,
    vector BYTEA,
    outlet_key {_T},
    evidence_json {_T} NOT NULL
);

CREATE INDEX story_articles_story ON story_articles (story_id);
CREATE INDEX story_articles_outlet ON story_articles (outlet_key);

CREATE TABLE fact_checks (
    content_hash {_T} PRIMARY KEY REFERENCES articles (content_hash) ON DELETE CASCADE,
    story_id {_T} NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    rating INTEGER NOT NULL,
    basis {_T} NOT NULL,
    title {_T} NOT NULL,
    outlet {_T},
    url {_T},
    date {_T},
    wording {_T}
);

CREATE INDEX fact_checks_story ON fact_checks (story_id);
"""

# tm_fold must be IMMUTABLE to index by it, and unaccent() is not (its dictionary could change), hence
# the wrapper naming the dictionary; it is built where the extension actually lives. Creating the
# extension needs the right to (it is a trusted extension: a database owner may): without it search
# still works, only accents then count.
_V4 = f"""
DO $tm$
DECLARE
    home TEXT;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS unaccent;
    EXCEPTION WHEN OTHERS THEN
        NULL;
    END;
    SELECT n.nspname INTO home FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'unaccent';
    IF home IS NULL THEN
        CREATE FUNCTION tm_fold(TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
            AS 'SELECT $1';
    ELSE
        EXECUTE format('CREATE FUNCTION tm_fold(TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT '
                       'AS %L', format('SELECT %I.unaccent(%L::regdictionary, $1)',
                                       home, quote_ident(home) || '.unaccent'));
    END IF;
END
$tm$;

CREATE TABLE users (
    name {_T} PRIMARY KEY,
    password_hash {_T} NOT NULL,
    created_at {_T} NOT NULL
);

CREATE TABLE api_tokens (
    id {_ID},
    token_hash {_T} NOT NULL UNIQUE,
    name {_T} NOT NULL,
    user_name {_T} NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    created_at {_T} NOT NULL,
    last_used_at {_T},
    revoked_at {_T}
);

CREATE INDEX api_tokens_user ON api_tokens (user_name);

CREATE TABLE sessions (
    session_hash {_T} PRIMARY KEY,
    user_name {_T} NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf {_T} NOT NULL,
    created_at {_T} NOT NULL,
    expires_at {_T} NOT NULL
);

CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE reviews (
    story_id {_T} PRIMARY KEY REFERENCES stories (id) ON DELETE CASCADE,
    status {_T} NOT NULL,
    model_rating INTEGER NOT NULL,
    final_rating INTEGER,
    final_verdict {_T},
    note {_T},
    editor {_T},
    reviewed_at {_T},
    published_at {_T},
    changed_at {_T} NOT NULL
);

CREATE INDEX reviews_status_changed ON reviews (status, changed_at);

CREATE TABLE corrections (
    id {_ID},
    story_id {_T} NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    previous_rating INTEGER NOT NULL,
    new_rating INTEGER NOT NULL,
    note {_T} NOT NULL,
    editor {_T} NOT NULL,
    at {_T} NOT NULL
);

CREATE INDEX corrections_story ON corrections (story_id);

CREATE TABLE audit_log (
    id {_ID},
    at {_T} NOT NULL,
    actor {_T} NOT NULL,
    action {_T} NOT NULL,
    target {_T},
    detail_json {_T} NOT NULL
);

CREATE TABLE tips (
    id {_ID},
    content_hash {_T} NOT NULL REFERENCES articles (content_hash) ON DELETE CASCADE,
    note {_T},
    submitted_at {_T} NOT NULL
);

CREATE INDEX tips_article ON tips (content_hash);

ALTER TABLE articles ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', tm_fold(left(title || ' ' || body, 100000)))) STORED;

CREATE INDEX articles_search ON articles USING GIN (search_vector);
"""

# "Not enough to judge": Unrated articles, stories and their reviews have no rating (migrations.py).
_V5 = """
ALTER TABLE ratings ALTER COLUMN truth_rating DROP NOT NULL;
ALTER TABLE stories ALTER COLUMN story_rating DROP NOT NULL;
ALTER TABLE reviews ALTER COLUMN model_rating DROP NOT NULL;
"""

PG_MIGRATIONS: list[tuple[int, str]] = [
    (1, _V1),
    (2, _V2),
    (3, _V3),
    (4, _V4),
    (5, _V5),
    (6, V6_CLAIMS),  # the same statements as SQLite's
    (7, V7_SUMMARY),
]
