"""Numbered schema migrations, applied in order, one transaction each: the SQLite spelling here,
the PostgreSQL spelling of the same versions in migrations_pg.py, one `migrate` for both.

Never edit a migration that has shipped: databases in the field already ran it. Append a new
one instead, to both lists, with the same number. The SQL sticks to what SQLite and PostgreSQL
both accept where that is cheap; `seq INTEGER PRIMARY KEY` is the SQLite spelling of an
ingest-order key (the rowid), an identity column in PostgreSQL.
"""

from __future__ import annotations

import sqlite3

from truthmeter.errors import StoreError
from truthmeter.store.dialect import SQLITE, Connection, Dialect

__all__ = ["MIGRATIONS", "LATEST_VERSION", "current_version", "migrate", "split_statements"]

_V1 = """
CREATE TABLE schema_version (
    version INTEGER NOT NULL
);

CREATE TABLE articles (
    seq INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    author TEXT,
    outlet TEXT,
    date TEXT,
    url TEXT,
    source TEXT,
    source_line INTEGER,
    dataset_label INTEGER,
    fact_check_rating INTEGER,
    quotes_json TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);

CREATE INDEX articles_id ON articles (id);

CREATE TABLE ratings (
    content_hash TEXT PRIMARY KEY REFERENCES articles (content_hash) ON DELETE CASCADE,
    p_true REAL NOT NULL,
    truth_rating INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    label TEXT NOT NULL,
    model TEXT NOT NULL,
    fact_check_rating INTEGER,
    signals_json TEXT NOT NULL,
    rated_at TEXT NOT NULL
);
"""

# Listing filters by outlet (case-insensitively, hence the expression index) and by verdict.
_V2 = """
CREATE INDEX articles_outlet ON articles (lower(outlet));
CREATE INDEX ratings_verdict ON ratings (verdict);
"""

# Stories: articles grouped online as they arrive, each story rated as a whole. story_articles
# keeps what restoring the clusterer needs (signature, people, date, vector) and what re-rating a
# story needs without re-reading bodies (stance, outlet key, evidence); last_seq orders listings
# by the newest article a story received.
_V3 = """
CREATE TABLE stories (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    story_rating INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    fact_check_rating INTEGER,
    signals_json TEXT NOT NULL
);

CREATE INDEX stories_last_seq ON stories (last_seq);
CREATE INDEX stories_verdict ON stories (verdict);

CREATE TABLE story_articles (
    content_hash TEXT PRIMARY KEY REFERENCES articles (content_hash) ON DELETE CASCADE,
    story_id TEXT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    stance TEXT NOT NULL,
    people_json TEXT NOT NULL,
    date TEXT,
    signature BLOB NOT NULL,
    vector BLOB,
    outlet_key TEXT,
    evidence_json TEXT NOT NULL
);

CREATE INDEX story_articles_story ON story_articles (story_id);
CREATE INDEX story_articles_outlet ON story_articles (outlet_key);

CREATE TABLE fact_checks (
    content_hash TEXT PRIMARY KEY REFERENCES articles (content_hash) ON DELETE CASCADE,
    story_id TEXT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    rating INTEGER NOT NULL,
    basis TEXT NOT NULL,
    title TEXT NOT NULL,
    outlet TEXT,
    url TEXT,
    date TEXT,
    wording TEXT
);

CREATE INDEX fact_checks_story ON fact_checks (story_id);
"""

# The newsroom: editors and their credentials (only hashes of secrets), the desk's review of each
# story beside the model's rating, corrections to published verdicts, an append-only audit log and
# readers' tips. reviews.changed_at orders the published list and the feed (latest publication or
# correction first). articles_fts indexes titles and bodies for search without a copy of the text
# (external content); the triggers keep it in step with articles, 'rebuild' indexes rows stored before.
_V4 = """
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

CREATE INDEX api_tokens_user ON api_tokens (user_name);

CREATE TABLE sessions (
    session_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE reviews (
    story_id TEXT PRIMARY KEY REFERENCES stories (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    model_rating INTEGER NOT NULL,
    final_rating INTEGER,
    final_verdict TEXT,
    note TEXT,
    editor TEXT,
    reviewed_at TEXT,
    published_at TEXT,
    changed_at TEXT NOT NULL
);

CREATE INDEX reviews_status_changed ON reviews (status, changed_at);

CREATE TABLE corrections (
    id INTEGER PRIMARY KEY,
    story_id TEXT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    previous_rating INTEGER NOT NULL,
    new_rating INTEGER NOT NULL,
    note TEXT NOT NULL,
    editor TEXT NOT NULL,
    at TEXT NOT NULL
);

CREATE INDEX corrections_story ON corrections (story_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail_json TEXT NOT NULL
);

CREATE TABLE tips (
    id INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL REFERENCES articles (content_hash) ON DELETE CASCADE,
    note TEXT,
    submitted_at TEXT NOT NULL
);

CREATE INDEX tips_article ON tips (content_hash);

CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, body, content = 'articles', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, body) VALUES (new.seq, new.title, new.body);
END;

CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', old.seq, old.title, old.body);
END;

CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', old.seq, old.title, old.body);
    INSERT INTO articles_fts (rowid, title, body) VALUES (new.seq, new.title, new.body);
END;

INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');
"""

# "Not enough to judge": an Unrated article has no truth_rating, an Unrated story no story_rating, and
# the desk's review of such a story no model_rating. SQLite cannot drop NOT NULL in place, so each
# table is rebuilt (new table, copy, drop, rename, indexes again) as SQLite's ALTER TABLE documentation
# prescribes; `migrate` runs this with foreign keys off, or dropping the old stories table would
# cascade-delete every row that references it, and checks them before committing.
_V5 = """
CREATE TABLE ratings_v5 (
    content_hash TEXT PRIMARY KEY REFERENCES articles (content_hash) ON DELETE CASCADE,
    p_true REAL NOT NULL,
    truth_rating INTEGER,
    verdict TEXT NOT NULL,
    label TEXT NOT NULL,
    model TEXT NOT NULL,
    fact_check_rating INTEGER,
    signals_json TEXT NOT NULL,
    rated_at TEXT NOT NULL
);
INSERT INTO ratings_v5 (content_hash, p_true, truth_rating, verdict, label, model, fact_check_rating, signals_json,
                        rated_at)
    SELECT content_hash, p_true, truth_rating, verdict, label, model, fact_check_rating, signals_json, rated_at
    FROM ratings;
DROP TABLE ratings;
ALTER TABLE ratings_v5 RENAME TO ratings;
CREATE INDEX ratings_verdict ON ratings (verdict);

CREATE TABLE stories_v5 (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    story_rating INTEGER,
    verdict TEXT NOT NULL,
    fact_check_rating INTEGER,
    signals_json TEXT NOT NULL
);
INSERT INTO stories_v5 (id, title, created_at, updated_at, last_seq, story_rating, verdict, fact_check_rating,
                        signals_json)
    SELECT id, title, created_at, updated_at, last_seq, story_rating, verdict, fact_check_rating, signals_json
    FROM stories;
DROP TABLE stories;
ALTER TABLE stories_v5 RENAME TO stories;
CREATE INDEX stories_last_seq ON stories (last_seq);
CREATE INDEX stories_verdict ON stories (verdict);

CREATE TABLE reviews_v5 (
    story_id TEXT PRIMARY KEY REFERENCES stories (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    model_rating INTEGER,
    final_rating INTEGER,
    final_verdict TEXT,
    note TEXT,
    editor TEXT,
    reviewed_at TEXT,
    published_at TEXT,
    changed_at TEXT NOT NULL
);
INSERT INTO reviews_v5 (story_id, status, model_rating, final_rating, final_verdict, note, editor, reviewed_at,
                        published_at, changed_at)
    SELECT story_id, status, model_rating, final_rating, final_verdict, note, editor, reviewed_at, published_at,
           changed_at
    FROM reviews;
DROP TABLE reviews;
ALTER TABLE reviews_v5 RENAME TO reviews;
CREATE INDEX reviews_status_changed ON reviews (status, changed_at);
"""

# A story is about a claim: each article's own claim sentence (read with its body at ingest), and the
# story's, with who first reported it; an editor's claim (claim_basis 'editor') is never replaced.
# Plain ADD COLUMNs read the same in both dialects: migrations_pg.py runs these very strings.
V6_CLAIMS = """
ALTER TABLE story_articles ADD COLUMN claim TEXT;
ALTER TABLE story_articles ADD COLUMN claim_basis TEXT;
ALTER TABLE stories ADD COLUMN claim TEXT;
ALTER TABLE stories ADD COLUMN claim_basis TEXT;
ALTER TABLE stories ADD COLUMN claim_source TEXT;
ALTER TABLE stories ADD COLUMN claim_by TEXT;
ALTER TABLE stories ADD COLUMN claim_on TEXT;
ALTER TABLE stories ADD COLUMN claim_editor TEXT;
"""

# The desk's verdict in prose for readers (generated from the evidence until an editor writes it), and
# who wrote it; audited as 'summary' like an edit of the claim.
V7_SUMMARY = """
ALTER TABLE reviews ADD COLUMN summary TEXT;
ALTER TABLE reviews ADD COLUMN summary_by TEXT;
"""

MIGRATIONS: list[tuple[int, str]] = [
    (1, _V1),
    (2, _V2),
    (3, _V3),
    (4, _V4),
    (5, _V5),
    (6, V6_CLAIMS),
    (7, V7_SUMMARY),
]

LATEST_VERSION = MIGRATIONS[-1][0]


def split_statements(sql: str) -> list[str]:
    """Split a script into statements without being fooled by ';' inside string literals.

    executescript() would be simpler but it commits first, which would break the
    one-transaction-per-migration guarantee.
    """
    statements: list[str] = []
    buf = ""
    for piece in sql.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \t\r\n;"):
                statements.append(buf.strip())
            buf = ""
    if buf.strip(" \t\r\n;"):
        raise ValueError(f"incomplete SQL statement in migration: {buf.strip()[:60]!r}")
    return statements


def current_version(conn: Connection, dialect: Dialect = SQLITE) -> int:
    """The recorded schema version; 0 for an empty database."""
    has_table, objects = dialect.schema_objects(conn)
    if not has_table:
        if objects:
            # Adding our tables to somebody else's database would be rude and confusing.
            raise StoreError("not a truthmeter database (it has tables but no schema_version)")
        return 0
    rows = conn.execute("SELECT version FROM schema_version").fetchall()
    if len(rows) != 1:
        raise StoreError(f"corrupt schema_version table ({len(rows)} rows, expected 1)")
    return int(rows[0][0])


def _check_not_newer(version: int) -> None:
    if version > LATEST_VERSION:
        raise StoreError(f"database schema version {version} is newer than this truthmeter "
                         f"({LATEST_VERSION}): upgrade truthmeter")


def _apply(conn: Connection, dialect: Dialect, version: int, sql: str) -> None:
    """One migration in one transaction, unless another process applied it first."""
    # The write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock) is taken before the
    # version is re-read, so two processes opening a fresh database at once cannot both apply it.
    dialect.begin(conn)
    try:
        if current_version(conn, dialect) >= version:
            conn.execute("ROLLBACK")
            return
        dialect.run_script(conn, sql)
        dialect.check_foreign_keys(conn, version)
        conn.execute("DELETE FROM schema_version")
        conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
        conn.execute("COMMIT")
    except BaseException:
        # SQLite already rolls back by itself on some errors (disk full, for one).
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def migrate(conn: Connection, target: int = LATEST_VERSION, dialect: Dialect = SQLITE) -> int:
    """Bring the database up to `target`; return the version it ends at.

    `conn` must be in autocommit mode (sqlite3: isolation_level=None) so that the explicit
    transactions here are the only ones.
    """
    start = current_version(conn, dialect)
    _check_not_newer(start)
    if start < target:
        with dialect.migrating(conn):
            for version, sql in dialect.migrations():
                if version > target:
                    break
                _apply(conn, dialect, version, sql)
    final = current_version(conn, dialect)
    _check_not_newer(final)
    return final
