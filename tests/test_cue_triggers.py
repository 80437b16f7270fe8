"""The cue searches the verdict gate runs skip docs without a cue's trigger words (features/cues.py
TRIGGERS): they must find exactly what the plain regex search finds, on real and generated text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from truthmeter import Article
from truthmeter.features import make_doc
from truthmeter.features.cues import CUES, TRIGGERS, search, token_words

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arg_gossipcop"
PATTERNS = [(label, cue) for family in CUES.values() for label, cue in family if label in TRIGGERS]
# Every trigger word in several cases, the words around them in the patterns, and what could trip a
# token-based test: underscores, apostrophes, accents, the characters re.IGNORECASE maps to ASCII.
_TRIGGER_WORDS = sorted({w for words, prefixes in TRIGGERS.values() for w in (*words, *prefixes)})
WORDS = [*_TRIGGER_WORDS, *(w.upper() for w in _TRIGGER_WORDS), *(w.title() for w in _TRIGGER_WORDS),
         "a", "an", "one", "another", "close", "to", "say", "said", "in", "joint", "for", "took", "story", "on",
         "not", "no", "up", "down", "E", "!", "People", "ed", "ing", "s", "_", "x_", "’", "'", "é", "ſ", "K",
         "İ", "ı", "Gossip Cop", "sourceé", "fabrıcated", "deſ", "\n", "  ", ".", "-",
         # the patterns' phrases, whole
         "no truth", "not true", "made up", "shut down", "friends close to", "sources say", "a source",
         "one insider", "took to Instagram", "instagram story", "cover story", "appearance on", "in a statement",
         "in a joint statement", "rep for", "told E!", "tells People", "confirmed", "Denies", "debunked"]
texts = st.lists(st.sampled_from(WORDS), max_size=40).flatmap(
    lambda ws: st.lists(st.sampled_from([" ", "", "\n", "_", "-", "'"]), min_size=len(ws), max_size=len(ws)).map(
        lambda seps: "".join(w + s for w, s in zip(ws, seps))))


def assert_same(doc) -> None:  # noqa: ANN001
    words = token_words(doc)
    for label, pattern in PATTERNS:
        got, want = search(pattern, label, doc, words), pattern.search(doc.text)
        assert (got and got.span()) == (want and want.span()), (label, doc.text)


@settings(max_examples=1500, deadline=None)
@given(texts)
def test_generated_text(text: str) -> None:
    assert_same(make_doc(Article(id="x", title="", body=text)))


@pytest.mark.shared_data
@pytest.mark.parametrize("split", ["val", "train"])
def test_real_articles(split: str) -> None:
    path = DATA / f"{split}.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    skipped = 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            doc = make_doc(Article(id="x", title="", body=json.loads(line)["content"]))
            assert_same(doc)
            words = token_words(doc)
            skipped += words is not None and words.isdisjoint(TRIGGERS["denial"][0])
    assert skipped > 0  # the test exercised the skipping, not only the fallback
