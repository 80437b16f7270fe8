"""'Not enough to judge' beyond the rating itself (tests/test_rating.py has the rule): an Unrated article
is stored and read back without a rating on every backend, migration 5 keeps what version 4 stored,
an Unrated article carries no weight in its story, a story with nothing rated is Unrated, the desk
queues it and will not publish it without an editor's rating, and the command line shows it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

import truthmeter
from conftest import BACKENDS, raw_db
from truthmeter.cli import main
from truthmeter.newsroom.queue import suspicion
from truthmeter.parse import extract_quotes
from truthmeter.store import LATEST_VERSION, SQLStore, Store, content_hash, open_store
from truthmeter.store.dialect import POSTGRES, SQLITE
from truthmeter.stories.evidence import find_evidence
from truthmeter.stories.outlets import TrackRecords
from truthmeter.stories.verdict import Member, fact_check_of, rate_story
from truthmeter.types import Article, Label, RatedArticle, Rating, Signal, Verdict

REASON = Signal("unrated", 0.0, text="too little text to judge: 1 word")
PUBLISH_REFUSED = "an Unrated story needs an editor's rating before it is published"


def unrated(key: str, title: str = "ok") -> RatedArticle:
    return RatedArticle(Article(id=key, title=title, body=""),
                        Rating(0.91, None, Verdict.UNRATED, Label.REAL, (REASON, Signal("x", 0.4)), "m"))


@pytest.fixture(params=["sqlite-memory", *BACKENDS])
def store(request: pytest.FixtureRequest, fresh_db: Callable[[str], str]) -> Iterator[Store]:
    s = open_store(":memory:" if request.param == "sqlite-memory" else fresh_db(request.param))
    yield s
    s.close()


def test_unrated_roundtrip(store: Store) -> None:
    item = unrated("u1")
    assert store.add([item]) == 1
    got = store.get("u1")
    assert got.rating == item.rating and got.rating.truth_rating is None
    assert [s.article.id for s in store.list(verdict="Unrated")] == ["u1"]
    assert store.list(verdict="True") == []  # never stored as True
    assert got.to_dict()["truth_rating"] is None


# ---- migration 5 ----

def _make_v4(target: str) -> str:
    """A database as schema version 4 left it: an article in a story with a fact-check, a published
    review, a correction and a tip. Returns the article's content hash."""
    dialect = POSTGRES if target.startswith("postgresql://") else SQLITE
    h = content_hash("Old", "Old body")
    with raw_db(target) as conn:
        for _, sql in dialect.migrations()[:4]:
            dialect.run_script(conn, sql)
        for sql, params in [
            ("INSERT INTO schema_version (version) VALUES (4)", ()),
            ("INSERT INTO articles (content_hash, id, title, body, quotes_json, ingested_at) "
             "VALUES (?, 'old1', 'Old', 'Old body', '[]', 'now')", (h,)),
            ("INSERT INTO ratings (content_hash, p_true, truth_rating, verdict, label, model, signals_json, rated_at) "
             "VALUES (?, 0.9, 9, 'True', 'real', 'm0', '[]', 'now')", (h,)),
            ("INSERT INTO stories (id, title, created_at, updated_at, last_seq, story_rating, verdict, signals_json) "
             "VALUES ('s1', 'Old', 'now', 'now', 1, 9, 'True', '[]')", ()),
            ("INSERT INTO story_articles (content_hash, story_id, stance, people_json, signature, evidence_json) "
             "VALUES (?, 's1', 'supports', '[]', ?, '{}')", (h, b"\x00")),
            ("INSERT INTO fact_checks (content_hash, story_id, rating, basis, title) VALUES (?, 's1', 9, 'rating', 'Old')",
             (h,)),
            ("INSERT INTO reviews (story_id, status, model_rating, final_rating, final_verdict, changed_at) "
             "VALUES ('s1', 'published', 9, 8, 'True', 'now')", ()),
            ("INSERT INTO corrections (story_id, previous_rating, new_rating, note, editor, at) "
             "VALUES ('s1', 9, 8, 'why', 'ana', 'now')", ()),
            ("INSERT INTO tips (content_hash, submitted_at) VALUES (?, 'now')", (h,)),
        ]:
            conn.execute(sql, params)
    return h


def test_migration_5_keeps_version_4_rows_and_allows_no_rating(db_target: str) -> None:
    """SQLite rebuilds ratings, stories and reviews: nothing referencing them may be lost (dropping the
    old stories table with foreign keys on would cascade-delete story_articles, fact-checks, reviews...)."""
    _make_v4(db_target)
    with open_store(db_target) as store:
        assert store.schema_version() == LATEST_VERSION == 7
        assert store.get("old1").rating.truth_rating == 9
        assert store.get_story("s1").story.story_rating == 9
        review = store.desk.review("s1")
        assert (review.model_rating, review.final_rating) == (9, 8)
        assert [c.new_rating for c in store.desk.corrections("s1")] == [8]
        assert store.add([unrated("u1")]) == 1 and store.get("u1").rating.truth_rating is None
        if isinstance(store, SQLStore) and store.dialect is SQLITE:  # foreign keys are back on, and enforced
            assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with raw_db(db_target) as conn:
        for table in ("story_articles", "fact_checks", "reviews", "corrections", "tips"):
            assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 1, table
        conn.execute("UPDATE stories SET story_rating = NULL, verdict = 'Unrated'")
        conn.execute("UPDATE reviews SET model_rating = NULL")
        sql = ("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()" if db_target.startswith("postgresql")
               else "SELECT name FROM sqlite_master WHERE type = 'index'")
        names = {r[0] for r in conn.execute(sql).fetchall()}
        assert {"ratings_verdict", "stories_last_seq", "stories_verdict", "reviews_status_changed"} <= names
    with open_store(db_target) as store:
        (story,) = store.list_stories()
        assert (story.story_rating, story.verdict) == (None, Verdict.UNRATED)
        assert store.desk.review("s1").model_rating is None


# ---- stories ----

def member(i: int, p: float, body: str, rating: int | None) -> Member:
    title = "Ivo Orlby And Marisol Vantreece Split"
    a = Article(id=f"a{i}", title=title, body=body, quotes=extract_quotes(body))
    ev = find_evidence(a)
    return Member(content_hash=f"h{i}", article_id=a.id, title=title, outlet=None, outlet_key=None, date=None,
                  order=i, p_true=p, truth_rating=rating, people=("ivo orlby", "marisol vantreece"), evidence=ev,
                  fact_check=fact_check_of(a, f"h{i}", ev))


def test_unrated_articles_carry_no_weight_in_a_story() -> None:
    records = TrackRecords.from_counts([])
    rated = member(1, 0.2, "The couple were seen arguing at a party, according to several guests there.", 2)
    alone = rate_story([rated], records)
    both = rate_story([rated, member(2, 0.97, "", None)], records)
    assert (both.rating, both.verdict, both.signals) == (alone.rating, alone.verdict, alone.signals) == (
        2, Verdict.FALSE, alone.signals)


def test_a_story_of_unrated_articles_is_unrated() -> None:
    verdict = rate_story([member(1, 0.97, "", None), member(2, 0.1, "", None)], TrackRecords.from_counts([]))
    assert (verdict.rating, verdict.verdict, verdict.fact_check_rating) == (None, Verdict.UNRATED, None)
    assert verdict.signals == (Signal("unrated", 0.0, text="no fact-check, and no article with enough text to "
                                                          "judge takes a side"),)


def test_unrated_story_is_stored_queued_and_needs_an_editor(db_target: str, tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("Star splits from husband, insider claims\n")
    with open_store(db_target) as store:
        assert truthmeter.ingest([str(tmp_path / "ok.txt")], store).new_stories == 1
        (story,) = store.list_stories()
        assert (story.story_rating, story.verdict) == (None, Verdict.UNRATED)
        assert store.list_stories(verdict="Unrated") == [story]
        assert store.outlet_counts() == []  # an Unrated story is no one's track record
        (item,) = store.desk.queue()  # ranked as if Mixed, in SQL as in Python
        assert item.story.id == story.id and item.suspicion == suspicion(None) == suspicion(5) == 0.5
        with pytest.raises(ValueError, match=f"^{PUBLISH_REFUSED}$"):
            store.desk.publish(story.id, editor="ana")
        store.desk.set_rating(story.id, 2, "Her rep denied it on the record.", editor="ana")
        review = store.desk.publish(story.id, editor="ana")
        assert (review.model_rating, review.final_rating, review.final_verdict) == (None, 2, Verdict.FALSE)
        assert [p.rating for p in store.desk.published()] == [2]


# ---- command line ----

@pytest.mark.usefixtures("clean_env")
def test_cli_shows_unrated(tmp_path: Path) -> None:
    runner = CliRunner()
    table = runner.invoke(main, ["rate", "-"], input="ok\n")
    assert table.exit_code == 0, table.output
    row = table.output.splitlines()[1].split()
    assert row[:6] == ["ok", "-", "-", "Unrated", "-", "Unrated,"]  # title, outlet, rating, verdict, story
    line = runner.invoke(main, ["rate", "--format", "jsonl", "-"], input="ok\n").output
    d = json.loads(line)
    assert (d["truth_rating"], d["verdict"], d["signals"][0]["name"], d["signals"][0]["text"]) == (
        None, "Unrated", "unrated", "too little text to judge: 1 word")
    db = str(tmp_path / "t.db")
    assert runner.invoke(main, ["ingest", "--db", db, "-"], input="ok\n").exit_code == 0
    shown = runner.invoke(main, ["show", "--db", db, d["id"]])
    assert "truth rating: - (Unrated)" in shown.output
    stories = runner.invoke(main, ["stories", "--db", db, "--format", "jsonl"]).output
    assert (json.loads(stories)["story_rating"], json.loads(stories)["verdict"]) == (None, "Unrated")
    assert runner.invoke(main, ["stories", "--db", db]).output.splitlines()[1].endswith("-    Unrated")


def test_replace_keeps_types() -> None:
    """A capped rating is an ordinary rating: dataclasses.replace round-trips it."""
    r = unrated("u").rating
    assert replace(r, truth_rating=7, verdict=Verdict.MOSTLY_TRUE).truth_rating == 7


def test_a_story_is_only_as_firm_as_its_articles_earned_ratings() -> None:
    # p_true 0.9 without evidence is shown as 7 (Mostly true): the story built on it says the same, not 9.
    records = TrackRecords.from_counts([])
    capped = member(1, 0.9, "The couple were seen at a party on Friday, and they looked happy together.", 7)
    verdict = rate_story([capped], records)
    assert (verdict.rating, verdict.verdict) == (7, Verdict.MOSTLY_TRUE)
    (signal,) = verdict.signals
    assert "rated 7/10 (p_true 0.90)" in (signal.text or "")
