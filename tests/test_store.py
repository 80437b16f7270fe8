"""Storage layer tests on real databases (no mocks): each runs on SQLite (a file, and :memory: where it
says so) and on PostgreSQL (tests named `sqlite` are about SQLite's files and stay SQLite-only)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import BACKENDS, raw_db, run_threads
from truthmeter.cli import main
from truthmeter.errors import StoreError
from truthmeter.store import LATEST_VERSION, SQLiteStore, SQLStore, Store, StoredArticle, content_hash, open_store
from truthmeter.store.dialect import POSTGRES, SQLITE
from truthmeter.store.migrations import MIGRATIONS
from truthmeter.types import Article, Label, Origin, Quote, RatedArticle, Rating, Signal, Verdict

SRC = Path(__file__).resolve().parents[1] / "src"


def rated(i: int, *, outlet: str | None = "Daily Example", verdict: Verdict = Verdict.MIXED,
          article_id: str | None = None, origin: Origin | None = None) -> RatedArticle:
    """A synthetic rated article whose content (and so hash) is unique per `i`."""
    body = f"Body of story {i}. \"A quote {i}\", said Someone."
    article = Article(
        id=article_id or f"a{i}", title=f"Story {i}", body=body, author="Reporter",
        outlet=outlet, date="2024-01-02", url=f"https://example.test/{i}",
        origin=origin or Origin(path="data/file.jsonl", line=i + 1), label=i % 2,
        fact_check_rating=None, quotes=(Quote(text=f"A quote {i}", speaker="Someone",
                                              start=len(f"Body of story {i}. \""), end=30),))
    rating = Rating(
        p_true=0.123456789 + (i % 7) / 10, truth_rating=i % 11, verdict=verdict,
        label=Label.FAKE if i % 2 else Label.REAL,
        signals=(Signal(name="bias", weight=-0.3333333333, text="shocking", start=3, end=11),
                 Signal(name="intercept", weight=0.25)),
        model="test-model-1")
    return RatedArticle(article=article, rating=rating)


@pytest.fixture(params=["sqlite-memory", *BACKENDS])
def store(request: pytest.FixtureRequest, fresh_db: Callable[[str], str]) -> Iterator[Store]:
    target = ":memory:" if request.param == "sqlite-memory" else fresh_db(request.param)
    s = open_store(target)
    yield s
    s.close()


def dialect_of(target: str):  # type: ignore[no-untyped-def]
    return POSTGRES if target.startswith("postgresql://") else SQLITE


def test_add_get_roundtrip(store: Store) -> None:
    items = [rated(i) for i in range(3)]
    assert store.add(items) == 3
    assert store.count() == 3
    got = store.get("a1")
    assert isinstance(got, StoredArticle)
    assert got.article == items[1].article
    assert got.rating == items[1].rating
    assert got.content_hash == content_hash("Story 1", items[1].article.body)
    assert got.ingested_at.endswith("+00:00")
    assert got.to_dict()["content_hash"] == got.content_hash


def test_get_by_hash_prefix_and_missing(store: Store) -> None:
    items = [rated(i) for i in range(20)]
    store.add(items)
    digest = content_hash(items[4].article.title, items[4].article.body)
    assert store.get(digest[:6]).article.id == "a4"
    assert store.get(digest.upper()).article.id == "a4"
    assert store.get(digest[:5]) is None  # too short to be a handle
    assert store.get("nope") is None
    assert store.get("") is None


def test_get_ambiguous_prefix_is_none(db_target: str) -> None:
    open_store(db_target).close()
    with raw_db(db_target) as conn:
        for digest in ("abcdef" + "0" * 58, "abcdef" + "1" * 58):
            conn.execute("INSERT INTO articles (content_hash, id, title, body, quotes_json, "
                         "ingested_at) VALUES (?, ?, 't', 'b', '[]', 'now')", (digest, digest[6:9]))
            conn.execute("INSERT INTO ratings (content_hash, p_true, truth_rating, verdict, label, "
                         "model, signals_json, rated_at) VALUES (?, 0.5, 5, 'Mixed', 'real', 'm', "
                         "'[]', 'now')", (digest,))
    with open_store(db_target) as store:
        assert store.get("abcdef") is None  # two matches: not a handle
        assert store.get("abcdef0").article.id == "000"
        assert store.get("ABCDEF1").article.id == "111"


def test_colliding_ids_get_newest(store: Store) -> None:
    store.add([rated(1, article_id="dup")])
    store.add([rated(2, article_id="dup")])
    assert store.count() == 2
    assert store.get("dup").article.title == "Story 2"


def test_list_order_paging_and_filters(store: Store) -> None:
    store.add([rated(i, outlet="Alpha" if i % 2 else "Beta",
                     verdict=Verdict.TRUE if i < 3 else Verdict.MOSTLY_FALSE) for i in range(10)])
    ids = [s.article.id for s in store.list()]
    assert ids == [f"a{i}" for i in range(9, -1, -1)]
    assert [s.article.id for s in store.list(limit=3, offset=2)] == ["a7", "a6", "a5"]
    assert [s.article.id for s in store.list(outlet="alpha")] == ["a9", "a7", "a5", "a3", "a1"]
    assert [s.article.id for s in store.list(verdict="True")] == ["a2", "a1", "a0"]
    assert len(store.list(verdict="mostly_false")) == 7
    assert [s.article.id for s in store.list(verdict="Mostly false", outlet="Beta")] == [
        "a8", "a6", "a4"]
    assert store.list(limit=0) == []
    with pytest.raises(ValueError, match="unknown verdict"):
        store.list(verdict="sort of")


def test_idempotent_add(store: Store) -> None:
    items = [rated(i) for i in range(3)]
    assert store.add(items) == 3
    first = store.get("a0")
    changed = [RatedArticle(article=it.article, rating=rated(99).rating) for it in items]
    assert store.add(changed) == 0
    assert store.count() == 3
    again = store.get("a0")
    assert again.rating == first.rating  # re-ingesting leaves the stored rating alone
    assert again.ingested_at == first.ingested_at


def test_duplicates_within_one_batch(store: Store) -> None:
    assert store.add([rated(1), rated(1), rated(2)]) == 2
    assert store.count() == 2
    assert store.add([]) == 0


def test_10k_idempotency(db_target: str) -> None:
    items = [rated(i) for i in range(10_000)]
    started = time.perf_counter()
    with open_store(db_target) as store:
        for _ in range(2):
            new = [store.add(items[k:k + 500]) for k in range(0, len(items), 500)]
        assert sum(new) == 0
        assert store.count() == 10_000
    assert time.perf_counter() - started < 20  # usually 1-3 s; generous for slow CI


def test_origin_roundtrip_edge_cases(store: Store) -> None:
    store.add([rated(1, origin=Origin(path="https://host:8080")),
               rated(2, origin=Origin(path="C:\\data\\x.csv", line=12)),
               rated(3, origin=Origin(path="-", line=None))])
    assert store.get("a1").article.origin == Origin(path="https://host:8080")
    assert store.get("a2").article.origin == Origin(path="C:\\data\\x.csv", line=12)
    assert store.get("a3").article.origin == Origin(path="-")


def test_sqlite_settings(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    assert isinstance(store, SQLiteStore) and isinstance(store, Store)
    conn = store._conn  # the settings live on the connection; nothing public exposes them
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store.schema_version() == LATEST_VERSION
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        store.count()


def test_open_store_defaults_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUTHMETER_DB", str(tmp_path / "env.db"))
    with open_store(None) as s:
        s.add([rated(1)])
    assert (tmp_path / "env.db").exists()
    monkeypatch.delenv("TRUTHMETER_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with open_store(None) as s:
        assert s.count() == 0
        assert Path(s.path).parent.is_dir() and str(tmp_path) in s.path


@pytest.mark.postgres
def test_truthmeter_db_may_be_a_postgres_url(fresh_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> None:
    from truthmeter.store.postgres import PostgresDesk, PostgresStore

    url = fresh_db("postgres")
    monkeypatch.setenv("TRUTHMETER_DB", url)
    with open_store(None) as s:
        assert isinstance(s, PostgresStore) and isinstance(s, Store) and isinstance(s.desk, PostgresDesk)
        assert s.add([rated(1)]) == 1 and s.schema_version() == LATEST_VERSION
    with open_store(url.replace("postgresql://", "postgres://")) as s:
        assert s.count() == 1
    s.close()  # idempotent
    with pytest.raises(StoreError) as info:
        s.count()
    assert str(info.value) == f"{s.url}: cannot count articles: the store is closed"


def test_postgres_without_psycopg_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the `postgres` extra were not installed
    hint = "PostgreSQL support is not installed: pip install 'truthmeter[postgres]'"
    for url in ("postgresql://user:secret@localhost/db", "postgres://localhost/db"):
        with pytest.raises(StoreError) as info:
            open_store(url)
        assert str(info.value) == hint
    result = CliRunner().invoke(main, ["list", "--db", "postgresql://user@localhost/db"])
    assert result.exit_code == 1 and result.stderr == f"error: {hint}\n"


@pytest.mark.postgres
def test_postgres_errors_are_one_line_and_hide_the_password(pg_server) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://editor:s3cret-pw@127.0.0.1:{port}/newsroom?password=other-s3cret&connect_timeout=3"
    with pytest.raises(StoreError) as info:
        open_store(url)
    msg = str(info.value)
    assert msg.startswith(f"postgresql://editor:***@127.0.0.1:{port}/newsroom?password=***") and "cannot connect" in msg
    assert "s3cret" not in msg and "\n" not in msg
    wrong_db = pg_server.url.rsplit("/", 1)[0] + "/no_such_database"
    with pytest.raises(StoreError, match='database "no_such_database" does not exist'):
        open_store(wrong_db)


@pytest.mark.postgres
def test_postgres_store_reconnects_after_the_server_drops_it(fresh_db: Callable[[str], str]) -> None:
    url = fresh_db("postgres")
    with open_store(url) as store:
        store.add([rated(1)])
        with store._db("find the session") as conn:  # the server-side session behind the store
            pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        with raw_db(url) as other:
            assert other.execute("SELECT pg_terminate_backend(?)", (pid,)).fetchone()[0] is True
        with pytest.raises(StoreError) as info:
            store.count()  # the use that meets the dropped connection fails, in one line
        assert str(info.value).startswith(f"{url}: cannot count articles: ") and "\n" not in str(info.value)
        assert store.count() == 1 and store.add([rated(2)]) == 1  # the next one reconnects


def test_mask_url() -> None:
    from truthmeter.store.postgres import mask_url

    assert mask_url("postgresql://u:p%40ss@h:5432/d?sslmode=require") == "postgresql://u:***@h:5432/d?sslmode=require"
    assert mask_url("postgresql://u@h/d") == "postgresql://u@h/d"
    assert mask_url("postgres:///d?host=/tmp&password=x") == "postgres:///d?host=/tmp&password=***"


def test_placeholders_are_rewritten_for_psycopg() -> None:
    from truthmeter.store.postgres import _pg_sql

    assert _pg_sql("SELECT a FROM t WHERE b = ? AND c LIKE ? ESCAPE '\\' AND d = '50%'") == (
        "SELECT a FROM t WHERE b = %s AND c LIKE %s ESCAPE '\\' AND d = '50%%'")
    with pytest.raises(ValueError, match="inside a string literal"):
        _pg_sql("SELECT '?' FROM t WHERE a = ?")


def test_nul_characters(store: Store) -> None:
    """PostgreSQL text cannot hold NUL: it is stored as U+FFFD there (SQLite keeps it)."""
    item = rated(1)
    odd = RatedArticle(article=replace(item.article, title="Odd\x00title", body=item.article.body + "\x00"),
                       rating=item.rating)
    assert store.add([odd]) == 1
    got = store.get("a1").article
    nul = "\ufffd" if isinstance(store, SQLStore) and store.dialect is POSTGRES else "\x00"
    assert (got.title, got.body) == (f"Odd{nul}title", item.article.body + nul)


def _make_v1(target: str) -> None:
    """A database as truthmeter's first schema version left it, holding one article."""
    with raw_db(target) as conn:
        dialect_of(target).run_script(conn, dict(dialect_of(target).migrations())[1])
        conn.execute("INSERT INTO schema_version (version) VALUES (1)")
        conn.execute(
            "INSERT INTO articles (content_hash, id, title, body, quotes_json, ingested_at) "
            "VALUES (?, 'old1', 'Old', 'Old body', '[]', '2024-01-01T00:00:00+00:00')",
            (content_hash("Old", "Old body"),))
        conn.execute(
            "INSERT INTO ratings (content_hash, p_true, truth_rating, verdict, label, model, "
            "signals_json, rated_at) VALUES (?, 0.9, 9, 'True', 'real', 'm0', "
            "'[{\"name\": \"x\", \"weight\": 1.5, \"text\": null, \"start\": null, \"end\": null}]', "
            "'2024-01-01T00:00:00+00:00')", (content_hash("Old", "Old body"),))


def _index_names(conn, target: str) -> set[str]:  # type: ignore[no-untyped-def]
    sql = ("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()" if target.startswith("postgresql://")
           else "SELECT name FROM sqlite_master WHERE type = 'index'")
    return {r[0] for r in conn.execute(sql).fetchall()}


def test_migrates_v1_database(db_target: str) -> None:
    _make_v1(db_target)
    with open_store(db_target) as store:
        assert store.schema_version() == LATEST_VERSION == 7
        old = store.get("old1")
        assert old.rating.verdict is Verdict.TRUE and old.rating.signals[0].weight == 1.5
        assert old.article.origin is None and old.article.quotes == ()
        assert store.add([rated(1)]) == 1
        assert store.count() == 2
    with raw_db(db_target) as conn:
        assert {"articles_outlet", "ratings_verdict"} <= _index_names(conn, db_target)
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1


def test_both_backends_have_the_same_migrations() -> None:
    assert [v for v, _ in SQLITE.migrations()] == [v for v, _ in POSTGRES.migrations()] == list(
        range(1, LATEST_VERSION + 1))
    assert SQLITE.migrations() is MIGRATIONS


def test_stores_opening_a_new_database_at_once_migrate_it_once(
        backend: str, fresh_db: Callable[[str], str]) -> None:
    """Eight stores open the same empty database at the same moment (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: an advisory lock): every one opens at the latest version, each migration ran once.
    Several rounds, each on a new database, because the races this guards against (WAL switch
    refused while another opener holds the file; the schema read between two snapshots) showed up
    in about one round in twenty."""
    for _ in range(20 if backend == "sqlite" else 5):
        target, barrier, opened = fresh_db(backend), threading.Barrier(8), []

        def open_one(_: int) -> None:
            barrier.wait()
            with open_store(target) as s:
                opened.append(s.schema_version())

        errors = run_threads(open_one, 8, timeout=60)
        assert errors == [] and opened == [LATEST_VERSION] * 8
        with raw_db(target) as conn:
            rows = conn.execute("SELECT version FROM schema_version").fetchall()
            assert [tuple(r) for r in rows] == [(LATEST_VERSION,)]


def test_newer_schema_is_refused(db_target: str) -> None:
    open_store(db_target).close()
    with raw_db(db_target) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError) as info:
        open_store(db_target)
    msg = str(info.value)
    assert msg.startswith(db_target) and "\n" not in msg
    assert (f"database schema version 99 is newer than this truthmeter ({LATEST_VERSION}): "
            "upgrade truthmeter") in msg


def test_foreign_database_is_refused(db_target: str) -> None:
    with raw_db(db_target) as conn:
        conn.execute("CREATE TABLE stuff (x INTEGER)")
    with pytest.raises(StoreError, match="not a truthmeter database") as info:
        open_store(db_target)
    assert "\n" not in str(info.value)


def test_sqlite_missing_directory_is_store_error(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "dir" / "x.db"
    with pytest.raises(StoreError, match="does not exist") as info:
        open_store(path)
    assert str(path) in str(info.value)
    assert not path.parent.exists()  # an explicit path never creates directories


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_sqlite_readonly_directory_is_store_error(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(StoreError) as info:
            open_store(ro / "x.db")
        assert str(ro / "x.db") in str(info.value)
    finally:
        ro.chmod(0o700)


def test_sqlite_junk_file_is_store_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite at all\x00\xff" * 100)
    with pytest.raises(StoreError, match="not a SQLite database") as info:
        open_store(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_sqlite_directory_is_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        open_store(tmp_path)


_WRITER = """
import itertools, sys
from truthmeter.store import open_store
from truthmeter.types import Article, Label, Rating, RatedArticle, Signal, Verdict
batch = int(sys.argv[2])
with open_store(sys.argv[1]) as store:
    for n in itertools.count():
        store.add([RatedArticle(
            Article(id=f"k{n}-{i}", title=f"T{n}-{i}", body="x" * 2000 + str(i)),
            Rating(0.5, 5, Verdict.MIXED, Label.REAL, (Signal("s", 0.1, "t" * 500),), "m"))
            for i in range(batch)])
"""


def test_sigkill_mid_ingest_leaves_whole_batches(db_target: str) -> None:
    batch = 400
    open_store(db_target).close()  # create the schema up front so the parent can poll at once
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, db_target, str(batch)], env=env,
                            stderr=subprocess.PIPE)
    try:
        with open_store(db_target) as watcher:
            deadline = time.monotonic() + 60
            while watcher.count() < 5 * batch:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "writer made no progress"
                time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    with open_store(db_target) as store:
        n = store.count()
        assert n >= 5 * batch and n % batch == 0
    with raw_db(db_target) as conn:
        if dialect_of(db_target) is SQLITE:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == n
        orphans = conn.execute("SELECT COUNT(*) FROM articles a LEFT JOIN ratings r "
                               "ON r.content_hash = a.content_hash WHERE r.content_hash IS NULL")
        assert orphans.fetchone()[0] == 0
