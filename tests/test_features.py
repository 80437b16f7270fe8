"""Feature families alone: tokenisation invariance, registry, the hashing cache, cue counts."""

from __future__ import annotations

import numpy as np
import pytest

from truthmeter.errors import ModelError
from truthmeter.features import create, make_doc, registry
from truthmeter.features._base import WINDOW_TOKENS
from truthmeter.types import Article, Quote

ARG_STYLE = "Her ex - wife said the “ Miss Saigon ” star isn ' t dating anyone , a source claims ."
RAW_STYLE = "Her ex-wife said the “Miss Saigon” star isn't dating anyone, a source claims."


def doc(body: str, title: str = "") -> object:
    return make_doc(Article(id="x", title=title, body=body))


def test_arg_tokenisation_and_real_text_give_the_same_tokens() -> None:
    assert doc(ARG_STYLE).tokens == doc(RAW_STYLE).tokens


def test_registry_names_are_versioned_and_unknown_names_fail() -> None:
    assert {"lexical.v1", "sourcing.v1", "hedging.v1", "sensational.v1", "denial.v1"} <= set(registry())
    with pytest.raises(ModelError, match="unknown feature family 'lexical.v9'"):
        create("lexical.v9")


def test_docs_are_cut_to_the_training_window() -> None:
    long = " ".join(f"word{i}" for i in range(WINDOW_TOKENS * 3))
    d = doc(long)
    assert len(d.tokens) == WINDOW_TOKENS
    assert d.text.endswith(f"word{WINDOW_TOKENS - 1}")


def test_a_title_repeated_as_the_first_sentence_is_not_counted_twice() -> None:
    assert doc("Star Wins Award. More text here.", title="Star Wins Award.").tokens[:3] == ("star", "wins", "award")
    assert doc("Star Wins Award. More text here.", title="Star Wins Award.").tokens.count("star") == 1


@pytest.mark.parametrize("char_bits", [0, 12])
def test_cached_hashing_equals_sklearn_hashing(char_bits: int) -> None:
    texts = [RAW_STYLE, ARG_STYLE, "A a I x!", "Singer's tour: 29 dates — sold out.", ""]
    lex = create("lexical.v1", {"word_bits": 12, "char_bits": char_bits})
    docs = [doc(t) for t in texts]
    (w1, c1), (w2, c2) = lex._counts(docs), lex._sklearn_counts(docs)
    assert abs(w1 - w2).sum() == 0
    assert c1.shape == c2.shape and abs(c1 - c2).sum() == 0


def test_lexical_rows_are_l2_normalised_per_block() -> None:
    lex = create("lexical.v1", {"word_bits": 12, "char_bits": 12})
    docs = [doc(RAW_STYLE), doc("Another short text about a singer.")]
    X = lex.fit(docs).transform(docs).toarray()
    assert np.allclose(np.linalg.norm(X[:, :4096], axis=1), 1)
    assert np.allclose(np.linalg.norm(X[:, 4096:], axis=1), 1)


def test_sourcing_counts_anonymous_sources_and_named_quotes() -> None:
    fam = create("sourcing.v1")
    names = [c[0] for c in fam.cues]
    quotes = (Quote("I am fine and happy", "Marisol Vance", 0, 5), Quote("They are over", "a source", 10, 20))
    d = make_doc(Article(id="x", title="", body="A source close to the pair says so. " + RAW_STYLE, quotes=quotes))
    raw = fam._raw([d])[0]
    assert raw[names.index("anonymous source")] > 0
    assert raw[names.index("named quote")] == pytest.approx(np.log1p(1))
    assert raw[names.index("anonymous quote")] == pytest.approx(np.log1p(1))
    assert raw[names.index("representative on record")] == 0


@pytest.mark.parametrize("gram", ["a", "kardashian", "é x", "ex wife", "“", "  ", "日本"])
def test_bucket_hash_is_sklearns_murmurhash(gram: str) -> None:
    from sklearn.utils import murmurhash3_32

    from truthmeter.features._grams import bucket as _bucket

    n = 2 ** 18
    h = murmurhash3_32(gram, seed=0, positive=False)
    assert _bucket(gram, n) == abs(h) % n


@pytest.mark.parametrize("text", ["", "!!!", "a", " Khloé’s “ex - wife” — İstanbul, 2015!", RAW_STYLE * 3])
def test_token_offsets_point_at_their_tokens(text: str) -> None:
    from truthmeter.features._base import _FOLD, _tokenize

    tokens, offsets = _tokenize(text)
    assert [text[a:b].translate(_FOLD).lower() for a, b in offsets] == list(tokens)
    assert all(b > a for a, b in offsets) and list(offsets) == sorted(offsets)
