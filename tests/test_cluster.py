"""Online story clustering: one story per event, stable ids, order-free, restorable."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import truthmeter
from truthmeter.stories import NUM_PERM, VECTOR_DTYPE, VECTOR_TERMS, Entry, StoryClusterer, entry_for, story_id_for
from truthmeter.types import Article

SEEDS = Path(__file__).parent / "data" / "seeds"
EXAMPLES = Path(__file__).parents[1] / "examples"


def _read(path: Path) -> list[Article]:
    return [a for a in truthmeter.read(path) if isinstance(a, Article)]


# One invented person, three events; the perfume launch in three versions (different wording).
PENHALLOW = [
    Article("pen-festival", "Odalys Penhallow Wins Best Actress At Lisbon Film Festival",
            "Odalys Penhallow won the best actress prize at the Lisbon Film Festival on Saturday for her role "
            "in the drama \"Saltmarsh,\" in which she plays a fisherman's widow. The jury president, Teodor "
            "Orlby, called her performance fearless. Penhallow thanked the director and the cast in a short "
            "speech, and dedicated the award to her grandmother, who grew up in a fishing village.",
            date="2024-05-11"),
    Article("pen-perfume", "Odalys Penhallow Launches Her First Fragrance",
            "Odalys Penhallow is launching her first fragrance, a citrus scent called \"Harbour,\" made with a "
            "perfume house in Grasse. The bottle was designed by her sister, and the scent goes on sale in "
            "November for $90. Penhallow said she spent two years testing samples of bergamot and sea salt "
            "before she was happy with it.", date="2024-05-14"),
    Article("pen-house", "Odalys Penhallow Sells Malibu Beach House For $8 Million",
            "Odalys Penhallow has sold her Malibu beach house for $8 million, according to property records "
            "filed on Tuesday. The four-bedroom home, which she bought in 2015, has a pool, a guest cottage and "
            "a private path to the sand. Penhallow moved to New York last year to star in a Broadway play.",
            date="2024-05-20"),
    Article("pen-perfume-2", "Penhallow Unveils 'Harbour' Perfume",
            "Actress Odalys Penhallow has unveiled \"Harbour,\" a citrus perfume she created with a fragrance "
            "house in Grasse. Her sister designed the bottle. The scent, her first, will be sold from November "
            "at $90, and Penhallow says it took two years of testing bergamot and sea salt samples to get it "
            "right.", date="2024-05-15"),
    Article("pen-perfume-3", "Odalys Penhallow's New Scent Smells Like The Sea",
            "Odalys Penhallow wants you to smell like the seaside. The star's debut fragrance, Harbour, blends "
            "bergamot with a hint of sea salt and was developed over two years with a Grasse perfume house; her "
            "sister drew the bottle. It arrives in November, priced at $90.", date="2024-05-16"),
]


def _cluster(articles: list[Article], clusterer: StoryClusterer | None = None) -> dict[str, str]:
    clusterer = StoryClusterer() if clusterer is None else clusterer  # an empty one is falsy (len 0)
    return {a.id: clusterer.assign(a.id, a)[0].story_id for a in articles}


def _partition(stories: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for key, story in stories.items():
        groups.setdefault(story, set()).add(key)
    return {frozenset(g) for g in groups.values()}


def _corpus() -> list[Article]:
    return _read(SEEDS) + _read(EXAMPLES) + PENHALLOW


def test_the_two_seeds_are_one_story() -> None:
    first, second = _read(SEEDS)
    clusterer = StoryClusterer()
    e1, new1 = clusterer.assign("seed-0", first)
    e2, new2 = clusterer.assign("seed-2", second)
    assert (new1, new2) == (True, False)
    assert e1.story_id == e2.story_id == story_id_for("seed-0")
    assert set(e1.people) == set(e2.people) == {"khloe kardashian", "lamar odom"}


def test_each_example_article_tells_its_own_story() -> None:
    # Different events, several about the same invented people (Vance, Harrow, Lindqvist).
    examples = _read(EXAMPLES)
    assert len(examples) == 8
    assert len(set(_cluster(examples).values())) == 8


def test_different_events_about_one_person_stay_apart_and_versions_join() -> None:
    stories = _cluster(PENHALLOW)
    assert _partition(stories) == {frozenset({"pen-festival"}), frozenset({"pen-house"}),
                                   frozenset({"pen-perfume", "pen-perfume-2", "pen-perfume-3"})}
    assert stories["pen-perfume-3"] == story_id_for("pen-perfume")


def test_story_ids_are_s_and_12_hex_of_the_first_key() -> None:
    assert story_id_for("abc") == "s" + hashlib.sha256(b"abc").hexdigest()[:12]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_incremental_in_any_order_equals_all_at_once(seed: int) -> None:
    corpus = _corpus()
    at_once = _partition(_cluster(corpus))
    shuffled = list(corpus)
    random.Random(seed).shuffle(shuffled)
    assert _partition(_cluster(shuffled)) == at_once
    assert len(at_once) == 1 + 8 + 3  # seeds: 1 story; examples: 8; Penhallow: 3


def _roundtrip(entry: Entry) -> Entry:
    """What a store does: raw bytes out, np.frombuffer back."""
    assert entry.signature.dtype == np.uint64 and entry.signature.shape == (NUM_PERM,)
    assert entry.vector is not None and entry.vector.dtype == VECTOR_DTYPE
    assert entry.vector.shape == (VECTOR_TERMS,)
    return replace(entry, signature=np.frombuffer(entry.signature.tobytes(), dtype=np.uint64),
                   vector=np.frombuffer(entry.vector.tobytes(), dtype=VECTOR_DTYPE))


def test_restore_from_stored_entries_assigns_new_articles_alike() -> None:
    corpus = _corpus()
    random.Random(5).shuffle(corpus)
    old, new = corpus[:9], corpus[9:]
    live = StoryClusterer()
    stored = [_roundtrip(live.assign(a.id, a)[0]) for a in old]
    restored = StoryClusterer()
    restored.restore(stored)
    assert len(restored) == len(old) and restored.story_of(old[0].id) == live.story_of(old[0].id)
    assert [restored.assign(a.id, a)[0].story_id for a in new] == [live.assign(a.id, a)[0].story_id for a in new]


def test_a_known_key_keeps_its_story() -> None:
    clusterer = StoryClusterer()
    article = PENHALLOW[0]
    entry, is_new = clusterer.assign("k", article)
    again, is_new_again = clusterer.assign("k", article)
    assert (is_new, is_new_again) == (True, False) and again.story_id == entry.story_id
    assert len(clusterer) == 1


def test_time_window_splits_far_apart_versions_unless_undated() -> None:
    a, b = PENHALLOW[1], replace(PENHALLOW[3], date="2024-09-01")  # same launch, 110 days later
    assert len(set(_cluster([a, b]).values())) == 2
    assert len(set(_cluster([a, b], StoryClusterer(window_days=120)).values())) == 1
    assert len(set(_cluster([a, replace(b, date=None)]).values())) == 1


def test_near_duplicates_without_people_join_through_lsh() -> None:
    body = ("the city council voted on tuesday to close the old harbour bridge for repairs that will take "
            "eighteen months, and ferries will run every twenty minutes while the work goes on. ") * 3
    a = Article("x1", "harbour bridge to close", body)
    b = Article("x2", "harbour bridge to close for repairs", body.replace("twenty", "thirty"))
    entry = entry_for("x1", a)
    assert entry.people == ()
    assert len(set(_cluster([a, b]).values())) == 1


def test_signature_is_datasketch_affine64_minhash() -> None:
    datasketch = pytest.importorskip("datasketch")
    from truthmeter.stories.cluster import _permutations

    reference = datasketch.MinHash(num_perm=NUM_PERM, seed=1, scheme="affine64").permutations
    a, b = _permutations(NUM_PERM)
    assert np.array_equal(reference[0], a) and np.array_equal(reference[1], b)


# ---- precision: people, sagas, the hard pairs ----

HARD_PAIRS = Path(__file__).parent / "data" / "hard_pairs.jsonl"


def test_articles_naming_disjoint_people_never_merge() -> None:
    # The same words, about different people: only the names differ.
    body = ("{a} and {b} have split after three years of dating, a rep for the couple confirmed on Tuesday. "
            "The pair decided to go their separate ways over the holidays and remain good friends. \"They ask "
            "for privacy at this time,\" the rep said.")
    one = Article("one", "Brad Pitt And Jennifer Aniston Split", body.format(a="Brad Pitt", b="Jennifer Aniston"))
    two = Article("two", "Tom Hanks And Julia Roberts Split", body.format(a="Tom Hanks", b="Julia Roberts"))
    clusterer = StoryClusterer(threshold=0.05)  # a bar any two such texts pass
    first, second = clusterer.assign("one", one)[0], clusterer.assign("two", two)[0]
    assert first.people and second.people and not set(first.people) & set(second.people)
    assert first.story_id != second.story_id


def test_an_article_naming_other_people_than_the_claim_opens_its_own_story() -> None:
    # Its people must agree with the claim's (and with most members'), whatever the words say.
    clusterer = StoryClusterer()
    clusterer.add(replace(entry_for("a", SAGA[0]), people=("lyra dunmore",)))
    clusterer.add(replace(entry_for("b", SAGA[0]), key="b", people=("lyra dunmore",)))
    assert clusterer.story_of("a") == clusterer.story_of("b")
    joined, _ = clusterer.add(replace(entry_for("c", SAGA[0]), key="c", people=("someone else",)))
    assert joined.story_id != clusterer.story_of("a")


# One couple over six weeks: each article bridges the one before and the one after.
SAGA = [
    Article("custody", "Lyra Dunmore And Silas Okoro Reach Custody Agreement",
            "Lyra Dunmore and Silas Okoro have reached a custody agreement for their two children, court "
            "documents show. The former couple will share joint legal and physical custody, and neither will pay "
            "child support. The agreement was signed by a judge in Los Angeles on Monday.", date="2023-03-01"),
    Article("custody-wedding", "Lyra Dunmore Plans Wedding Weeks After Custody Agreement With Silas Okoro",
            "Weeks after signing a custody agreement with Silas Okoro that gives them joint legal and physical "
            "custody of their two children, Lyra Dunmore is planning a wedding. Dunmore and Okoro are said to be "
            "getting remarried in a small ceremony on a vineyard in Napa, with their children as flower girls.",
            date="2023-03-12"),
    Article("wedding", "Lyra Dunmore And Silas Okoro Remarry In Napa Vineyard Ceremony",
            "Lyra Dunmore and Silas Okoro remarried in a small ceremony on a vineyard in Napa on Saturday. Their "
            "children were flower girls, and the bride wore a lace gown with a long veil. Guests danced under "
            "string lights until midnight.", date="2023-03-25"),
    Article("wedding-baby", "Lyra Dunmore Pregnant After Napa Wedding To Silas Okoro",
            "Lyra Dunmore is pregnant with her third child, weeks after remarrying Silas Okoro in a small vineyard "
            "ceremony in Napa where the children were flower girls. The baby is due in the autumn, and Dunmore "
            "shared an ultrasound photo on Instagram.", date="2023-04-10"),
    Article("baby", "Lyra Dunmore Shares Ultrasound Of Third Baby",
            "Lyra Dunmore shared an ultrasound photo of her third baby on Instagram, writing that she is due in the "
            "autumn. The actress said she has been craving pickles and ice cream, and that morning sickness kept "
            "her off set for a week.", date="2023-04-20"),
]


def test_no_saga_chains_through_bridging_articles() -> None:
    # Single-link joined all five (each scores well with its neighbour); a new article must agree with
    # the story's claim and most of its members, so custody news, the wedding and the baby stay apart.
    stories = _cluster(SAGA)
    assert len({stories["custody"], stories["wedding"], stories["baby"]}) == 3
    assert max(list(stories.values()).count(s) for s in stories.values()) <= 2


BRAD = Article("brad", "Brad Pitt Secretly Engaged To Jennifer Aniston, Insider Says",
               "Brad Pitt has secretly proposed to Jennifer Aniston, and she accepted a diamond ring during a beach "
               "vacation, an unnamed insider claims. \"They can't wait to walk down the aisle,\" the source said, "
               "adding that the pair are already planning a winter wedding and have told only their closest "
               "friends.")


def test_an_unrelated_rumour_opens_its_own_story_after_the_examples() -> None:
    # It joined the Marisol Vance / Dex Harrow engagement fact-check (no person in common) and took its verdict.
    clusterer = StoryClusterer()
    _cluster(_read(EXAMPLES), clusterer)
    entry, is_new = clusterer.assign("brad", BRAD)
    assert is_new and set(entry.people) == {"brad pitt", "jennifer aniston"}


def test_an_unrelated_rumour_keeps_the_fact_checked_story_apart_in_the_store(tmp_path: Path) -> None:
    from truthmeter.pipeline import ingest_articles
    from truthmeter.store import open_store

    with open_store(str(tmp_path / "t.db")) as store:
        truthmeter.ingest([EXAMPLES], store)
        before = {s.id: s for s in store.list_stories(limit=100)}
        report = ingest_articles([BRAD], store)
        after = {s.id: s for s in store.list_stories(limit=100)}
    assert (report.new_stories, report.updated_stories) == (1, 0)
    (new,) = set(after) - set(before)
    assert after[new].fact_check_rating is None and after[new].article_ids == ("brad",)
    assert all(after[k].title == s.title and after[k].fact_check_rating == s.fact_check_rating
               for k, s in before.items())


def _hard_pairs() -> list[tuple[str, bool, Article, Article]]:
    out = []
    for line in HARD_PAIRS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        a, b = (Article(f"{row['pair']}{s}", row[s]["title"], row[s]["body"], date=row[s]["date"]) for s in "ab")
        out.append((row["kind"], bool(row["same_story"]), a, b))
    return out


def test_hard_pairs_precision_and_recall() -> None:
    # Invented pairs (tests/data/hard_pairs.jsonl): one person's different events, a couple's news weeks
    # apart, different people with the same kind of news (not one story); a tabloid rumour and a denial,
    # a rumour and its debunk, one event told twice (one story). Each pair in a clusterer of its own.
    pairs = _hard_pairs()
    kinds = {kind for kind, _, _, _ in pairs}
    assert len(pairs) >= 60 and len(kinds) == 6
    joined = [len(set(_cluster([a, b]).values())) == 1 for _, _, a, b in pairs]
    same = [s for _, s, _, _ in pairs]
    tp = sum(j and s for j, s in zip(joined, same))
    precision, recall = tp / sum(joined), tp / sum(same)
    # Precision first (bench/cluster_quality.py tunes for it); the misses left are pairs whose people
    # the name finder does not know, so the people check cannot tell them apart.
    assert precision >= 0.9 and recall >= 0.9, (precision, recall)
    # A couple's different news never chains into one story, whatever the finder knows.
    assert not any(j for (kind, _, _, _), j in zip(pairs, joined) if kind == "same_couple_weeks_apart")
