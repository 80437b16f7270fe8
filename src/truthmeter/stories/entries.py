"""An article's clustering entry: what the story clusterer (cluster.py) keeps of it and a store
persists to rebuild the index. See cluster.py's docstring for the parts and their dtypes.

Computed from the article alone, so it runs where the article is (prepare.py: worker processes).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

import mmh3
import numpy as np

from truthmeter.stories.people import _STOP, _fold, find_people, names_key
from truthmeter.types import Article

__all__ = ["Entry", "VECTOR_DTYPE", "VECTOR_TERMS", "NUM_PERM", "entry_for"]

NUM_PERM = 64
VECTOR_TERMS = 64
VECTOR_DTYPE = np.dtype([("term", "<u4"), ("weight", "<f2")])
_SHINGLE = 3
# Words of the first 80 tokens (headline and lede, where a story states its claim) weigh 1.5 times
# more: on LLMFake that lifted B-cubed F1 by about 0.01; 60/100 tokens or a boost of 2 did no better.
_LEDE, _LEDE_BOOST = 80, 1.5
_TOKEN = re.compile(r"[^\W_]+")
# Words too common in news to tell stories apart, left out before the 64 heaviest words are chosen
# (the clusterer's IDF then weighs the rest).
_COMMON = _STOP | frozenset("""said says say told tell tells added also would like just one two three
new time year years get got go going know think really want make made see back first last still well way
even many much people could according reportedly report reports source sources insider star stars show
title headline introduction conclusion
""".split())
_MASK64 = (1 << 64) - 1
@dataclass(frozen=True)
class Entry:
    """What clustering keeps per article (see the module docstring for dtypes and lengths)."""

    key: str
    story_id: str
    signature: np.ndarray
    people: tuple[str, ...]
    date: str | None
    vector: np.ndarray | None


def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    # The same draws as datasketch's MinHash(seed=1, scheme="affine64"): odd `a`, any `b`.
    gen = np.random.RandomState(1)
    a = gen.randint(0, 1 << 63, num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = gen.randint(0, 1 << 64, num_perm, dtype=np.uint64)
    return a, b


_PERMS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def _signature(hashes: np.ndarray, num_perm: int) -> np.ndarray:
    """MinHash of the 3-token shingles given the tokens' 32-bit hashes."""
    if num_perm not in _PERMS:
        _PERMS[num_perm] = _permutations(num_perm)
    a, b = _PERMS[num_perm]
    n = len(hashes) - _SHINGLE + 1
    if n <= 0:
        shingles = hashes  # shorter than one shingle: its words
    else:
        shingles = hashes[:n].copy()
        for i in range(1, _SHINGLE):  # polynomial combination; uint64 arithmetic wraps on purpose
            shingles = shingles * np.uint64(0x9E3779B97F4A7C15) + hashes[i:n + i]
    if not len(shingles):
        return np.full(num_perm, _MASK64, dtype=np.uint64)
    h = _fmix64(np.unique(shingles))
    return (h[:, None] * a + b).min(axis=0)


# Proper nouns the person finder missed (its gazetteer does not know every first name) weigh half:
# repeated across a couple's stories, they made a wedding and a custody ruling look alike (hard pairs
# precision 0.82 -> 0.93 with the finder of the time, LLMFake precision unchanged, recall -0.01).
_PROPER = 0.5


# In ASCII text `_TOKEN`'s tokens are runs of [A-Za-z0-9]: one scan finds the lower-case ones, another
# the rest (capitalised or digits, 2+ characters), which alone need a look at what precedes them.
_ASCII_LOWER = re.compile(r"(?<![A-Za-z0-9])[a-z][A-Za-z0-9]*")
_ASCII_OTHER = re.compile(r"(?<![A-Za-z0-9])[A-Z0-9][A-Za-z0-9]+")
_NON_ASCII_WORD = re.compile(r"[^\W\x00-\x7f]")
_ENDS = frozenset('.!?"\u201c:;\n')


def _proper_words(body: str) -> frozenset[str]:
    """Words the body capitalises mid-sentence and never writes in lower case: names of people, shows
    and places, including names the person finder does not know."""
    # Text whose only non-ASCII characters are punctuation (curly quotes, dashes) has the ASCII words.
    plain = body.isascii() or not _NON_ASCII_WORD.search(body)
    return _proper_ascii(body) if plain else _proper_general(body)


def _proper_general(body: str) -> frozenset[str]:
    """`_proper_words` for any text, a word at a time."""
    upper: set[str] = set()
    lower: set[str] = set()
    for m in _TOKEN.finditer(body):
        word, j = m.group(), m.start() - 1
        while j >= 0 and body[j] in " \t":
            j -= 1
        if word[0].islower():
            lower.add(word.lower())
        elif j >= 0 and body[j] not in '.!?"\u201c:;\n' and len(word) > 1:  # not a sentence's first word
            upper.add(word.lower())
    return frozenset(upper - lower)


def _proper_ascii(body: str) -> frozenset[str]:
    """`_proper_words` for ASCII text, the same words."""
    lower = {w.lower() for w in _ASCII_LOWER.findall(body)}
    upper: set[str] = set()
    for m in _ASCII_OTHER.finditer(body):
        j = m.start() - 1
        while j >= 0 and body[j] in " \t":
            j -= 1
        if j >= 0 and body[j] not in _ENDS:  # not a sentence's first word
            upper.add(m.group().lower())
    return frozenset(upper - lower)


def _vector(tokens: list[str], people: Iterable[str], proper: frozenset[str] = frozenset()) -> np.ndarray:
    """Top content words by 1 + log(count), lede words boosted; ties keep text order."""
    names = {w for p in people for w in p.split()}
    counts = Counter(t for t in tokens if len(t) > 2 and t not in _COMMON and not t.isdigit())
    # Names are left out: every story about a person repeats the name, so it says nothing about which
    # story this is, and in short articles about one couple the two names made a wedding and a custody
    # ruling look alike (tests/data/hard_pairs.jsonl precision 0.82 -> 0.97 with the finder of the time,
    # LLMFake precision kept).
    # People are checked and scored separately.
    weights = {t: (1.0 + math.log(c)) * (_PROPER if t in proper else 1.0)
               for t, c in counts.items() if t not in names}
    for t in set(tokens[:_LEDE]):
        if t in weights:
            weights[t] *= _LEDE_BOOST
    top = sorted(weights, key=weights.__getitem__, reverse=True)[:VECTOR_TERMS]
    out = np.zeros(VECTOR_TERMS, dtype=VECTOR_DTYPE)
    if top:
        w = np.array([weights[t] for t in top], dtype=np.float32)
        terms = np.array([mmh3.hash(t, signed=False) for t in top], dtype=np.uint32)
        out["term"][-len(top):], out["weight"][-len(top):] = terms, w / np.linalg.norm(w)
    return np.sort(out, order="term")


def entry_for(key: str, article: Article, story_id: str = "", *, num_perm: int = NUM_PERM) -> Entry:
    """The clustering entry of an article: signature, content vector, people, date."""
    text = article.text
    tokens = _TOKEN.findall(_fold(text).lower())
    # Each distinct word hashed once: articles repeat most of theirs.
    known = {t: mmh3.hash(t, signed=False) for t in set(tokens)}
    hashes = np.array([known[t] for t in tokens], dtype=np.uint64)
    # The outlet's own name ("told Screen Ledger") is not a person in the story.
    outlet = names_key(article.outlet) if article.outlet else None
    people = tuple(p for p in find_people(text) if p != outlet)
    proper = _proper_words(_fold(article.body))
    return Entry(key, story_id, _signature(hashes, num_perm), people, article.date, _vector(tokens, people, proper))
