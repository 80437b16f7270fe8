"""The compiled part of lexical.v1 (features/_fastgrams.c) gives exactly what the pure-Python path
gives: tokens and offsets, counts, gram owners, explanations, ratings, and the CLI's bytes (issue 13).

Under CI the compiled part must be there (a failed build would otherwise hide behind the fallback)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import truthmeter
from conftest import CLI, SEEDS, bulk_rows, cli_env, labelled_rows, write_jsonl
from truthmeter import Article
from truthmeter.features import _accel, create, make_doc
from truthmeter.features._grams import attribute_batch, batch_counts, batch_grams
from truthmeter.pipeline import load_model

VAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "arg_gossipcop" / "val.jsonl"

if not _accel.accelerated():
    if os.environ.get("CI") == "true" and not os.environ.get("TRUTHMETER_PURE_PYTHON"):
        raise RuntimeError("features/_fastgrams.c was not built: CI must test the compiled path")
    pytest.skip("the compiled part is not built here (pure-Python path only)", allow_module_level=True)

# Words that exercise every rule: case, digits, underscores, curly quotes and dashes, e-acute (folded),
# other accents (kept), the characters re.IGNORECASE maps to ASCII (İ ı ſ K), a fact-checker's name.
WORDS = ["Gossip", "Cop", "gossipcop", "Snopes", "lead", "Stories", "factcheck.org", "PolitiFact", "LEADING",
         "café", "É", "naïve", "İstanbul", "ıi", "ſource", "Kelvin", "K", "don’t", "“quote”", "—", "–", "x_y",
         "2019", "a1b2", "ß", "ǅemal", "ﬁne", "日本語", "🙂", "e\u0301", "O'Brien", "rock-n-roll", "   ", "\n\n",
         "source", "told", "E!", "denied", "fabricated", "Debunked"]
texts = st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=60).map(" ".join)


def docs_both_ways(articles: list[Article]) -> tuple[list, list]:
    fast = [make_doc(a) for a in articles]
    with _accel.pure_python():
        pure = [make_doc(a) for a in articles]
    return fast, pure


def same_matrix(a, b) -> None:  # noqa: ANN001
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory) -> list[Article]:
    path = write_jsonl(tmp_path_factory.mktemp("fast") / "mixed.jsonl", [*labelled_rows(40), *bulk_rows(30)])
    rows = [{"title": f"t{i}", "content": " ".join(WORDS[i:] + WORDS[:i]) * (1 + i % 9)} for i in range(len(WORDS))]
    extra = write_jsonl(tmp_path_factory.mktemp("fast") / "odd.jsonl", rows)
    # First, an article with no words at all: a batch whose first doc has no grams.
    items = [Article(id="nothing", title="", body="!"), *truthmeter.read(SEEDS), *truthmeter.read(path),
             *truthmeter.read(extra)]
    assert all(isinstance(a, Article) for a in items)
    return items


@settings(max_examples=300, deadline=None)
@given(texts)
def test_docs_are_the_same_on_any_text(text: str) -> None:
    fast, pure = docs_both_ways([Article(id="x", title="", body=text)])
    assert fast == pure


@settings(max_examples=100, deadline=None)
@given(st.lists(texts, min_size=1, max_size=6))
def test_counts_and_owners_are_the_same_on_any_text(bodies: list[str]) -> None:
    lex = create("lexical.v1", {"word_bits": 10, "char_bits": 10})  # small: collisions are common
    docs, _ = docs_both_ways([Article(id=str(i), title="", body=b) for i, b in enumerate(bodies)])
    fast_counts, fast_grams = batch_counts(docs, lex.shape), batch_grams(docs, lex.shape)
    with _accel.pure_python():
        pure_counts, pure_grams = batch_counts(docs, lex.shape), batch_grams(docs, lex.shape)
    same_matrix(fast_counts, pure_counts)
    for name in ("doc_of", "cols", "owner", "owner_doc", "owner_span"):
        a, b = getattr(fast_grams, name), getattr(pure_grams, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert list(fast_grams.keys) == pure_grams.keys
    with _accel.pure_python():
        pure_ids = pure_grams.owner_ids()
    assert np.array_equal(fast_grams.owner_ids(), pure_ids)
    for got, want in zip(fast_grams.occurrences(lex.n_features), pure_grams.occurrences(lex.n_features)):
        assert np.array_equal(got, want)


@pytest.mark.parametrize("params", [{"word_bits": 12, "char_bits": 12}, {"word_bits": 12, "char_bits": 0},
                                    {"word_bits": 18, "char_bits": 18, "char_range": [3, 4], "max_tokens": 7}])
def test_explanations_are_the_same(articles: list[Article], params: dict) -> None:
    lex = create("lexical.v1", params)
    docs, _ = docs_both_ways(articles)
    rng = np.random.default_rng(0)
    X = batch_counts(docs, lex.shape)
    X.data = rng.normal(size=len(X.data)).round(1)  # rounded: ties, where the order must be kept too
    fast = attribute_batch(batch_grams(docs, lex.shape), X, 5)
    with _accel.pure_python():
        assert attribute_batch(batch_grams(docs, lex.shape), X, 5) == fast


@pytest.mark.parametrize("signals", [0, 5])
def test_ratings_are_the_same(articles: list[Article], signals: int) -> None:
    model = load_model()
    fast = truthmeter.rate(articles, model, signals=signals)
    with _accel.pure_python():
        assert truthmeter.rate(articles, model, signals=signals) == fast


@pytest.mark.shared_data
def test_cli_bytes_on_val_are_the_same_without_the_compiled_part(tmp_path: Path) -> None:
    if not VAL.exists():
        pytest.skip(f"{VAL} not found")
    outs = []
    for pure in ("", "1"):
        env = cli_env(**({"TRUTHMETER_PURE_PYTHON": pure} if pure else {}))
        done = subprocess.run([*CLI, "rate", "--no-stories", "--format", "jsonl", str(VAL)], env=env,
                              capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr.decode()
        outs.append(done.stdout)
    assert outs[0] == outs[1]
    assert len(outs[0].splitlines()) == sum(1 for _ in VAL.open(encoding="utf-8"))
    assert any(json.loads(line)["reasons"] for line in outs[0].splitlines())  # the default: explained


def test_threads_rating_at_once_get_what_one_gets(articles: list[Article]) -> None:
    """The compiled part keeps buffers between calls; the web app rates in threads."""
    import threading

    model = load_model()
    want = truthmeter.rate(articles, model)
    got: dict[int, list] = {}
    threads = [threading.Thread(target=lambda i=i: got.__setitem__(i, truthmeter.rate(articles, model)))
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(got) == 4 and all(g == want for g in got.values())


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40), st.sampled_from([2, 2 ** 10, 2 ** 18, 3, 1000]))
def test_hash_columns_are_the_same(text: str, n: int) -> None:
    """MurmurHash3 of the UTF-8 bytes, folded as sklearn folds it (surrogates cannot be UTF-8: skipped)."""
    from truthmeter.features._grams import bucket

    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return
    assert _accel.FAST.bucket(text, n) == bucket(text, n)  # type: ignore[union-attr]
