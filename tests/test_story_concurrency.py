"""Two ingests into one database at once place their articles as one after the other would: the story
step runs inside each batch's write transaction, after reading what the other ingest stored."""

from __future__ import annotations

from pathlib import Path

import pytest

import truthmeter
from conftest import SEEDS, run_threads
from test_cluster import EXAMPLES, PENHALLOW
from truthmeter.pipeline import ingest_articles
from truthmeter.store import Store, open_store
from truthmeter.types import Article

pytestmark = pytest.mark.usefixtures("clean_env")


def _corpus() -> list[Article]:
    # Seeds (one story), the examples (eight) and Penhallow (three, one in three versions): the same
    # twelve stories in any order (tests/test_cluster.py), dealt out so each ingest holds part of a story.
    items = [a for p in (SEEDS, EXAMPLES) for a in truthmeter.read(p) if isinstance(a, Article)]
    return items + PENHALLOW


def _partition(store: Store) -> set[frozenset[str]]:
    return {frozenset(s.article_ids) for s in store.list_stories(limit=1000)}


def test_two_ingests_at_once_give_the_stories_of_one_after_the_other(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUTHMETER_BATCH_SIZE", "1")  # many small transactions: the ingests interleave
    items = _corpus()
    parts = [items[0::2], items[1::2]]
    sequential = str(tmp_path / "sequential.db")
    for part in parts:
        with open_store(sequential) as store:
            ingest_articles(part, store)
    with open_store(sequential) as store:
        expected = _partition(store)
    assert len(expected) == 12
    together = str(tmp_path / "together.db")
    with open_store(together):
        pass  # created and migrated before the race

    def ingest(i: int) -> None:
        with open_store(together) as store:
            ingest_articles(parts[i], store)

    assert run_threads(ingest, 2) == []
    with open_store(together) as store:
        assert store.count() == len(items) and store.unlinked(10) == []
        assert store.count_stories() == len(expected)
        assert _partition(store) == expected
