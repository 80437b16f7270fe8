"""Online story clustering: one story per event, stable ids, order-free, restorable."""

from __future__ import annotations

import hashlib
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
