"""lexical.v1's weighting (features/_weigh.py + the C part's scale_rows) gives the bytes scipy's
formula gives: each block sliced out, scaled by diags(1 / norms) @ block, the blocks stacked. Values,
column order within each row (scores sum rows in it) and dtypes (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from truthmeter import Article
from truthmeter.features import _accel, create, make_doc
from truthmeter.features._weigh import weighted

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arg_gossipcop"

pytestmark = pytest.mark.skipif(not _accel.accelerated(), reason="the compiled part is not built here")


def fitted(params: dict, docs: list) -> object:
    lex = create("lexical.v1", params)
    return lex.fit(docs)  # real IDF: the weights vary by column


def assert_same(lex, docs) -> None:  # noqa: ANN001
    counts = lex._all_counts(docs, explain=False)
    got = weighted(counts, lex.word_n, lex.idf_word, lex.idf_char)
    want = lex._reference_weights(counts)
    assert got is not None
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.array_equal(got.indptr, want.indptr)
    assert np.array_equal(got.indices, want.indices)  # the order within each row, too
    assert np.array_equal(got.data, want.data)
    assert np.array_equal(lex.transform(docs, explain=False).data, want.data)


words = st.sampled_from(["a", "b", "Jane", "Doe", "engaged", "café", "x_y", "2019", "!", "  ", "\n"])
bodies = st.lists(st.lists(words, max_size=40).map(" ".join), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(bodies, st.sampled_from([{"word_bits": 6, "char_bits": 6}, {"word_bits": 8, "char_bits": 0},
                                {"word_bits": 12, "char_bits": 10, "max_tokens": 5}]))
def test_generated_batches(texts: list[str], params: dict) -> None:
    docs = [make_doc(Article(id=str(i), title="", body=t)) for i, t in enumerate(texts)]  # some with no tokens
    assert_same(fitted(params, docs), docs)


@pytest.mark.shared_data
def test_val_with_the_shipped_shape() -> None:
    path = DATA / "val.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    with path.open(encoding="utf-8") as f:
        docs = [make_doc(Article(id=str(i), title="", body=json.loads(line)["content"])) for i, line in enumerate(f)]
    lex = fitted({}, docs)
    for i in range(0, len(docs), 512):
        assert_same(lex, docs[i:i + 512])
