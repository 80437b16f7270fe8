"""The public pipeline: read -> rate (the seed acceptance case), ingest into a real SQLite store,
idempotency at 10,000 articles, and evaluate."""

from __future__ import annotations

import json
import math
import sqlite3
import time
from pathlib import Path

import pytest

import truthmeter
from conftest import SEEDS, bulk_rows, labelled_rows, write_jsonl
from truthmeter import Article, DataError, Label, ParseError, RatedArticle, Verdict

SEED0 = SEEDS / "000_04e86c36df86185d.txt"
SEED2 = SEEDS / "002_e2eb09c47003f324.txt"

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture(scope="module")
def rated_seeds() -> list[RatedArticle]:
    articles = list(truthmeter.read(SEEDS))
    assert all(isinstance(a, Article) for a in articles), articles
    return truthmeter.rate(articles)


def check_rated(item: RatedArticle, *, need_span: bool = True) -> None:
    """What every rated article must look like, whatever its score."""
    r, a = item.rating, item.article
    assert 0.0 <= r.p_true <= 1.0 and not math.isnan(r.p_true)
    if r.verdict is Verdict.UNRATED:  # too little text to judge ("Title only"): no rating, a reason
        assert r.truth_rating is None and r.signals[0].name == "unrated"
    else:
        assert type(r.truth_rating) is int and 0 <= r.truth_rating <= 10
    assert isinstance(r.verdict, Verdict) and isinstance(r.label, Label)
    assert r.model
    text = f"{a.title}\n\n{a.body}"
    spans = [s for s in r.signals if s.start is not None]
    assert spans or not need_span, "no signal points at any text"
    for s in r.signals:
        assert isinstance(s.weight, float) and s.name
        if s.name.startswith("lexical.v1:"):
            assert s.start is not None
        if s.start is not None:
            assert text[s.start:s.end] == s.text, s
    # The rating's own reasons (fact-check, Unrated, capped) come first; the model's, largest first.
    model_signals = [s for s in r.signals if s.name not in ("fact_check", "unrated", "capped")]
    assert [abs(s.weight) for s in model_signals] == sorted((abs(s.weight) for s in model_signals), reverse=True)


# ---- the seeds ----

@pytest.mark.parametrize("path", [SEED0, SEED2])
def test_each_seed_reads_as_one_article(path: Path) -> None:
    (item,) = list(truthmeter.read(path))
    assert isinstance(item, Article)
    assert item.origin is not None and item.origin.path == str(path)


def test_seed_000_is_a_fact_check_rated_10(rated_seeds: list[RatedArticle]) -> None:
    item = rated_seeds[0]
    a, r = item.article, item.rating
    assert a.title == ("Khloe Kardashian First Interview About Lamar Odom In PEOPLE: "
                       "We’re Not “In A Relationship Right Now”")
    assert a.author == "Shari Weiss"
    assert a.body.startswith("Khloe Kardashian gives her first interview about Lamar Odom’s health crisis")
    assert a.body.endswith("Gossip Cop will continue to have updates.")
    for meta in ("Truth rating", "By Shari Weiss", "Khloe Kardashian First Interview Lamar Odom",
                 "Mediaite", "LawNewz", "The Mary Sue"):
        assert meta not in a.body
    assert a.is_fact_check and a.fact_check_rating == 10
    assert r.is_fact_check and r.fact_check_rating == 10
    assert (r.truth_rating, r.p_true, r.verdict, r.label) == (10, 1.0, Verdict.TRUE, Label.REAL)
    assert r.signals[0].name == "fact_check" and len(r.signals) == 6
    check_rated(item)


def test_seed_002_parsed_and_rated(rated_seeds: list[RatedArticle]) -> None:
    item = rated_seeds[1]
    a, r = item.article, item.rating
    assert a.title == "Khloé Defends Her Interview About Lamar Odom"
    assert a.author == "Michelle McGahan"
    assert a.body.startswith("Khloé Kardashian wants to make one thing perfectly clear")
    assert a.body.endswith("they might just make you a better person.")
    for meta in ("by Michelle McGahan", "Michelle McGahan", "Image: Getty"):
        assert meta not in a.body
    assert not a.is_fact_check and not r.is_fact_check and r.fact_check_rating is None
    # The shown rating is the model's, unless the text has not earned True / False (rating.py): then
    # it stops at 7 / 3 and the first signal says so.
    capped = [s for s in r.signals if s.name == "capped"]
    assert r.truth_rating == (min(max(truth_rating_of(r.p_true), 3), 7) if capped else truth_rating_of(r.p_true))
    assert len(r.signals) == 5 + len(capped)
    check_rated(item)


def truth_rating_of(p: float) -> int:
    return int(p * 10 + 0.5)


def test_rated_seed_dicts(rated_seeds: list[RatedArticle]) -> None:
    d = rated_seeds[0].to_dict()
    assert {"id", "title", "outlet", "author", "date", "url", "source", "truth_rating", "p_true", "verdict",
            "label", "is_fact_check", "fact_check_rating", "dataset_label", "model", "signals", "reasons",
            "story_id", "story_rating", "story_verdict", "claim", "stance", "in_context"} == set(d)
    assert d["story_id"] is None and d["in_context"] is None  # rated alone: no story
    assert d["reasons"][0]["kind"] == "fact_check"  # type: ignore[index]
    assert (d["truth_rating"], d["verdict"], d["is_fact_check"], d["fact_check_rating"]) == (10, "True", True, 10)
    assert d["source"] == str(SEED0) and d["model"] == "truthmeter-default"


def test_every_rated_article_is_well_formed(tiny_result, labelled_articles: list) -> None:
    extra = [Article(id="t", title="Title only", body=""),
             Article(id="u", title="Ünïcödé İnce", body="Şükrü İnce’s rep told Variety: «all fine» ß ﬁ.")]
    for model in (None, tiny_result.model):
        for item in truthmeter.rate([*labelled_articles[:10], *extra], model):
            # the top reasons can all be cue counts (absent cues, quote counts), which have no span
            check_rated(item, need_span=False)


def test_signal_offsets_when_the_body_starts_with_the_title(tiny_result) -> None:
    # Every dataset record without a title gets its first sentence as title, so this is the common case.
    article = Article(id="s", title="Ivo wins", body="Ivo wins the award, his publicist for the show confirmed.")
    (item,) = truthmeter.rate(article, tiny_result.model, signals=50)
    # The body already opens with the title, so Article.text (what offsets index) is the body alone.
    assert article.text == article.body
    spans = [s for s in item.rating.signals if s.start is not None]
    assert spans and all(article.text[s.start:s.end] == s.text for s in spans)


def test_rate_single_article_and_empty() -> None:
    (seed,) = list(truthmeter.read(SEED2))
    (item,) = truthmeter.rate(seed)
    assert item.article is seed
    assert truthmeter.rate([]) == []


def test_rate_stream_keeps_order_and_errors_in_place(tmp_path: Path, tiny_result) -> None:
    rows = labelled_rows(6, seed=3)
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(r) for r in rows]
    lines.insert(2, "{broken")
    path.write_text("\n".join(lines) + "\n")
    out = list(truthmeter.rate_stream(truthmeter.read(path), tiny_result.model, batch_size=2))
    assert len(out) == 7
    assert isinstance(out[2], ParseError) and out[2].line == 3
    assert [x.article.id for x in out if isinstance(x, RatedArticle)] == [r["id"] for r in rows]


# ---- ingest ----

def test_ingest_is_idempotent(tmp_path: Path, labelled_file: Path) -> None:
    with truthmeter.open_store(tmp_path / "news.db") as store:
        first = truthmeter.ingest([str(SEEDS), str(labelled_file)], store)
        assert (first.read, first.new, first.errors) == (62, 62, [])
        second = truthmeter.ingest([str(SEEDS), str(labelled_file)], store)
        assert (second.read, second.new, second.errors) == (62, 0, [])
        assert store.count() == 62
        stored = store.get(truthmeter.rate(list(truthmeter.read(SEED0)))[0].article.id)
        assert stored is not None and stored.rating.truth_rating == 10 and stored.rating.is_fact_check


def test_ingest_reports_errors_and_keeps_the_good(tmp_path: Path, tiny_result) -> None:
    bad = tmp_path / "bad.jsonl"
    rows = bulk_rows(3)
    bad.write_text(json.dumps(rows[0]) + "\nnot json\n" + json.dumps(rows[1]) + "\n")
    (tmp_path / "empty.txt").write_text("")
    seen: list[object] = []
    with truthmeter.open_store(":memory:") as store:
        report = truthmeter.ingest([str(bad), str(tmp_path / "empty.txt")], store, tiny_result.model,
                                   on_item=seen.append)
        assert (report.read, report.new, store.count()) == (2, 2, 2)
    assert [str(e) for e in report.errors] == [f"{bad}:2: not valid JSON: Expecting value (column 1)",
                                               f"{tmp_path / 'empty.txt'}: empty file"]
    assert [type(x).__name__ for x in seen] == ["RatedArticle", "ParseError", "RatedArticle", "ParseError"]


def test_ingest_10k_twice_keeps_10k(tmp_path: Path, fast_model_dir: Path) -> None:
    """Ten thousand distinct articles ingested twice: exactly ten thousand stored, each with one rating.

    Uses a cue-only model: the property is the store's, and the default model's n-gram explanations
    make one pass take several seconds on a small machine."""
    path = write_jsonl(tmp_path / "big.jsonl", bulk_rows(10_000))
    model = truthmeter.load_model(fast_model_dir)
    started = time.perf_counter()
    with truthmeter.open_store(tmp_path / "big.db") as store:
        first = truthmeter.ingest([str(path)], store, model)
        assert (first.read, first.new, first.errors, store.count()) == (10_000, 10_000, [], 10_000)
        second = truthmeter.ingest([str(path)], store, model)
        assert (second.read, second.new, second.errors, store.count()) == (10_000, 0, [], 10_000)
    elapsed = time.perf_counter() - started
    conn = sqlite3.connect(tmp_path / "big.db")
    try:
        assert conn.execute("SELECT COUNT(*) FROM articles a JOIN ratings r "
                            "ON r.content_hash = a.content_hash").fetchone()[0] == 10_000
        assert conn.execute("SELECT COUNT(DISTINCT id) FROM articles").fetchone()[0] == 10_000
    finally:
        conn.close()
    assert elapsed < 60, f"two ingests of 10,000 articles took {elapsed:.1f} s"


# ---- evaluate ----

def test_evaluate_on_a_small_labelled_file(tmp_path: Path, tiny_result) -> None:
    path = write_jsonl(tmp_path / "val.jsonl", labelled_rows(40, seed=11))
    for model in (tiny_result.model, truthmeter.load_model()):
        m = truthmeter.evaluate(truthmeter.read(path), model)
        assert m.n == 40 and m.threshold == model.threshold
        for key in ("macro_f1", "accuracy", "auc", "ece", "f1_real", "f1_fake"):
            assert 0.0 <= getattr(m, key) <= 1.0, key
        assert m.macro_f1 == pytest.approx((m.f1_real + m.f1_fake) / 2)
    m = truthmeter.evaluate(truthmeter.read(path), tiny_result.model)
    assert m.macro_f1 >= 0.9 and m.auc >= 0.9
    assert set(m.to_dict()) == {"n", "macro_f1", "accuracy", "auc", "ece", "f1_real", "f1_fake", "threshold"}


def test_evaluate_without_labels_is_a_data_error() -> None:
    with pytest.raises(DataError) as err:
        truthmeter.evaluate(truthmeter.read(SEEDS))
    assert str(err.value) == "no labelled articles to evaluate (need a label field: 1 = fake, 0 = real)"


def test_submitted_text_with_and_without_a_title() -> None:
    pasted = "Star Jane Roe Is Fine, Rep Says\n\nby Ann Writer\n\nJane Roe's rep told People on Monday that she is fine.\n\nImage: Getty"
    a = truthmeter.pipeline.submitted(text=pasted)
    assert (a.title, a.author) == ("Star Jane Roe Is Fine, Rep Says", "Ann Writer")
    assert a.body == "Jane Roe's rep told People on Monday that she is fine."
    b = truthmeter.pipeline.submitted(text="Jane Roe's rep told People she is fine.", title="Jane Roe is fine")
    assert (b.title, b.body) == ("Jane Roe is fine", "Jane Roe's rep told People she is fine.")
    assert b.origin is not None and b.origin.path == "submitted"


@pytest.mark.parametrize("kwargs, why", [({"text": "   "}, "submitted: no text given"),
                                         ({}, "submitted: no text given"),
                                         ({"url": "http://127.0.0.1:9/none"}, "http://127.0.0.1:9/none: ")])
def test_submitted_bad_input_is_a_parse_error(kwargs: dict, why: str) -> None:
    with pytest.raises(ParseError) as e:
        truthmeter.pipeline.submitted(**kwargs)
    assert str(e.value).startswith(why)


def test_ingest_articles_stores_articles_and_passes_errors(tmp_path: Path) -> None:
    good = truthmeter.pipeline.submitted(text="Jane Roe's rep told People she is fine.", title="Jane Roe is fine")
    bad = ParseError("x.jsonl", 3, "not JSON")
    with truthmeter.open_store(tmp_path / "t.db") as store:
        report = truthmeter.pipeline.ingest_articles([good, bad], store)
        assert (report.read, report.new, report.new_stories, [str(e) for e in report.errors]) == (
            1, 1, 1, ["x.jsonl:3: not JSON"])
        assert store.get(good.id) is not None
