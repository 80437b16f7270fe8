"""The SQL store: the Store protocol in one SQL codebase, shared by SQLite and PostgreSQL.

SQLiteStore and PostgresStore subclass SQLStore and only connect, configure and migrate; the
statements (with `?` placeholders) are the same for both, and the few that must differ come from
the connection's Dialect.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from truthmeter.errors import StoreError
from truthmeter.store import stories as story_sql
from truthmeter.store.base import (HASH_PREFIX_MIN, OutletCount, StoredArticle, StoredStory, StoryLink,
                                   StoryMemberRow, StoryUpdate, content_hash, signals_from_json, signals_to_json)
from truthmeter.store.dialect import Connection, Dialect
from truthmeter.store.migrations import current_version
from truthmeter.store.sqlutil import check_page, utc_now
from truthmeter.types import Article, Label, Origin, Quote, RatedArticle, Rating, Stance, Story, Verdict

if TYPE_CHECKING:
    from truthmeter.store.desk_sql import SQLDesk

__all__ = ["SQLStore"]

# Story links read per lock hold when restoring the clusterer.
_LINK_PAGE = 1000

_INSERT_ARTICLE = """
INSERT INTO articles (content_hash, id, title, body, author, outlet, date, url, source,
                      source_line, dataset_label, fact_check_rating, quotes_json, ingested_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (content_hash) DO NOTHING
"""

# Re-ingesting must leave the first rating in place, hence DO NOTHING rather than an update.
_INSERT_RATING = """
INSERT INTO ratings (content_hash, p_true, truth_rating, verdict, label, model,
                     fact_check_rating, signals_json, rated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (content_hash) DO NOTHING
"""

_COLUMNS = """
       a.content_hash, a.id, a.title, a.body, a.author, a.outlet, a.date, a.url, a.source,
       a.source_line, a.dataset_label, a.fact_check_rating AS article_fcr, a.quotes_json,
       a.ingested_at, r.p_true, r.truth_rating, r.verdict, r.label, r.model,
       r.fact_check_rating AS rating_fcr, r.signals_json"""
_SELECT = f"SELECT {_COLUMNS}\nFROM articles a JOIN ratings r ON r.content_hash = a.content_hash\n"
# A story's articles with their stances.
_SELECT_MEMBERS = (f"SELECT sa.stance, {_COLUMNS}\nFROM articles a JOIN ratings r ON r.content_hash = a.content_hash\n"
                   "JOIN story_articles sa ON sa.content_hash = a.content_hash\n")


class SQLStore:
    """Rated articles in a SQL database; subclasses connect (opening migrates the schema).

    Safe to share between threads (the web app calls it from a thread pool): one connection, and a
    lock held for each whole use of it, transactions included, so threads take turns rather than
    interleave statements of each other's transactions.
    """

    # What the subclass's driver raises; _db turns these into StoreError.
    _errors: tuple[type[BaseException], ...] = ()

    def __init__(self, conn: Connection, dialect: Dialect, location: str) -> None:
        """Take over an open, migrated connection in autocommit mode; `location` names the database
        in error messages (a path, or a URL without its password)."""
        self._location = location
        self._dialect = dialect
        # Re-entrant: a desk method may call a store helper while it holds the lock.
        self._lock = threading.RLock()
        self._conn: Any = conn
        self._desk: SQLDesk | None = None

    @property
    def dialect(self) -> Dialect:
        return self._dialect

    @property
    def location(self) -> str:
        """The database as error messages name it: a path, or a URL without its password."""
        return self._location

    def _make_desk(self) -> SQLDesk:
        from truthmeter.store.desk_sql import SQLDesk

        return SQLDesk(self)

    @property
    def desk(self) -> SQLDesk:
        """The editorial desk over this store's database (editors, reviews, audit, search)."""
        if self._desk is None:
            self._desk = self._make_desk()
        return self._desk

    def add(self, items: Sequence[RatedArticle],
            stories: StoryUpdate | Callable[[], StoryUpdate] | None = None) -> int:
        now = utc_now()
        articles: list[tuple[object, ...]] = []
        ratings: list[tuple[object, ...]] = []
        # Serialise everything before taking the write lock, so a bad item holds no lock.
        for item in items:
            digest = content_hash(item.article.title, item.article.body)
            articles.append(_article_params(digest, item.article, now))
            ratings.append(_rating_params(digest, item.rating, now))
        if not articles and not stories:
            return 0
        with self._db("cannot store articles") as conn:
            # One transaction per call: a crash leaves all of this batch or none of it,
            # and never an article without its rating or its story.
            self._dialect.begin(conn)
            try:
                # Planned here, under the write lock and before this batch's articles are in, the
                # stories are the latest: another ingest's batch is committed and seen, or waits.
                update = stories() if callable(stories) else stories
                new = conn.executemany(_INSERT_ARTICLE, articles).rowcount if articles else 0
                conn.executemany(_INSERT_RATING, ratings)
                if update:
                    story_sql.write_update(conn, update, now)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return new

    def get(self, article_id: str) -> StoredArticle | None:
        with self._db("cannot read article") as conn:
            # Dataset ids can repeat across files; the latest ingest is the likeliest meant.
            row = conn.execute(_SELECT + "WHERE a.id = ? ORDER BY a.seq DESC LIMIT 1",
                               (article_id,)).fetchone()
            prefix = article_id.strip().lower()
            if row is None and len(prefix) >= HASH_PREFIX_MIN and _is_hex(prefix):
                # A range rather than LIKE so the UNIQUE index serves it on any backend.
                rows = conn.execute(
                    _SELECT + "WHERE a.content_hash >= ? AND a.content_hash < ? LIMIT 2",
                    (prefix, prefix + "g")).fetchall()
                row = rows[0] if len(rows) == 1 else None
        return None if row is None else _from_row(row)

    def list(self, limit: int = 50, offset: int = 0, verdict: str | None = None,
             outlet: str | None = None) -> list[StoredArticle]:
        check_page(limit, offset)
        clauses: list[str] = []
        params: list[object] = []
        if verdict is not None:
            clauses.append("r.verdict = ?")
            params.append(_verdict_value(verdict))
        if outlet is not None:
            clauses.append("lower(a.outlet) = lower(?)")
            params.append(outlet)
        where = ("WHERE " + " AND ".join(clauses) + " ") if clauses else ""
        sql = _SELECT + where + "ORDER BY a.seq DESC LIMIT ? OFFSET ?"
        with self._db("cannot list articles") as conn:
            rows = conn.execute(sql, (*params, limit, offset)).fetchall()
        return [_from_row(row) for row in rows]

    def known_hashes(self, hashes: Iterable[str]) -> set[str]:
        with self._db("cannot look up articles") as conn:
            return story_sql.known_hashes(conn, hashes)

    def story_links(self) -> Iterator[StoryLink]:
        return (link for _, link in self.story_links_since(-1))

    def story_links_since(self, seq: int) -> Iterator[tuple[int, StoryLink]]:
        # A page at a time, the lock taken per page: a generator must not hold the lock across its
        # yields, or other threads would wait on however slowly the caller consumes.
        last = seq
        while True:
            with self._db("cannot read stories") as conn:
                page = story_sql.links_after(conn, last, _LINK_PAGE)
            if not page:
                return
            last = page[-1][0]
            yield from page

    def unlinked(self, limit: int) -> list[StoredArticle]:
        with self._db("cannot read articles") as conn:
            rows = conn.execute(_SELECT + "WHERE NOT EXISTS (SELECT 1 FROM story_articles sa WHERE "
                                "sa.content_hash = a.content_hash) ORDER BY a.seq LIMIT ?", (limit,)).fetchall()
        return [_from_row(row) for row in rows]

    def story_members(self, story_ids: Iterable[str]) -> dict[str, list[StoryMemberRow]]:
        with self._db("cannot read stories") as conn:
            return story_sql.members(conn, story_ids)

    def list_stories(self, limit: int = 50, offset: int = 0, person: str | None = None,
                     outlet: str | None = None, verdict: str | None = None) -> list[Story]:
        check_page(limit, offset)
        wanted = None if verdict is None else _verdict_value(verdict)
        with self._db("cannot list stories") as conn:
            return story_sql.list_stories(conn, limit, offset, person, outlet, wanted, self._dialect)

    def get_story(self, story_id: str) -> StoredStory | None:
        with self._db("cannot read story") as conn:
            found = story_sql.find_story_id(conn, story_id)
            if found is None:
                return None
            row = conn.execute("SELECT * FROM stories WHERE id = ?", (found,)).fetchone()
            articles = conn.execute(_SELECT_MEMBERS + "WHERE sa.story_id = ? ORDER BY a.seq", (found,)).fetchall()
            story = story_sql.story_from_row(row, story_sql.story_facts(conn, [found]).get(found, {}))
            checks = story_sql.fact_checks(conn, found)
        members = tuple((_from_row(r), Stance(r["stance"])) for r in articles)
        return StoredStory(story=story, members=members, fact_checks=tuple(checks))

    def outlet_counts(self) -> list[OutletCount]:
        with self._db("cannot read outlets") as conn:
            return story_sql.outlet_counts(conn)

    def count_stories(self) -> int:
        with self._db("cannot count stories") as conn:
            return int(conn.execute("SELECT COUNT(*) FROM stories").fetchone()[0])

    def count(self) -> int:
        with self._db("cannot count articles") as conn:
            return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    def schema_version(self) -> int:
        with self._db("cannot read schema version") as conn:
            return current_version(conn, self._dialect)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> SQLStore:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @contextmanager
    def _db(self, action: str) -> Iterator[Any]:
        """Yield the connection, holding the lock; callers above this layer only ever see StoreError."""
        with self._lock:
            if self._conn is None:
                raise StoreError(f"{self._location}: {action}: the store is closed")
            try:
                self._revive()
                yield self._conn
            except self._errors as exc:
                raise StoreError(f"{self._location}: {action}: {self._describe(exc)}") from exc

    def _revive(self) -> None:
        """Replace a connection the server has dropped (called with the lock held, between uses)."""

    @staticmethod
    def _describe(exc: BaseException) -> str:
        """The driver's error as one line."""
        return str(exc)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _opt_int(value: object) -> int | None:
    # int() also turns numpy integers, which sqlite3 cannot bind, into plain ints.
    return None if value is None else int(value)  # type: ignore[call-overload]


def _verdict_value(verdict: str | Verdict) -> str:
    """Accept a Verdict, its value ("Mostly false") or its name ("mostly_false")."""
    if isinstance(verdict, Verdict):
        return verdict.value
    wanted = verdict.strip().lower().replace("_", " ").replace("-", " ")
    for v in Verdict:
        if wanted in (v.value.lower(), v.name.lower().replace("_", " ")):
            return v.value
    valid = ", ".join(repr(v.value) for v in Verdict)
    raise ValueError(f"unknown verdict {verdict!r}: expected one of {valid}")


def _article_params(digest: str, a: Article, now: str) -> tuple[object, ...]:
    quotes = [{"text": q.text, "speaker": q.speaker, "start": q.start, "end": q.end}
              for q in a.quotes]
    source = None if a.origin is None else str(a.origin)
    line = None if a.origin is None else _opt_int(a.origin.line)
    return (digest, a.id, a.title, a.body, a.author, a.outlet, a.date, a.url, source, line,
            _opt_int(a.label), _opt_int(a.fact_check_rating),
            json.dumps(quotes, ensure_ascii=False), now)


def _rating_params(digest: str, r: Rating, now: str) -> tuple[object, ...]:
    return (digest, float(r.p_true), _opt_int(r.truth_rating), r.verdict.value, r.label.value,
            r.model, _opt_int(r.fact_check_rating), signals_to_json(r.signals), now)


def _origin(source: str | None, line: int | None) -> Origin | None:
    """Undo str(Origin); the separate line column keeps 'host:8080'-style paths intact."""
    if source is None:
        return None
    if line is None:
        return Origin(path=source)
    suffix = f":{line}"
    path = source[: -len(suffix)] if source.endswith(suffix) else source
    return Origin(path=path, line=line)


def _from_row(row: Any) -> StoredArticle:
    quotes = tuple(Quote(text=q["text"], speaker=q["speaker"], start=q["start"], end=q["end"])
                   for q in json.loads(row["quotes_json"]))
    signals = signals_from_json(row["signals_json"])
    article = Article(
        id=row["id"], title=row["title"], body=row["body"], author=row["author"],
        outlet=row["outlet"], date=row["date"], url=row["url"],
        origin=_origin(row["source"], row["source_line"]), label=row["dataset_label"],
        fact_check_rating=row["article_fcr"], quotes=quotes)
    rating = Rating(
        p_true=row["p_true"], truth_rating=row["truth_rating"], verdict=Verdict(row["verdict"]),
        label=Label(row["label"]), signals=signals, model=row["model"],
        fact_check_rating=row["rating_fcr"])
    return StoredArticle(article=article, rating=rating, content_hash=row["content_hash"],
                         ingested_at=row["ingested_at"])
