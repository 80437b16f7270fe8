"""What really differs between the SQL backends; everything else is one SQL codebase with `?` placeholders.

The stores, the desk and the migrations run the same statements over a connection that speaks
sqlite3's interface (execute/executemany/fetch*, rowcount, rows readable by name and by position,
`in_transaction`): sqlite3's own for SQLite, an adapter over psycopg for PostgreSQL (store/postgres.py).
A Dialect holds the few spellings that cannot be shared: how a write transaction starts, the DDL of
each migration, full-text search, the people filter, the review queue's ranking and inserted ids.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from truthmeter.errors import StoreError
from truthmeter.newsroom.queue import CONTRADICTION_KEEP, TIP_KEEP

__all__ = ["Connection", "Dialect", "Search", "SQLITE", "POSTGRES", "search_words", "fts_query"]

# User text beyond this many words is not a search anyone typed.
_MAX_QUERY_TOKENS = 32
# PostgreSQL's advisory lock key for truthmeter's write lock (one per database): "tm" in ASCII.
_WRITE_LOCK = 0x746D


class Connection(Protocol):
    """The part of sqlite3.Connection the SQL code uses (psycopg is adapted to it)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any:
        ...

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any:
        ...

    @property
    def in_transaction(self) -> bool:
        ...


@dataclass(frozen=True)
class Search:
    """A full-text match as SQL: `from_where` (FROM .. WHERE, exposing articles as `a` and story_articles
    as `sa`) with its `params`, and `best`, an aggregate over a story's matching articles that sorts the
    best match first in ascending order."""

    from_where: str
    params: tuple[object, ...]
    best: str


def search_words(text: str) -> list[str]:
    """The words of a search: whitespace-separated, NULs removed, those without a letter or digit
    dropped (they would match nothing), at most 32."""
    words = [w.replace("\x00", "") for w in text.split()]
    return [w for w in words if any(c.isalnum() for c in w)][:_MAX_QUERY_TOKENS]


def fts_query(text: str) -> str | None:
    """An FTS5 query matching every word of `text`, or None when it has no words.

    Each whitespace-separated word becomes a quoted FTS5 string (inner quotes doubled), so nothing a
    person types (`"`, `*`, `NEAR`, `-`, `:`, parentheses, AND/OR/NOT) is read as query syntax.
    """
    return " ".join('"' + w.replace('"', '""') + '"' for w in search_words(text)) or None


class Dialect:
    """The SQLite spelling; PostgresDialect overrides what PostgreSQL spells otherwise."""

    name = "sqlite"
    # A FROM item giving one row `p.value` per person named in `sa.people_json`.
    people_source = "json_each(sa.people_json) p"
    # LIKE that ignores (ASCII) case, as SQLite's LIKE does.
    like = "LIKE"

    def begin(self, conn: Connection) -> None:
        """Start a write transaction holding the database's one write lock, as every write does: writers
        take turns (across processes too), so a read-then-write (a review, a migration) is never
        interleaved with another writer's, and no two writers can deadlock. Readers do not wait."""
        conn.execute("BEGIN IMMEDIATE")

    def suspicion(self, rating: str, tips: str, contradicting: str) -> str:
        """SQL for newsroom.queue.suspicion over these SQL expressions (registered on each connection)."""
        return f"tm_suspicion({rating}, {tips}, {contradicting})"

    def search(self, text: str) -> Search | None:
        match = fts_query(text)
        if match is None:
            return None
        return Search("FROM articles_fts JOIN articles a ON a.seq = articles_fts.rowid "
                      "JOIN story_articles sa ON sa.content_hash = a.content_hash WHERE articles_fts MATCH ?",
                      (match,), "MIN(articles_fts.rank)")

    def insert_id(self, conn: Connection, sql: str, params: Sequence[object]) -> int:
        """Run one INSERT into a table with an `id` key and return the new row's id."""
        return int(conn.execute(sql, params).lastrowid)

    def migrations(self) -> list[tuple[int, str]]:
        from truthmeter.store.migrations import MIGRATIONS

        return MIGRATIONS

    def run_script(self, conn: Connection, sql: str) -> None:
        from truthmeter.store.migrations import split_statements

        for statement in split_statements(sql):
            conn.execute(statement)

    @contextmanager
    def migrating(self, conn: Connection) -> Iterator[None]:
        """Foreign keys off while migrations run (outside any transaction: SQLite ignores the pragma
        inside one). A table rebuild drops the old table, and with foreign keys on that would delete
        every row referencing it (ON DELETE CASCADE); check_foreign_keys checks them instead."""
        was = int(conn.execute("PRAGMA foreign_keys").fetchone()[0])
        conn.execute("PRAGMA foreign_keys = OFF")
        try:
            yield
        finally:
            conn.execute(f"PRAGMA foreign_keys = {was}")

    def check_foreign_keys(self, conn: Connection, version: int) -> None:
        """Inside a migration's transaction: every reference still points at a row, else it fails."""
        bad = conn.execute("PRAGMA foreign_key_check").fetchall()
        if bad:
            raise StoreError(f"migration {version} would break {len(bad)} reference(s), first in table {bad[0][0]}")

    def schema_objects(self, conn: Connection) -> tuple[bool, int]:
        """(whether a schema_version table exists, how many schema objects there are at all)."""
        # One statement, so one snapshot: read as two, another process's first migration could
        # commit in between and the database would look like somebody else's (tables, no version).
        has, count = conn.execute(
            "SELECT COALESCE(SUM(type = 'table' AND name = 'schema_version'), 0), COUNT(*) FROM sqlite_master"
        ).fetchone()
        return bool(has), int(count)


class PostgresDialect(Dialect):
    name = "postgresql"
    people_source = "jsonb_array_elements_text(sa.people_json::jsonb) AS p(value)"
    like = "ILIKE"

    def begin(self, conn: Connection) -> None:
        conn.execute("BEGIN")
        try:
            # SQLite's write lock, as an advisory lock held to the end of the transaction: row locks
            # alone would let two batches deadlock on each other's articles, and two reviews of one
            # story both read the old review.
            conn.execute(f"SELECT pg_advisory_xact_lock({_WRITE_LOCK})")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def suspicion(self, rating: str, tips: str, contradicting: str) -> str:
        # The same float operations in the same order as queue.suspicion, so ties break alike.
        return (f"(1.0::float8 - (GREATEST(0, LEAST(10, {rating})) / 10.0::float8) "
                f"* power({TIP_KEEP!r}::float8, {tips}) * power({CONTRADICTION_KEEP!r}::float8, {contradicting}))")

    def search(self, text: str) -> Search | None:
        # Each word a phrase, as fts_query makes it: "foo-bar" must appear as that run of tokens.
        words = search_words(text)
        if not words:
            return None
        query = " && ".join("phraseto_tsquery('simple', tm_fold(?))" for _ in words)
        return Search(f"FROM (SELECT {query} AS q) x JOIN articles a ON a.search_vector @@ x.q "
                      "JOIN story_articles sa ON sa.content_hash = a.content_hash WHERE TRUE",
                      tuple(words), "MIN(-ts_rank(a.search_vector, x.q))")

    def insert_id(self, conn: Connection, sql: str, params: Sequence[object]) -> int:
        return int(conn.execute(sql + " RETURNING id", params).fetchone()[0])

    def migrations(self) -> list[tuple[int, str]]:
        from truthmeter.store.migrations_pg import PG_MIGRATIONS

        return PG_MIGRATIONS

    def run_script(self, conn: Connection, sql: str) -> None:
        conn.execute(sql)  # no parameters: PostgreSQL runs the whole script as one simple query

    @contextmanager
    def migrating(self, conn: Connection) -> Iterator[None]:
        yield  # PostgreSQL changes columns in place: no rebuild, foreign keys stay on

    def check_foreign_keys(self, conn: Connection, version: int) -> None:
        pass  # enforced by PostgreSQL itself

    def schema_objects(self, conn: Connection) -> tuple[bool, int]:
        row = conn.execute(
            "SELECT COUNT(*) FILTER (WHERE c.relname = 'schema_version' AND c.relkind = 'r'), COUNT(*) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema()"
        ).fetchone()
        return bool(row[0]), int(row[1])


SQLITE = Dialect()
POSTGRES = PostgresDialect()
