"""The fast paths of rating (issue 13) give what the plain paths give: counts without explanation
bookkeeping, `rate(..., signals=0)`, one big `rate` call split into chunks, the JSONL writer, and
workers reading byte ranges of a file and rendering what they rate (`_workers.rate_files`)."""

from __future__ import annotations

import io
import json
import subprocess
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

import truthmeter
from conftest import CLI, SEEDS, bulk_rows, cli_env, labelled_rows, write_jsonl
from truthmeter import Article, RatedArticle, pipeline
from truthmeter._workers import rate_files
from truthmeter.features import create, make_doc
from truthmeter.features._grams import batch_counts, batch_grams
from truthmeter.publish.formats import writer_for

pytestmark = pytest.mark.usefixtures("clean_env")

VAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "arg_gossipcop" / "val.jsonl"
GATE = ("unrated", "capped", "fact_check")


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory) -> list[Article]:
    """Seeds (one a published fact-check), labelled stories and short bulk ones (some Unrated)."""
    path = write_jsonl(tmp_path_factory.mktemp("speed") / "mixed.jsonl", [*labelled_rows(40), *bulk_rows(30)])
    items = [*truthmeter.read(SEEDS), *truthmeter.read(path)]
    assert all(isinstance(a, Article) for a in items)
    return items


def jsonl(items: list[RatedArticle]) -> str:
    out = io.StringIO()
    w = writer_for("jsonl", out)
    for x in items:
        w.write(x)
    w.close()
    return out.getvalue()


def same_matrix(a, b) -> None:  # noqa: ANN001
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)


@pytest.mark.parametrize("params", [{"word_bits": 12, "char_bits": 12}, {"word_bits": 12, "char_bits": 0}])
def test_counts_without_explanations_are_the_same_matrix(articles: list[Article], params: dict) -> None:
    lex = create("lexical.v1", params)
    docs = [make_doc(a) for a in articles] + [make_doc(Article(id="e", title="", body="!"))]
    same_matrix(batch_counts(docs, lex.shape), batch_grams(docs, lex.shape).counts(lex.n_features))
    same_matrix(batch_counts([], lex.shape), batch_grams([], lex.shape).counts(lex.n_features))


def test_model_features_without_explanations_are_the_same(articles: list[Article]) -> None:
    model = truthmeter.load_model()
    docs = [make_doc(a) for a in articles]
    same_matrix(model.features(docs, explain=False), model.features(docs))


def test_rate_without_signals_gives_the_same_ratings(articles: list[Article]) -> None:
    full, bare = truthmeter.rate(articles), truthmeter.rate(articles, signals=0)
    assert any(x.rating.reasons for x in full)
    for f, b in zip(full, bare, strict=True):
        fd, bd = f.to_dict(), b.to_dict()
        assert bd["reasons"] == []
        # Only the verdict gate's signal (or the fact-check's) stays.
        assert bd["signals"] == [s for s in fd["signals"] if s["name"] in GATE]
        assert {k: v for k, v in fd.items() if k not in ("signals", "reasons")} == \
               {k: v for k, v in bd.items() if k not in ("signals", "reasons")}


@pytest.mark.parametrize("signals", [5, 0])
def test_one_big_call_is_rated_as_in_batches(articles: list[Article], monkeypatch: pytest.MonkeyPatch,
                                             signals: int) -> None:
    model = truthmeter.load_model()
    plain = pipeline._rate_batch(list(articles), model, signals, True)  # the whole list as one batch
    monkeypatch.setattr(pipeline, "RATE_CHUNK", 7)
    chunked = truthmeter.rate(articles, model, signals=signals)
    batched = [r for i in range(0, len(articles), 5) for r in truthmeter.rate(articles[i:i + 5], model, signals=signals)]
    assert jsonl(chunked) == jsonl(plain) == jsonl(batched)


@pytest.mark.shared_data
def test_val_sample_is_the_same_on_every_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ARG GossipCop val, the first 300 articles: one batch as before, chunked, streamed in batches."""
    if not VAL.exists():
        pytest.skip(f"{VAL} not found")
    with VAL.open(encoding="utf-8") as f:
        (tmp_path / "val300.jsonl").write_text("".join(islice(f, 300)), encoding="utf-8")
    items = list(truthmeter.read(tmp_path / "val300.jsonl"))
    assert len(items) == 300 and all(isinstance(a, Article) for a in items)
    model = truthmeter.load_model()
    plain = jsonl(pipeline._rate_batch(items, model, 5, True))
    monkeypatch.setattr(pipeline, "RATE_CHUNK", 64)
    assert jsonl(truthmeter.rate(items, model)) == plain
    assert jsonl(list(truthmeter.rate_stream(items, model, batch_size=100))) == plain
    # `truthmeter rate --no-stories`: workers read byte ranges of the file, rate and render them.
    rendered = rate_files([str(tmp_path / "val300.jsonl")], writer_for("jsonl", io.StringIO()), model, workers=2,
                          range_bytes=100_000)
    assert b"".join(x.data for x in rendered).decode() == plain  # type: ignore[union-attr]
    bare, full = truthmeter.rate(items, model, signals=0), pipeline._rate_batch(items, model, 5, True)
    key = lambda x: (x.rating.p_true, x.rating.truth_rating, x.rating.verdict)  # noqa: E731
    assert [key(x) for x in bare] == [key(x) for x in full]


def test_cli_signals_0_keeps_the_fields(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", labelled_rows(6))
    run = lambda *extra: subprocess.run([*CLI, "rate", "--no-stories", "--format", "jsonl", *extra, str(path)],  # noqa: E731
                                        capture_output=True, text=True, env=cli_env(), check=True).stdout
    full = [json.loads(line) for line in run().splitlines()]
    bare = [json.loads(line) for line in run("--signals", "0").splitlines()]
    assert len(full) == len(bare) == 6 and any(x["reasons"] for x in full)
    for f, b in zip(full, bare):
        assert list(f) == list(b) and b["reasons"] == []
        assert b["signals"] == [s for s in f["signals"] if s["name"] in GATE]
        assert (f["truth_rating"], f["p_true"], f["verdict"]) == (b["truth_rating"], b["p_true"], b["verdict"])
    one = [json.loads(line) for line in run("--signals", "1").splitlines()]
    assert all(len([s for s in x["signals"] if s["name"] not in GATE]) <= 1 for x in one)


def test_cli_signals_is_for_the_local_engine(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "in.jsonl", labelled_rows(2))
    done = subprocess.run([*CLI, "rate", "--engine", "dask", "--signals", "0", str(path)], capture_output=True,
                          text=True, env=cli_env())
    assert done.returncode == 2 and "--signals only with --engine local" in done.stderr
