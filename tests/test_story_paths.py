"""The fast paths of the story step (issue 13) give what the plain paths give: the person finder's
run reading, the ASCII proper-word scan, the compact clusterer (the same stories as the code before
it), the story facts read in worker processes, and the key table under the clusterer."""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

import truthmeter
from conftest import SEEDS, bulk_rows, labelled_rows, write_jsonl
from truthmeter import Article, RatedArticle, pipeline
from truthmeter.store import open_store
from truthmeter.stories import StoryClusterer, people
from truthmeter.stories.compact import KeyTable, Rows
from truthmeter.stories.entries import _proper_ascii, _proper_general
from truthmeter.stories.people import PARTICLES, _CREDIT, _CREDIT_WORDS, _POSSESSIVE, _Run, _cue, _line_kind

pytestmark = pytest.mark.usefixtures("clean_env")

ROOT = Path(__file__).resolve().parent
VAL = ROOT.parents[1] / "shared" / "data" / "arg_gossipcop" / "val.jsonl"
TRICKY = ["Mr. Brad Pitt met Dr. Jill Biden and Michael J. Fox in St. Louis.",
          "McDonald's CEO and O'Brien-Smith met Portia de Rossi, Ludwig van Beethoven and Vincent van Gogh.",
          "The iPhone maker's 3Brad 'Brad Pitt' _Kim -Kanye MR. BROWN Mr.Smith J. K. Rowling.",
          "Khloé Kardashian and Beyoncé; Zoë Saldaña, 45, said.  Read more  Pete Davidson Joins Machine Gun Kelly",
          "Photo by Jane Doe\nCredit: John Roe\nBRAD PITT AND ANGELINA JOLIE SPLIT", "de la Hoya", "Oscar de la Hoya",
          "Will Smith's wife Jada Pinkett Smith told E! News Kim Kardashian West's rep denied it."]


def _old_line_runs(text: str, start: int, end: int, titles: list[tuple[int, int]]) -> list[_Run]:
    """people._line_runs as it was before the fast path: `_TOKEN`, one token at a time."""
    headline, caps = _line_kind(text[start:end])
    runs: list[_Run] = []
    current: list[tuple[str, int, int]] = []

    def close() -> None:
        while current and not current[-1][0][0].isupper():
            current.pop()
        if current:
            a, b = current[0][1], current[-1][2]
            byline = current[0][0].lower() in _CREDIT_WORDS and not text[start:a].strip()
            skip = byline or any(x <= a < y for x, y in titles) or _CREDIT.match(text[start:a])
            if not skip:
                words = [people._word(raw, p, caps) for raw, p, _ in current]
                runs.append(_Run(words, headline, people._starts_sentence(text, a), _cue(text, a, b)))
        current.clear()

    for m in people._TOKEN.finditer(text, start, end):
        raw, a = m.group(), m.start()
        joined = bool(current) and text[current[-1][2]:a] in (" ", "\t")
        if not joined:
            close()
        if raw[0].isupper() or (current and raw in PARTICLES):
            current.append((raw, a, m.end()))
            if _POSSESSIVE.search(raw) and "'" in raw[-2:]:
                close()
        else:
            close()
    close()
    return runs


def _texts() -> list[str]:
    out = list(TRICKY)
    out += [a.text for a in truthmeter.read(SEEDS) if isinstance(a, Article)]
    for line in (ROOT / "data" / "hard_pairs.jsonl").read_text().splitlines():
        d = json.loads(line)
        out += [f"{d[s]['title']}\n\n{d[s]['body']}" for s in "ab"]
    if VAL.exists():
        out += [a.text for a in truthmeter.read(VAL) if isinstance(a, Article)]
    return out


def test_person_runs_are_read_as_token_by_token() -> None:
    for text in _texts():
        folded = people._DQUOTES.sub('"', people._fold(text))
        titles = people._quoted_titles(folded)
        for a, b in people._segments(folded):
            assert people._line_runs(folded, a, b, titles) == _old_line_runs(folded, a, b, titles), folded[a:b]


def test_people_found_are_the_same_with_the_old_run_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _texts()
    now = [people.find_people(t) for t in texts]
    monkeypatch.setattr(people, "_line_runs", _old_line_runs)
    assert now == [people.find_people(t) for t in texts]


def test_ascii_proper_words_are_the_general_ones() -> None:
    for text in _texts():
        body = people._fold(text)
        if not re.search(r"[^\W\x00-\x7f]", body):  # ASCII words (curly quotes and dashes allowed)
            assert _proper_ascii(body) == _proper_general(body), body
    for body in ("Said Xavi met 2019 Oscars. Then Xavi said x9 Xylo", "\u201cSo\u201d Xavi \u2014 Met_Gala \u201cXylo"):
        assert _proper_ascii(body) == _proper_general(body)


def _hard_pair_articles() -> list[Article]:
    out = []
    for line in (ROOT / "data" / "hard_pairs.jsonl").read_text().splitlines():
        d = json.loads(line)
        out += [Article(id=f"{d['pair']}{s}", title=d[s]["title"], body=d[s]["body"], date=d[s].get("date"))
                for s in "ab"]
    return out


def _digests(articles: list[Article]) -> tuple[int, str, str]:
    c = StoryClusterer()
    stories = [c.assign(f"{i}:{a.id}", a)[0].story_id for i, a in enumerate(articles)]
    found = [sorted(people.find_people(a.text)) for a in articles]
    digest = lambda x: hashlib.sha256(json.dumps(x).encode()).hexdigest()[:16]  # noqa: E731
    return len(set(stories)), digest(stories), digest(found)


def test_stories_are_those_of_the_code_before_on_the_hard_pairs() -> None:
    # Story ids per article and people per article (sorted) as the code before the compact clusterer
    # and the fast person finder gave them (git a002136).
    assert _digests(_hard_pair_articles()) == (108, "269b4ee1876b97d9", "557eadd3146fac41")


@pytest.mark.shared_data
def test_stories_are_those_of_the_code_before_on_val() -> None:
    if not VAL.exists():
        pytest.skip(f"no data at {VAL}")
    articles = [a for a in truthmeter.read(VAL) if isinstance(a, Article)]
    assert _digests(articles) == (1255, "a2c249840edddb22", "ecfc8fa421b414f2")


@pytest.fixture(scope="module")
def rated(tmp_path_factory: pytest.TempPathFactory) -> list[RatedArticle]:
    path = write_jsonl(tmp_path_factory.mktemp("stories") / "mixed.jsonl", [*labelled_rows(40), *bulk_rows(30)])
    items = [*truthmeter.read(SEEDS), *truthmeter.read(path), *_hard_pair_articles()]
    return truthmeter.rate([a for a in items if isinstance(a, Article)], signals=2)


def _stored(db: Path) -> tuple[list, list]:
    import sqlite3

    c = sqlite3.connect(db)
    links = c.execute("SELECT sa.* FROM story_articles sa JOIN articles a USING (content_hash) ORDER BY a.seq").fetchall()
    stories = c.execute("SELECT id, title, story_rating, verdict, signals_json, claim, claim_source FROM stories "
                        "ORDER BY id").fetchall()
    return links, stories


def test_story_facts_read_in_workers_are_those_read_inline(rated: list[RatedArticle], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUTHMETER_BATCH_SIZE", "16")  # several batches: the workers' path runs
    for workers in (1, 2):
        with open_store(str(tmp_path / f"w{workers}.db")) as store:
            report = pipeline.store_rated(rated, store, workers=workers)
            assert report.new == len(rated)
    assert _stored(tmp_path / "w1.db") == _stored(tmp_path / "w2.db")


def test_in_stories_is_the_same_with_workers(rated: list[RatedArticle], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUTHMETER_BATCH_SIZE", "16")
    one = list(pipeline.in_stories(rated, workers=1))
    assert one == list(pipeline.in_stories(rated, workers=2))
    assert all(isinstance(x, RatedArticle) and x.story is not None for x in one)


def test_key_table_is_a_map() -> None:
    rng = np.random.RandomState(3)
    keys = np.unique(rng.randint(0, 2**63, 20_000, dtype=np.int64).astype(np.uint64))
    # Keys that all start at one slot of the first table: lookups run past the first window.
    start = ((keys * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(54)).astype(np.int64)
    crowd = keys[start == np.bincount(start).argmax()]
    keys = np.concatenate([crowd, keys[start != np.bincount(start).argmax()]])
    stored = Rows(np.uint64)
    table = KeyTable(lambda v: stored.view()[v], lambda v: int(stored.view()[v]))
    truth: dict[int, int] = {}
    for at in range(0, len(keys), 16):
        batch = keys[at:at + 16]
        stored.extend(batch)
        assert table.put(batch, np.arange(at, at + len(batch))).tolist() == [-1] * len(batch)
        truth.update({int(k): at + i for i, k in enumerate(batch)})
    assert table.find(keys)[0].tolist() == [truth[int(k)] for k in keys]
    assert [table.get(int(k)) for k in keys[:300]] == [truth[int(k)] for k in keys[:300]]
    missing = rng.randint(0, 2**63, 500, dtype=np.int64).astype(np.uint64)
    missing = missing[~np.isin(missing, keys)]
    assert (table.find(missing)[0] == -1).all() and table.get(int(missing[0])) == -1


def test_rows_grow_in_place() -> None:
    rows = Rows(np.int32, 3)
    for i in range(1000):
        assert rows.append([i, i, i]) == i
    assert rows.view().shape == (1000, 3) and rows.view()[999].tolist() == [999] * 3
    assert rows.nbytes <= 1.2 * 1000 * 3 * 4 + 64 * 12


def test_clusterer_restores_from_entries_to_the_same_stories() -> None:
    articles = _hard_pair_articles()
    random.Random(1).shuffle(articles)
    live = StoryClusterer()
    entries = [live.assign(a.id, a)[0] for a in articles[:100]]
    restored = StoryClusterer()
    restored.restore(entries)
    for a in articles[100:]:
        assert restored.assign(a.id, a)[0].story_id == live.assign(a.id, a)[0].story_id
    assert all(restored.story_of(e.key) == e.story_id for e in entries)
    assert restored.story_of("no such key") is None and re.match(r"s[0-9a-f]{12}$", entries[0].story_id)
