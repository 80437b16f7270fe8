"""The desk on real databases, each test on SQLite and on PostgreSQL: editors, tokens, sessions, reviews,
publishing, corrections, queue order, tips, full-text search (hostile queries included), fact-checks, the
audit log written in the same transaction as each change, migration 3 -> 4, and several threads sharing
one store."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from conftest import raw_db, run_threads
from truthmeter.errors import StoreError
from truthmeter.newsroom import (AuditAction, Desk, PublishedStory, QueueItem, Review, ReviewStatus, Tip,
                                 UnknownStory)
from truthmeter.newsroom.queue import suspicion
from truthmeter.rating import verdict_for
from truthmeter.store import LATEST_VERSION, SQLStore, Store, StoryLink, StoryUpdate, content_hash, open_store
from truthmeter.store.desk_sql import SQLDesk
from truthmeter.store.desk_sqlite import SQLiteDesk, fts_query
from truthmeter.store.dialect import POSTGRES
from truthmeter.stories.service import encode_array
from truthmeter.types import Article, FactCheck, Label, RatedArticle, Rating, Signal, Story, Verdict

HASH = "0" * 64  # a password hash stand-in: the desk stores what auth gives it, never checks it


def rated(key: str, *, title: str | None = None, body: str | None = None, url: str | None = None,
          outlet: str | None = "Daily Example", fc: int | None = None) -> RatedArticle:
    a = Article(id=key, title=title or f"Title {key}", body=body or f"Body of {key}.", outlet=outlet, url=url,
                fact_check_rating=fc)
    return RatedArticle(a, Rating(0.5, 5, Verdict.MIXED, Label.REAL, (Signal("s", 0.5),), "m", fc))


def digest(item: RatedArticle) -> str:
    return content_hash(item.article.title, item.article.body)


def add_story(store: Store, story_id: str, rating: int, *members: RatedArticle,
              stances: tuple[str, ...] = (), fact_check: RatedArticle | None = None) -> None:
    """Store `members` as one story rated `rating` (stance 'supports' unless given), and a fact-check."""
    stances = stances or ("supports",) * len(members)
    links = tuple(StoryLink(digest(m), story_id, st, ("ivo orlby",), None, encode_array(np.arange(4, dtype=np.uint64)),
                            None, None, "{}") for m, st in zip(members, stances))
    checks = () if fact_check is None else (FactCheck(digest(fact_check), fact_check.article.id, rating, "rating",
                                                      fact_check.article.title, url=fact_check.article.url,
                                                      story_id=story_id),)
    story = Story(story_id, f"Story {story_id}", rating, verdict_for(rating), (Signal("s", 0.1),))
    store.add(list(members), StoryUpdate(stories=(story,), links=links, fact_checks=checks))


@pytest.fixture
def store(db_target: str) -> Iterator[SQLStore]:
    s = open_store(db_target)
    assert isinstance(s, SQLStore)
    yield s
    s.close()


@pytest.fixture
def desk(store: SQLStore) -> SQLDesk:
    return store.desk


def is_postgres(store: SQLStore) -> bool:
    return store.dialect is POSTGRES


def actions(desk: Desk) -> list[AuditAction]:
    """The audit log's actions, oldest first."""
    return [e.action for e in reversed(desk.audit(limit=1000))]


def test_desk_is_part_of_the_store(store: SQLStore) -> None:
    assert isinstance(store, Store) and isinstance(store.desk, Desk)
    assert isinstance(store.desk, SQLDesk) and (isinstance(store.desk, SQLiteDesk) != is_postgres(store))
    assert store.desk is store.desk
    assert store.schema_version() == LATEST_VERSION == 7


# ---- editors, tokens, sessions ----

def test_users(desk: SQLDesk) -> None:
    user = desk.add_user("alice", HASH)
    assert user.name == "alice" and user.created_at.endswith("+00:00")
    desk.add_user("bob.k-2", "other-hash", actor="alice")
    assert [u.name for u in desk.users()] == ["alice", "bob.k-2"]
    assert desk.password_hash("alice") == HASH and desk.password_hash("nobody") is None
    for taken in ("alice", "ALICE"):
        with pytest.raises(StoreError) as info:
            desk.add_user(taken, HASH)
        assert str(info.value) == f"user {taken} already exists"
    for bad in ("", "a b", "token:x", "-lead", "x" * 65, "名前"):
        with pytest.raises(ValueError, match="is not 1-64 letters"):
            desk.add_user(bad, HASH)
    (second, first) = desk.audit()
    assert (first.actor, first.action, first.target) == ("cli", AuditAction.USER_ADDED, "alice")
    assert (second.actor, second.target) == ("alice", "bob.k-2")


def test_tokens(desk: SQLDesk, store: SQLStore) -> None:
    desk.add_user("alice", HASH)
    with pytest.raises(StoreError, match="^no user bob$"):
        desk.add_token("h1", "ci", "bob")
    token = desk.add_token("h1", "ci", "alice")
    assert (token.id, token.name, token.user, token.last_used_at, token.revoked_at) == (1, "ci", "alice", None, None)
    assert desk.token_user("h1") == "alice" and desk.token_user("h2") is None
    assert desk.tokens()[0].last_used_at is not None  # its use is noted
    assert desk.revoke_token(1, actor="alice") is True
    assert desk.token_user("h1") is None
    assert desk.revoke_token(1, actor="alice") is False and desk.revoke_token(99, actor="alice") is False
    assert desk.tokens()[0].revoked_at is not None  # revoked tokens stay listed
    assert actions(desk) == [AuditAction.USER_ADDED, AuditAction.TOKEN_CREATED, AuditAction.TOKEN_REVOKED]
    created = desk.audit()[1]
    assert created.target == "1" and created.detail == {"name": "ci", "user": "alice"}
    with pytest.raises(StoreError, match="(?i)unique"):
        desk.add_token("h1", "again", "alice")  # a hash collision is refused, not silently shared
    assert len(desk.audit(limit=1000)) == 3


def test_sessions(desk: SQLDesk) -> None:
    desk.add_user("alice", HASH)
    later = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    desk.add_session("s1", "alice", "csrf1", later)
    got = desk.session("s1")
    assert got is not None and (got.user, got.csrf) == ("alice", "csrf1")
    assert desk.session("nope") is None
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
    desk.add_session("old", "alice", "csrf2", past)
    assert desk.session("old") is None  # expired
    with pytest.raises(ValueError, match="without a timezone"):
        desk.add_session("s3", "alice", "c", "2030-01-01T00:00:00")
    with pytest.raises(StoreError, match="^no user bob$"):
        desk.add_session("s4", "bob", "c", later)
    desk.end_session("s1")
    desk.end_session("s1")  # a second logout is nothing to log
    assert desk.session("s1") is None
    assert actions(desk) == [AuditAction.USER_ADDED, AuditAction.LOGIN, AuditAction.LOGIN, AuditAction.LOGOUT]


# ---- reviews, publishing, corrections ----

def test_set_rating_reviews_and_refuses_bad_input(desk: SQLDesk, store: SQLStore) -> None:
    add_story(store, "story-one", 3, rated("a"))
    with pytest.raises(UnknownStory) as info:
        desk.set_rating("nope", 5, "n", editor="alice")
    assert str(info.value) == "no story nope" and isinstance(info.value, StoreError)
    for bad in (11, -1, True, 5.5, "5", None):
        with pytest.raises(ValueError, match="rating must be a whole number from 0 to 10"):
            desk.set_rating("story-one", bad, "n", editor="alice")  # type: ignore[arg-type]
    assert desk.audit() == [] and desk.review("story-one") is None
    review = desk.set_rating("story-o", 8, "  checked with the label  ", editor="alice")  # a unique prefix works
    assert review == desk.review("story-one")
    assert (review.status, review.model_rating, review.final_rating, review.final_verdict, review.note,
            review.editor, review.published_at) == (ReviewStatus.REVIEWED, 3, 8, Verdict.TRUE, "checked with the label",
                                                     "alice", None)
    again = desk.set_rating("story-one", 2, "", editor="bob")  # before publication: no correction, note optional
    assert (again.final_rating, again.note, again.editor) == (2, None, "bob")
    assert desk.corrections("story-one") == [] and desk.count_published() == 0
    (last, first) = desk.audit()
    assert (first.action, first.actor, first.target, first.detail) == (
        AuditAction.REVIEW, "alice", "story-one", {"rating": 8, "model_rating": 3, "note": "checked with the label"})
    assert last.detail["rating"] == 2


def test_publish_correct_unpublish(desk: SQLDesk, store: SQLStore) -> None:
    add_story(store, "s1", 3, rated("a"))
    published = desk.publish("s1", editor="alice")
    # No editor rating: the model's is frozen as the final one.
    assert (published.status, published.final_rating, published.final_verdict) == (ReviewStatus.PUBLISHED, 3,
                                                                                    Verdict.MOSTLY_FALSE)
    assert published.published_at is not None and published.reviewed_at is not None
    assert desk.publish("s1", editor="bob") == published  # already published: nothing changes
    assert actions(desk) == [AuditAction.PUBLISH]
    with pytest.raises(ValueError, match="needs a note"):
        desk.set_rating("s1", 1, "   ", editor="alice")
    assert desk.review("s1") == published and desk.corrections("s1") == [] and len(desk.audit()) == 1
    corrected = desk.set_rating("s1", 1, "the label denied it", editor="bob")
    assert (corrected.status, corrected.final_rating, corrected.published_at) == (ReviewStatus.PUBLISHED, 1,
                                                                                   published.published_at)
    desk.set_rating("s1", 0, "a court filing", editor="alice")
    fixes = desk.corrections("s1")
    assert [(c.previous_rating, c.new_rating, c.note, c.editor) for c in fixes] == [
        (3, 1, "the label denied it", "bob"), (1, 0, "a court filing", "alice")]
    assert desk.audit()[0].detail == {"previous_rating": 1, "rating": 0, "note": "a court filing"}
    down = desk.unpublish("s1", editor="alice")
    assert down.status is ReviewStatus.UNPUBLISHED and desk.published() == [] and desk.count_published() == 0
    assert desk.unpublish("s1", editor="alice") == down  # not published: nothing to do
    desk.set_rating("s1", 4, "reviewed again", editor="alice")  # not published: a review, not a correction
    assert len(desk.corrections("s1")) == 2 and desk.review("s1").status is ReviewStatus.REVIEWED
    again = desk.publish("s1", editor="bob")
    assert (again.final_rating, again.published_at, again.editor) == (4, published.published_at, "bob")
    assert actions(desk) == [AuditAction.PUBLISH, AuditAction.CORRECTION, AuditAction.CORRECTION,
                             AuditAction.UNPUBLISH, AuditAction.REVIEW, AuditAction.PUBLISH]
    with pytest.raises(UnknownStory):
        desk.publish("s2", editor="alice")
    with pytest.raises(UnknownStory):
        desk.unpublish("s2", editor="alice")
    assert len(desk.audit(limit=1000)) == 6


def test_unpublish_of_an_unreviewed_story_changes_nothing(desk: SQLDesk, store: SQLStore) -> None:
    add_story(store, "s1", 6, rated("a"))
    assert desk.unpublish("s1", editor="alice") == Review("s1", ReviewStatus.UNREVIEWED, 6)
    assert desk.review("s1") is None and desk.audit() == []


def test_published_stories_with_corrections_and_appearances(desk: SQLDesk, store: SQLStore) -> None:
    add_story(store, "s1", 2, rated("a", url="https://gossip.example/a"), rated("b", url="javascript:alert(1)"),
              rated("c", url="https://denial.example/c"), rated("d", url="https://gossip.example/a"), rated("e"),
              rated("f", url="https://factcheck.example/f", fc=2),
              stances=("supports", "supports", "contradicts", "supports", "supports", "supports"),
              fact_check=rated("f", url="https://factcheck.example/f", fc=2))
    add_story(store, "s2", 9, rated("g", url="http://other.example/g"))
    add_story(store, "s3", 5, rated("h"))
    desk.publish("s1", editor="alice")
    desk.publish("s2", editor="alice")
    assert [p.story.id for p in desk.published()] == ["s2", "s1"]  # most recently changed first
    desk.set_rating("s1", 1, "fact-checked", editor="bob")
    items = desk.published()
    assert [p.story.id for p in items] == ["s1", "s2"] and desk.count_published() == 2
    s1 = items[0]
    assert isinstance(s1, PublishedStory) and s1.story.article_ids == ("a", "b", "c", "d", "e", "f")
    assert (s1.rating, s1.verdict, s1.review.editor) == (1, Verdict.FALSE, "bob")
    # Supporting articles only, web URLs only, each once: not the denial, the fact-check or javascript:.
    assert s1.appearances == ("https://gossip.example/a",)
    assert [(c.previous_rating, c.new_rating) for c in s1.corrections] == [(2, 1)]
    assert items[1].appearances == ("http://other.example/g",) and items[1].corrections == ()
    assert [p.story.id for p in desk.published(limit=1, offset=1)] == ["s2"]
    with pytest.raises(ValueError, match="limit and offset"):
        desk.published(limit=-1)


FAILING_AUDIT = {  # a trigger refusing every audit row, in each backend's spelling
    "sqlite": ["CREATE TRIGGER audit_full BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit full'); END"],
    "postgres": ["CREATE FUNCTION audit_full() RETURNS trigger LANGUAGE plpgsql AS "
                 "$f$ BEGIN RAISE EXCEPTION 'audit full'; END $f$",
                 "CREATE TRIGGER audit_full BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_full()"]}


def test_a_change_and_its_audit_row_commit_together(desk: SQLDesk, store: SQLStore, backend: str,
                                                    db_target: str) -> None:
    add_story(store, "s1", 3, rated("a"))
    desk.publish("s1", editor="alice")
    with raw_db(db_target) as conn:
        for statement in FAILING_AUDIT[backend]:
            conn.execute(statement)
    try:
        with pytest.raises(StoreError, match="cannot set rating: audit full"):
            desk.set_rating("s1", 9, "a correction that cannot be logged", editor="bob")
        with pytest.raises(StoreError, match="audit full"):
            desk.add_user("carol", HASH)
        with pytest.raises(StoreError, match="audit full"):
            desk.unpublish("s1", editor="bob")
    finally:
        with raw_db(db_target) as conn:
            conn.execute("DROP TRIGGER audit_full" + (" ON audit_log" if backend == "postgres" else ""))
    review = desk.review("s1")
    assert review is not None and (review.status, review.final_rating) == (ReviewStatus.PUBLISHED, 3)
    assert desk.corrections("s1") == [] and desk.users() == []
    assert actions(desk) == [AuditAction.PUBLISH]


# ---- queue and tips ----

def test_queue_order_tips_and_contradictions(desk: SQLDesk, store: SQLStore) -> None:
    add_story(store, "low", 1, rated("a"))
    add_story(store, "high", 9, rated("b"))
    add_story(store, "mid-old", 5, rated("c"))
    add_story(store, "mid-new", 5, rated("d"))
    add_story(store, "denied", 5, rated("e"), rated("f"), stances=("supports", "contradicts"))
    add_story(store, "done", 0, rated("g"))
    desk.set_rating("done", 0, "", editor="alice")  # reviewed: out of the queue
    assert [q.story.id for q in desk.queue()] == ["low", "denied", "mid-new", "mid-old", "high"]
    assert desk.count_queue() == 5
    for _ in range(3):
        tip = desk.add_tip(digest(rated("b")), "  the label says this is invented  ")
    assert isinstance(tip, Tip) and (tip.story_id, tip.article_id, tip.note) == ("high", "b",
                                                                                 "the label says this is invented")
    items = desk.queue()
    assert [q.story.id for q in items] == ["low", "denied", "high", "mid-new", "mid-old"]
    first, high = items[0], items[2]
    assert isinstance(first, QueueItem) and first.suspicion == pytest.approx(0.9) and first.tips == 0
    assert high.tips == 3 and high.suspicion == pytest.approx(1 - 0.9 * 0.8 ** 3) and high.review is None
    assert items[1].suspicion == pytest.approx(1 - 0.5 * 0.9)
    assert [q.story.id for q in desk.queue(limit=2, offset=1)] == ["denied", "high"]
    assert (suspicion(10), suspicion(0), suspicion(10, tips=1)) == (0.0, 1.0, pytest.approx(0.2))


def test_tips(desk: SQLDesk, store: SQLStore) -> None:
    add_story(store, "s1", 4, rated("a"))
    loose = rated("loose")
    store.add([loose])  # stored, in no story
    with pytest.raises(StoreError, match="^no stored article f+$"):
        desk.add_tip("f" * 64, None)
    first = desk.add_tip(digest(rated("a")), "")
    second = desk.add_tip(digest(loose), "see this")
    assert (first.note, first.story_id, second.story_id) == (None, "s1", None)
    assert desk.tips() == [second, first] and desk.tips("s1") == [first] and desk.tips("nope") == []
    assert desk.tips(limit=1) == [second]
    entries = desk.audit()
    assert [(e.actor, e.action, e.target) for e in entries] == [("reader", AuditAction.TIP, digest(loose)),
                                                                ("reader", AuditAction.TIP, "s1")]
    assert entries[0].detail == {"tip": second.id, "content_hash": digest(loose), "note": "see this"}


# ---- search, fact-checks, audit ----

HOSTILE = ['"', '""', '*', 'NEAR(', 'NEAR', '-', '- -', 'a OR', 'AND', 'NOT x', '"unbalanced', 'title:x', '^x',
           '()', ')', '\x00', 'x\x00y', '{title body}:x', "'; DROP TABLE articles; --", '🙂', 'x*', '+', 'a:b:c',
           'é', '\\', '%', '_']


def search_corpus(store: SQLStore) -> None:
    add_story(store, "khloe", 2, rated("a", title="Khloé Vantreece secretly engaged?!",
                                       body="Insiders whisper that the Moonwater star is engaged."))
    add_story(store, "ivo", 8, rated("b", title="Ivo Orlby joins Moonwater", body="A representative confirmed it."),
              rated("c", title="Moonwater casting news", body="Orlby, Orlby and Orlby: the cast grows."))
    add_story(store, "other", 5, rated("d", title="Weather", body="Rain NEAR the coast; \"quotes\" * stars - minus."))


def test_search(desk: SQLDesk, store: SQLStore, request: pytest.FixtureRequest) -> None:
    search_corpus(store)
    assert [s.id for s in desk.search("moonwater")] != []
    assert {s.id for s in desk.search("Moonwater")} == {"khloe", "ivo"} and desk.count_search("moonwater") == 2
    if not is_postgres(store) or request.getfixturevalue("pg_server").unaccent:
        assert [s.id for s in desk.search("khloe")] == ["khloe"]  # accents ignored
    assert [s.id for s in desk.search("khloé")] == ["khloe"]
    assert [s.id for s in desk.search("VANTREECE engaged")] == ["khloe"]  # every word, any case
    assert desk.search("vantreece orlby") == []
    assert [s.id for s in desk.search("orlby")] == ["ivo"]  # a story once, however many of its articles match
    assert [s.id for s in desk.search("near coast")] == ["other"]  # NEAR is a word here, not an operator
    found = desk.search("orlby")[0]
    assert isinstance(found, Story) and found.article_ids == ("b", "c") and found.story_rating == 8
    assert [s.id for s in desk.search("moonwater", limit=1, offset=1)] != [s.id for s in desk.search("moonwater",
                                                                                                      limit=1)]
    for blank in ("", "   ", "\n\t"):
        assert desk.search(blank) == [] and desk.count_search(blank) == 0


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_search_queries_never_raise(desk: SQLDesk, store: SQLStore, query: str) -> None:
    search_corpus(store)
    found = desk.search(query)
    assert isinstance(found, list) and desk.count_search(query) == len(found)
    assert desk.search(query + " orlby") in ([], desk.search("orlby"))


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('say "hi" NEAR(x) -y *') == '"say" """hi""" "NEAR(x)" "-y"'
    assert fts_query("  * - ") is None and fts_query("") is None


def test_fact_checks_newest_first(desk: SQLDesk, store: SQLStore) -> None:
    first, second = rated("fc1", fc=1, url="https://fc.example/1"), rated("fc2", fc=9)
    add_story(store, "s1", 1, first, fact_check=first)
    add_story(store, "s2", 9, second, fact_check=second)
    checks = desk.fact_checks()
    assert [(c.article_id, c.rating, c.story_id, c.url) for c in checks] == [
        ("fc2", 9, "s2", None), ("fc1", 1, "s1", "https://fc.example/1")]
    assert desk.count_fact_checks() == 2 and [c.article_id for c in desk.fact_checks(limit=1, offset=1)] == ["fc1"]


def test_audit_log_paging_and_log(desk: SQLDesk) -> None:
    for i in range(5):
        desk.log(f"editor{i}", AuditAction.LOGIN, None, {"n": i, "text": "é"})
    entries = desk.audit(limit=2, offset=1)
    assert [(e.actor, e.detail) for e in entries] == [("editor3", {"n": 3, "text": "é"}), ("editor2", {"n": 2,
                                                                                                       "text": "é"})]
    assert entries[0].id > entries[1].id and desk.count_audit() == 5 and entries[0].target is None


def test_story_exists_and_review_of_unknown(desk: SQLDesk, store: SQLStore) -> None:
    add_story(store, "abc123", 7, rated("a"))
    assert desk.story_exists("abc").id == "abc123"  # type: ignore[union-attr]
    assert desk.story_exists("zzz") is None and desk.story_exists("") is None
    assert desk.review("zzz") is None and desk.corrections("zzz") == []


# ---- migration, thread safety ----

def test_migrates_a_v3_database_and_indexes_its_articles(store_dialect_target: tuple) -> None:
    """Articles and a story stored by a v3 truthmeter are kept, and searchable after migration 4; the
    index keeps in step with inserts, updates and deletes (SQLite: triggers; PostgreSQL: a generated column)."""
    dialect, target = store_dialect_target
    body = "The Copper Crown premiere drew a record crowd."
    with raw_db(target) as conn:
        for _, sql in dialect.migrations()[:3]:
            dialect.run_script(conn, sql)
        conn.execute("INSERT INTO schema_version (version) VALUES (3)")
        conn.execute("INSERT INTO articles (content_hash, id, title, body, quotes_json, ingested_at) "
                     "VALUES (?, 'old1', 'Premiere night', ?, '[]', '2024-01-01T00:00:00+00:00')",
                     (content_hash("Premiere night", body), body))
        conn.execute("INSERT INTO ratings (content_hash, p_true, truth_rating, verdict, label, model, signals_json, "
                     "rated_at) VALUES (?, 0.9, 9, 'True', 'real', 'm0', '[]', 'now')",
                     (content_hash("Premiere night", body),))
        conn.execute("INSERT INTO stories (id, title, created_at, updated_at, last_seq, story_rating, verdict, "
                     "signals_json) VALUES ('old-story', 'Premiere night', 'now', 'now', 1, 9, 'True', '[]')")
        conn.execute("INSERT INTO story_articles (content_hash, story_id, stance, people_json, signature, "
                     "evidence_json) VALUES (?, 'old-story', 'supports', '[]', ?, '{}')",
                     (content_hash("Premiere night", body), b"\x00"))
    with open_store(target) as store:
        assert store.schema_version() == LATEST_VERSION and store.count() == 1
        assert store.get("old1").article.body == body
        assert [s.id for s in store.desk.search("copper crown")] == ["old-story"]  # indexed by the migration
        add_story(store, "new", 4, rated("n", title="Copper Crown sequel"))  # new rows indexed as they come
        assert {s.id for s in store.desk.search("copper crown")} == {"old-story", "new"}
        assert [q.story.id for q in store.desk.queue()] == ["new", "old-story"]
    with raw_db(target) as conn:
        if dialect is POSTGRES:
            names = {r[0] for r in conn.execute("SELECT relname FROM pg_class c JOIN pg_namespace n "
                                                "ON n.oid = c.relnamespace WHERE n.nspname = current_schema()")}
            expected = {"articles_search"}
        else:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            expected = {"articles_fts", "articles_fts_insert", "articles_fts_delete", "articles_fts_update"}
        assert {"users", "api_tokens", "sessions", "reviews", "corrections", "audit_log", "tips", *expected} <= names
        conn.execute("UPDATE articles SET title = 'Renamed gala' WHERE id = 'old1'")
        conn.execute("DELETE FROM articles WHERE id = 'n'")
    with open_store(target) as store:
        assert [s.id for s in store.desk.search("gala")] == ["old-story"]
        assert store.desk.search("night") == [] and store.desk.search("sequel") == []


@pytest.fixture
def store_dialect_target(backend: str, db_target: str) -> tuple:
    """(the backend's Dialect, an empty database of it)."""
    from truthmeter.store.dialect import SQLITE

    return (POSTGRES if backend == "postgres" else SQLITE), db_target


def test_threads_share_one_store(store: SQLStore) -> None:
    """Writers and readers on 8 threads: no error, nothing lost, every change audited."""
    add_story(store, "s0", 5, rated("base"))
    store.desk.add_user("alice", HASH)

    def work(n: int) -> None:
        for i in range(15):
            key = f"t{n}-{i}"
            add_story(store, key, i % 11, rated(key))
            store.desk.set_rating(key, (i + n) % 11, f"note {i}", editor="alice")
            store.desk.add_tip(digest(rated("base")), None)
            store.desk.queue(limit=5)
            store.desk.search("body")
            store.list_stories(limit=5)
            list(store.story_links())

    assert run_threads(work, 8) == []
    assert store.count_stories() == 1 + 8 * 15 and store.count() == 1 + 8 * 15
    assert store.desk.count_queue() == 1 and len(store.desk.tips(limit=1000)) == 8 * 15
    assert store.desk.count_audit() == 1 + 2 * 8 * 15


def test_a_half_read_story_links_generator_does_not_block_other_threads(store: SQLStore) -> None:
    for i in range(3):
        add_story(store, f"s{i}", 5, rated(f"a{i}"))
    links = store.story_links()
    assert next(links).story_id == "s0"
    counted: list[int] = []
    reader = threading.Thread(target=lambda: counted.append(store.count()))
    reader.start()
    reader.join(timeout=10)
    assert counted == [3]
    assert [x.story_id for x in links] == ["s1", "s2"]


def test_a_very_long_article_is_stored_and_searchable(desk: SQLDesk, store: SQLStore) -> None:
    """Two megabytes of distinct words: more than a PostgreSQL tsvector holds, so only its start is
    indexed there; it must still be stored whole, and found by its opening words."""
    words = [f"w{i:07d}x" for i in range(200_000)]
    add_story(store, "long", 5, rated("long", title="Longread", body="Opening paragraph " + " ".join(words)))
    assert len(store.get("long").article.body) > 2_000_000
    assert [s.id for s in desk.search("opening paragraph")] == ["long"]
    assert [s.id for s in desk.search("w0000001x")] == ["long"]


def test_writers_on_their_own_connections_take_turns(store: SQLStore, db_target: str) -> None:
    """Four stores (four connections, as four processes would have) correct one published story at once:
    each correction reads the review another may be changing, so writers must take turns (SQLite: BEGIN
    IMMEDIATE; PostgreSQL: an advisory lock). Every correction then starts from the one before it."""
    add_story(store, "s1", 5, rated("a"))
    store.desk.publish("s1", editor="alice")
    others = [open_store(db_target) for _ in range(4)]

    def work(n: int) -> None:
        for i in range(10):
            others[n].desk.set_rating("s1", (3 * n + i) % 11, f"fix {n}-{i}", editor=f"editor{n}")

    errors = run_threads(work, 4)
    for other in others:
        other.close()
    assert errors == []
    fixes = store.desk.corrections("s1")
    assert len(fixes) == 40 and fixes[0].previous_rating == 5
    assert all(before.new_rating == after.previous_rating for before, after in zip(fixes, fixes[1:]))
    assert store.desk.review("s1").final_rating == fixes[-1].new_rating  # type: ignore[union-attr]


# --- the verdict in prose, reviews and stories by id, an outlet's record (migration 7) ------------------

def test_the_verdict_in_prose_is_written_kept_and_audited(desk: SQLDesk, store: SQLStore) -> None:
    add_story(store, "s1", 2, rated("a"))
    assert desk.set_summary("s1", "  ", editor="alice") == Review("s1", ReviewStatus.UNREVIEWED, 2)  # nothing to do
    assert desk.review("s1") is None and desk.audit() == []
    written = desk.set_summary("s1", "The label denied it on the record.\n  Twice.", editor="alice")
    assert (written.status, written.summary, written.summary_by) == (ReviewStatus.UNREVIEWED,
                                                                     "The label denied it on the record. Twice.", "alice")
    assert [q.story.id for q in desk.queue()] == ["s1"]  # an UNREVIEWED review stays in the queue
    assert desk.set_summary("s1", "The label denied it on the record. Twice.", editor="bob") == written  # no change
    # Rating, publishing and correcting keep the text; the change time is the desk's, not the prose's.
    desk.set_rating("s1", 1, "denied", editor="bob")
    published = desk.publish("s1", editor="bob")
    assert (published.summary, published.summary_by) == (written.summary, "alice")
    reworded = desk.set_summary("s1", "Denied twice.", editor="bob")
    assert reworded.changed_at == published.changed_at and reworded.status is ReviewStatus.PUBLISHED
    assert desk.set_rating("s1", 0, "a court filing", editor="bob").summary == "Denied twice."
    assert desk.published()[0].review.summary == "Denied twice."
    cleared = desk.set_summary("s1", "", editor="alice")
    assert (cleared.summary, cleared.summary_by) == (None, None)
    entries = [e for e in reversed(desk.audit(limit=100)) if e.action is AuditAction.SUMMARY]
    assert [(e.actor, e.target, e.detail) for e in entries] == [
        ("alice", "s1", {"previous": None, "summary": "The label denied it on the record. Twice."}),
        ("bob", "s1", {"previous": "The label denied it on the record. Twice.", "summary": "Denied twice."}),
        ("alice", "s1", {"previous": "Denied twice.", "summary": None})]
    with pytest.raises(ValueError, match="at most 1000 characters"):
        desk.set_summary("s1", "x" * 1001, editor="alice")
    with pytest.raises(UnknownStory):
        desk.set_summary("nope", "text", editor="alice")


def test_reviews_and_stories_by_id(desk: SQLDesk, store: SQLStore) -> None:
    add_story(store, "s1", 2, rated("a"))
    add_story(store, "s2", 8, rated("b"))
    desk.publish("s2", editor="alice")
    assert set(desk.reviews(["s1", "s2", "nope"])) == {"s2"}
    assert desk.reviews(["s2"])["s2"].status is ReviewStatus.PUBLISHED and desk.reviews([]) == {}
    stories = desk.stories(["s1", "s2", "s1", "nope"])
    assert sorted(stories) == ["s1", "s2"] and stories["s1"].title == "Story s1"


def test_an_outlets_history_is_its_told_stories_oldest_first(desk: SQLDesk, store: SQLStore) -> None:
    def told(story_id: str, rating: int, *members: tuple[str, str | None, str], outlet: str = "Glitz Daily") -> None:
        """A story of articles (key, date, stance) from `outlet`, linked with its outlet key as ingest does."""
        items = [RatedArticle(Article(id=k, title=f"Title {k}", body=f"Body of {k}.", outlet=outlet, date=d),
                              rated(k).rating) for k, d, _ in members]
        links = tuple(StoryLink(digest(m), story_id, st, (), d, encode_array(np.arange(4, dtype=np.uint64)), None,
                                outlet.lower(), "{}") for m, (_, d, st) in zip(items, members))
        story = Story(story_id, f"Story {story_id}", rating, verdict_for(rating), (Signal("s", 0.1),))
        store.add(items, StoryUpdate(stories=(story,), links=links))

    told("s1", 1, ("a", "2026-01-05", "supports"), ("b", "2026-03-01", "supports"))
    told("s2", 9, ("c", None, "supports"))
    told("s3", 2, ("d", "2026-02-01", "contradicts"))  # printed a denial: did not tell it
    told("s4", 3, ("e", "2026-02-10", "supports"), outlet="Other Outlet")
    history = desk.outlet_history("GLITZ DAILY")
    assert [(h.story_id, h.date, h.story_rating, h.verdict) for h in history] == [
        ("s1", "2026-01-05", 1, Verdict.FALSE), ("s2", None, 9, Verdict.TRUE)]
    assert history[1].stored_at[:4].isdigit()  # undated: when it was stored
    told = {c.key: c.told for c in store.outlet_counts()}
    assert told["glitz daily"] == len(history)  # the same stories the track record counts
    assert desk.outlet_history("nobody") == []
