"""Stories end to end on real databases: migration 3, story rows written with their article batch,
ingest placing articles online (one by one = all at once), the seeds as one story rated 10 (each of
these on SQLite and on PostgreSQL), and the `stories`, `story` and `outlets` commands (on SQLite;
tests/test_postgres_cli.py runs the commands on PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Iterable

import numpy as np
import pytest
from click.testing import CliRunner

import truthmeter
from conftest import SEEDS, raw_db
from truthmeter.cli import main
from truthmeter.errors import StoreError
from truthmeter.parse import extract_quotes
from truthmeter.rating import verdict_for
from truthmeter.store import LATEST_VERSION, Store, StoryLink, StoryUpdate, content_hash, open_store
from truthmeter.store.dialect import POSTGRES, SQLITE
from truthmeter.stories.cluster import Entry
from truthmeter.stories.service import StoryService, decode_array, encode_array, entry_of
from truthmeter.types import Article, FactCheck, Label, RatedArticle, Rating, Signal, Stance, Story, Verdict

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SEED_FILES = sorted(SEEDS.glob("*.txt"))

pytestmark = pytest.mark.usefixtures("clean_env")


def rated(i: int, outlet: str | None = "Daily Example", p: float = 0.8, fc: int | None = None) -> RatedArticle:
    a = Article(id=f"a{i}", title=f"Story {i}", body=f"Body {i}.", outlet=outlet, fact_check_rating=fc)
    r = Rating(p, round(10 * p), Verdict.TRUE, Label.REAL, (Signal("s", 0.5),), "m", fc)
    return RatedArticle(a, r)


def link(item: RatedArticle, story_id: str, people: tuple[str, ...] = (), stance: str = "supports") -> StoryLink:
    return StoryLink(content_hash(item.article.title, item.article.body), story_id, stance, people, None,
                     encode_array(np.arange(4, dtype=np.uint64)), None,
                     item.article.outlet.lower() if item.article.outlet else None, "{}")


def story(story_id: str, rating: int, fc: int | None = None) -> Story:
    return Story(story_id, f"Title {story_id}", rating, verdict_for(rating),
                 (Signal("fact_check", rating - 5.0, "Truth rating"),), fc)


def partition(store: Store) -> set[tuple[frozenset[str], int]]:
    return {(frozenset(s.article_ids), s.story_rating) for s in store.list_stories(limit=1000)}


# ---- store ----

def test_story_rows_written_read_and_filtered(db_target: str) -> None:
    items = [rated(0, "Gossip Cop", 1.0, fc=10), rated(1, "Page Wire", 0.3), rated(2, None, 0.1)]
    fc = FactCheck(link(items[0], "s1").content_hash, "a0", 10, "rating", "Story 0", "Gossip Cop", story_id="s1")
    update = StoryUpdate(stories=(story("s1", 10, 10), story("s2", 1)),
                         links=(link(items[0], "s1", ("khloe kardashian",)), link(items[1], "s1", ("lamar odom",)),
                                link(items[2], "s2", ("ivo orlby",))), fact_checks=(fc,))
    with open_store(db_target) as store:
        assert store.add(items, stories=update) == 3
        assert store.known_hashes([link(items[1], "").content_hash, "f" * 64]) == {link(items[1], "").content_hash}
        assert [s.id for s in store.list_stories()] == ["s2", "s1"]  # newest article first
        s1 = store.list_stories(person="Kardashian")[0]
        assert (s1.article_ids, s1.outlets, s1.story_rating, s1.fact_check_rating) == (("a0", "a1"),
                                                                                      ("Gossip Cop", "Page Wire"), 10, 10)
        assert [s.id for s in store.list_stories(person="khloé kardashian")] == ["s1"]
        assert store.list_stories(person="kard") == []  # whole words only
        assert [s.id for s in store.list_stories(outlet="page wire")] == ["s1"]
        assert [s.id for s in store.list_stories(verdict="false")] == ["s2"]
        got = store.get_story("s")  # ambiguous prefix
        assert got is None and store.get_story("s2").story.id == "s2"  # type: ignore[union-attr]
        detail = store.get_story("s1")
        assert [(m.article.id, st) for m, st in detail.members] == [("a0", Stance.SUPPORTS), ("a1", Stance.SUPPORTS)]
        assert detail.fact_checks[0].rating == 10 and detail.fact_checks[0].article_id == "a0"
        assert [x.story_id for x in store.story_links()] == ["s1", "s1", "s2"]
        members = store.story_members(["s1"])["s1"]
        assert [m.fact_check is not None for m in members] == [True, False] and members[1].p_true == 0.3
        counts = {c.key: (c.told, c.rated_false) for c in store.outlet_counts()}
        assert counts == {"page wire": (1, 0)}  # fact-checks and outlet-less articles tell no story
        assert store.count_stories() == 2 and store.unlinked(10) == []


def test_story_rows_and_articles_commit_together(db_target: str) -> None:
    bad = StoryUpdate(stories=(story("s1", 5),), links=(link(rated(9), "s1"),))  # article 9 is nowhere
    with open_store(db_target) as store:
        with pytest.raises(StoreError, match="(?i)foreign key"):
            store.add([rated(0)], stories=bad)
        assert store.count() == 0 and store.count_stories() == 0


def test_a_story_whose_articles_another_writer_placed_is_dropped(db_target: str) -> None:
    item = rated(0)
    with open_store(db_target) as store:
        store.add([item], stories=StoryUpdate(stories=(story("s1", 8),), links=(link(item, "s1"),)))
        late = StoryUpdate(stories=(story("s9", 2),), links=(link(item, "s9"),))  # same article, other story
        assert store.add([item], stories=late) == 0
        assert [s.id for s in store.list_stories()] == ["s1"]


def test_migrates_a_v2_database_and_backfills_its_articles(backend: str, db_target: str) -> None:
    dialect = POSTGRES if backend == "postgres" else SQLITE
    with raw_db(db_target) as conn:
        for _, sql in dialect.migrations()[:2]:
            dialect.run_script(conn, sql)
        conn.execute("INSERT INTO schema_version (version) VALUES (2)")
    with open_store(db_target) as store:
        assert store.schema_version() == LATEST_VERSION == 7
        store.add(truthmeter.rate(list(truthmeter.read(SEED_FILES))))  # as a v2 ingest would have
        assert store.count_stories() == 0 and len(store.unlinked(10)) == 2
        report = truthmeter.ingest([], store)
        assert report.new_stories == 1 and store.unlinked(10) == []
        (s,) = store.list_stories()
        assert (len(s.article_ids), s.story_rating, s.fact_check_rating) == (2, 10, 10)


def test_entry_encoding_roundtrip(db_target: str) -> None:
    (a,) = truthmeter.read(SEED_FILES[0])
    with open_store(db_target) as store:
        service = StoryService(store)
        truthmeter.ingest([SEED_FILES[0]], store)
        (stored,) = list(store.story_links())
        restored = entry_of(stored)
    entry, _ = service.clusterer.assign(stored.content_hash, a)  # the same key keeps its story
    assert isinstance(restored, Entry) and restored.story_id == entry.story_id
    assert np.array_equal(restored.signature, entry.signature) and restored.signature.dtype == entry.signature.dtype
    if entry.vector is not None:
        assert restored.vector is not None and restored.vector.tobytes() == entry.vector.tobytes()
    nested = np.zeros((2, 3), dtype=[("a", [("b", "<u4"), ("c", ">f8", (2,))])])
    back = decode_array(encode_array(nested))
    assert back.dtype == nested.dtype and back.shape == (2, 3) and back.tobytes() == nested.tobytes()


# ---- the service, with a clusterer that groups by one name (ingest order and stance updates) ----

class NameClusterer:
    """Every article naming Vantreece in its headline is one story; any other opens its own."""

    def __init__(self) -> None:
        self.stories: set[str] = set()

    def restore(self, entries: Iterable[Entry]) -> None:
        self.stories.update(e.story_id for e in entries)

    def assign(self, key: str, article: Article) -> tuple[Entry, bool]:
        story_id = "s-vantreece" if "Vantreece" in article.title else f"s-{key[:8]}"
        new = story_id not in self.stories
        self.stories.add(story_id)
        return Entry(key, story_id, np.zeros(2, np.uint64), ("marisol vantreece",), None, None), new


def vantreece(kind: str) -> RatedArticle:
    texts = {"rumour": ("Marisol Vantreece Secretly Engaged", '"They are engaged," an insider said.', 0.2, None),
             "denial": ("Rep: Marisol Vantreece Not Engaged", "Her rep denied the engagement report on Monday.", 0.9,
                        None),
             "check": ("Marisol Vantreece Engagement Story Is False", "An invented tale.", 0.2, 2)}
    title, body, p, fc = texts[kind]
    a = Article(id=kind, title=title, body=body, quotes=extract_quotes(body), fact_check_rating=fc)
    return RatedArticle(a, Rating(p, round(10 * p), verdict_for(round(10 * p)), Label.REAL, (), "m", fc))


def ingest_with(store: Store, items: list[RatedArticle]) -> None:
    service = StoryService(store, NameClusterer())  # type: ignore[arg-type]
    store.add(items, stories=service.plan(service.new_items(items)))


def test_stances_follow_the_claim_whatever_the_order(backend: str, fresh_db: Callable[[str], str]) -> None:
    items = [vantreece("denial"), vantreece("rumour"), vantreece("check")]
    with open_store(fresh_db(backend)) as store:
        ingest_with(store, items[:1])
        (alone,) = store.list_stories()
        assert alone.title == "Rep: Marisol Vantreece Not Engaged" and alone.story_rating == 9
        ingest_with(store, items[1:2])  # the rumour becomes the claim: the denial now contradicts it
        (two,) = store.list_stories()
        assert two.title == "Marisol Vantreece Secretly Engaged" and two.story_rating == 1
        ingest_with(store, items[2:])
        each = store.get_story("s-vantreece")
    with open_store(fresh_db(backend)) as store:
        ingest_with(store, items)
        together = store.get_story("s-vantreece")
    for detail in (each, together):
        assert [(m.article.id, st) for m, st in detail.members] == [  # type: ignore[union-attr]
            ("denial", Stance.CONTRADICTS), ("rumour", Stance.SUPPORTS), ("check", Stance.CONTRADICTS)]
        assert (detail.story.story_rating, detail.story.fact_check_rating) == (2, 2)  # type: ignore[union-attr]
    assert each.story.signals == together.story.signals  # type: ignore[union-attr]


# ---- ingest ----

def test_the_seeds_are_one_story_rated_10(db_target: str) -> None:
    with open_store(db_target) as store:
        report = truthmeter.ingest(SEED_FILES, store)
        assert (report.new, report.new_stories) == (2, 1)
        (s,) = store.list_stories()
        detail = store.get_story(s.id)
    ids = [m.article.id for m, _ in detail.members]  # type: ignore[union-attr]
    assert sorted(s.article_ids) == sorted(ids) and len(ids) == 2
    assert (s.story_rating, s.fact_check_rating, s.verdict) == (10, 10, Verdict.TRUE)
    assert [st for _, st in detail.members] == [Stance.SUPPORTS, Stance.SUPPORTS]  # type: ignore[union-attr]
    assert s.signals[0].name == "fact_check" and s.signals[0].text == "Truth rating: 10 (Gossip Cop)"
    (fc,) = detail.fact_checks  # type: ignore[union-attr]
    assert (fc.rating, fc.basis, fc.outlet) == (10, "rating", "Gossip Cop")


def test_one_by_one_equals_all_at_once_and_restores(backend: str, fresh_db: Callable[[str], str]) -> None:
    files = [*SEED_FILES, *sorted(EXAMPLES.iterdir())]
    with open_store(fresh_db(backend)) as store:
        truthmeter.ingest(files, store)
        together = partition(store)
    each = fresh_db(backend)
    for f in files:  # a new store (and clusterer, restored from the database) per file
        with open_store(each) as store:
            truthmeter.ingest([f], store)
    with open_store(each) as store:
        assert partition(store) == together
        again = truthmeter.ingest(files, store)  # nothing new: no story changes
        assert (again.new, again.new_stories, again.updated_stories) == (0, 0, 0)
        assert partition(store) == together


def test_second_seed_joins_the_stored_story(db_target: str) -> None:
    with open_store(db_target) as store:
        truthmeter.ingest([SEED_FILES[1]], store)
        (before,) = store.list_stories()
        assert before.fact_check_rating is None
    with open_store(db_target) as store:
        report = truthmeter.ingest([SEED_FILES[0]], store)
        (after,) = store.list_stories()
    assert (report.new_stories, report.updated_stories) == (0, 1)
    assert after.id == before.id and (after.story_rating, after.fact_check_rating) == (10, 10)


def test_the_examples_fact_check_story_is_rated_1(db_target: str) -> None:
    with open_store(db_target) as store:
        truthmeter.ingest([EXAMPLES], store)
        stories = store.list_stories()
    (checked,) = [s for s in stories if "501cec57c7ec92cb" in s.article_ids]
    assert (checked.story_rating, checked.fact_check_rating, checked.verdict) == (1, 1, Verdict.FALSE)
    assert all(s.fact_check_rating is None for s in stories if s is not checked)
    rumour = next(s for s in stories if "817a8251f330a558" in s.article_ids)  # the secret-baby rumour
    assert rumour.story_rating <= 2


# ---- command line ----

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = str(tmp_path_factory.mktemp("cli") / "s.db")
    result = runner.invoke(main, ["ingest", *map(str, SEED_FILES), str(EXAMPLES), "--db", path])
    assert result.exit_code == 0, result.output
    assert "new stories" in result.stderr and result.stderr.splitlines()[-1].startswith("read 10 articles")
    return path


def test_stories_jsonl_and_filters(db: str) -> None:
    result = runner.invoke(main, ["stories", "--format", "jsonl", "--db", db])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    for row in rows:
        assert {"id", "title", "article_ids", "outlets", "story_rating", "verdict", "fact_check_rating",
                "signals"} <= set(row)
        assert isinstance(row["story_rating"], int) and 0 <= row["story_rating"] <= 10
    seeds = next(r for r in rows if r["fact_check_rating"] == 10)
    assert len(seeds["article_ids"]) == 2 and seeds["signals"][0]["text"] == "Truth rating: 10 (Gossip Cop)"
    only = runner.invoke(main, ["stories", "--format", "jsonl", "--person", "Lamar Odom", "--db", db])
    assert [json.loads(x)["id"] for x in only.stdout.splitlines()] == [seeds["id"]]
    false = runner.invoke(main, ["stories", "--format", "json", "--verdict", "False", "--db", db])
    assert {r["verdict"] for r in json.loads(false.stdout)} == {"False"}
    outlet = runner.invoke(main, ["stories", "--outlet", "Gossip Cop", "--db", db])
    assert outlet.exit_code == 0 and seeds["id"] in outlet.stdout and len(outlet.stdout.splitlines()) == 2


def test_story_and_outlets_commands(db: str) -> None:
    rows = [json.loads(x) for x in runner.invoke(main, ["stories", "--format", "jsonl", "--db", db]).stdout.splitlines()]
    checked = next(r for r in rows if r["fact_check_rating"] == 1)
    text = runner.invoke(main, ["story", checked["id"], "--db", db])
    assert text.exit_code == 0, text.output
    for part in ("Claim: Marisol Vance is engaged to Dex Harrow — False 1/10", "Truth rating: 1", "contradicts",
                 "this article is a fact-check rating the claim 1/10", "on-the-record quotes:", "denials:",
                 "completely made up"):
        assert part in text.stdout, part
    detail = json.loads(runner.invoke(main, ["story", checked["id"], "--format", "json", "--db", db]).stdout)
    assert detail["fact_checks"][0]["rating"] == 1 and detail["articles"][0]["stance"] == "contradicts"
    assert detail["denials"] and detail["quotes_on_record"]
    missing = runner.invoke(main, ["story", "nope", "--db", db])
    assert missing.exit_code == 1 and "no stored story 'nope'" in missing.stderr
    outlets = runner.invoke(main, ["outlets", "--format", "jsonl", "--db", db])
    records = [json.loads(x) for x in outlets.stdout.splitlines()]
    assert {"Page Wire", "Glitz Daily"} <= {r["outlet"] for r in records}
    assert all({"stories", "rated_false", "share_false", "shrunk_false", "weight"} <= set(r) for r in records)
    table = runner.invoke(main, ["outlets", "--db", db])
    assert table.exit_code == 0 and table.stdout.startswith("OUTLET")
