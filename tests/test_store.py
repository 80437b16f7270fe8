"""Storage layer tests against real SQLite files and :memory: databases (no mocks)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from truthmeter.errors import StoreError
from truthmeter.store import LATEST_VERSION, SQLiteStore, Store, StoredArticle, content_hash, open_store
from truthmeter.store.migrations import MIGRATIONS, split_statements
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


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    target = ":memory:" if request.param == "memory" else tmp_path / "t.db"
    s = open_store(target)
    yield s
    s.close()


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


def test_get_ambiguous_prefix_is_none(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    open_store(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    for digest in ("abcdef" + "0" * 58, "abcdef" + "1" * 58):
        conn.execute("INSERT INTO articles (content_hash, id, title, body, quotes_json, "
                     "ingested_at) VALUES (?, ?, 't', 'b', '[]', 'now')", (digest, digest[6:9]))
        conn.execute("INSERT INTO ratings (content_hash, p_true, truth_rating, verdict, label, "
                     "model, signals_json, rated_at) VALUES (?, 0.5, 5, 'Mixed', 'real', 'm', "
                     "'[]', 'now')", (digest,))
    conn.close()
    with open_store(path) as store:
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


def test_10k_idempotency(tmp_path: Path) -> None:
    items = [rated(i) for i in range(10_000)]
    started = time.perf_counter()
    with open_store(tmp_path / "big.db") as store:
        for _ in range(2):
            new = [store.add(items[k:k + 500]) for k in range(0, len(items), 500)]
        assert sum(new) == 0
        assert store.count() == 10_000
    assert time.perf_counter() - started < 10  # usually ~1 s; generous for slow CI


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


def test_open_store_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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


def test_postgres_not_yet() -> None:
    with pytest.raises(StoreError, match="PostgreSQL support is not installed yet"):
        open_store("postgresql://user@localhost/db")


def _make_v1(path: Path) -> None:
    """A database as truthmeter's first schema version left it, holding one article."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in split_statements(dict(MIGRATIONS)[1]):
        conn.execute(statement)
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
    conn.close()


def test_migrates_v1_database(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    _make_v1(path)
    with open_store(path) as store:
        assert store.schema_version() == LATEST_VERSION == 3
        old = store.get("old1")
        assert old.rating.verdict is Verdict.TRUE and old.rating.signals[0].weight == 1.5
        assert old.article.origin is None and old.article.quotes == ()
        assert store.add([rated(1)]) == 1
        assert store.count() == 2
    conn = sqlite3.connect(path)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"articles_outlet", "ratings_verdict"} <= indexes
    assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1
    conn.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    open_store(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.close()
    with pytest.raises(StoreError) as info:
        open_store(path)
    msg = str(info.value)
    assert str(path) in msg and "\n" not in msg
    assert (f"database schema version 99 is newer than this truthmeter ({LATEST_VERSION}): "
            "upgrade truthmeter") in msg


def test_missing_directory_is_store_error(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "dir" / "x.db"
    with pytest.raises(StoreError, match="does not exist") as info:
        open_store(path)
    assert str(path) in str(info.value)
    assert not path.parent.exists()  # an explicit path never creates directories


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_readonly_directory_is_store_error(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(StoreError) as info:
            open_store(ro / "x.db")
        assert str(ro / "x.db") in str(info.value)
    finally:
        ro.chmod(0o700)


def test_junk_file_is_store_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite at all\x00\xff" * 100)
    with pytest.raises(StoreError, match="not a SQLite database") as info:
        open_store(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_directory_and_foreign_db_are_store_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        open_store(tmp_path)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE stuff (x)")
    conn.close()
    with pytest.raises(StoreError, match="not a truthmeter database"):
        open_store(other)


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


def test_sigkill_mid_ingest_leaves_whole_batches(tmp_path: Path) -> None:
    path, batch = tmp_path / "crash.db", 400
    open_store(path).close()  # create the schema up front so the parent can poll at once
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(batch)], env=env,
                            stderr=subprocess.PIPE)
    try:
        with open_store(path) as watcher:
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
    with open_store(path) as store:
        n = store.count()
        assert n >= 5 * batch and n % batch == 0
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == n
    orphans = conn.execute("SELECT COUNT(*) FROM articles a LEFT JOIN ratings r "
                           "ON r.content_hash = a.content_hash WHERE r.content_hash IS NULL")
    assert orphans.fetchone()[0] == 0
    conn.close()
