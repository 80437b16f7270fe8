"""Online story clustering: each new article joins the story it tells, or starts a new one.

Per article an `Entry` holds what clustering needs and what a store persists to rebuild the index:
  * `signature`: MinHash of the article's 3-word shingles, `np.uint64`, `num_perm` values (64).
    The values are those of datasketch's `MinHash(num_perm, seed=1, scheme="affine64")` fed the
    64-bit shingle hashes (fmix64, then `a * h + b mod 2**64`; tested), computed in numpy. Two
    signatures agree on a position with probability equal to the Jaccard similarity of the shingle
    sets: near-duplicates.
  * `vector`: the article's `VECTOR_TERMS` (64) heaviest content words, `VECTOR_DTYPE`
    (`term` uint32 mmh3 hash, `weight` float16), sorted by term, L2-normalised, padded with
    (0, 0): a sparse unit vector. Paraphrases and rewrites share few shingles but many words.
  * `people`: canonical names (`people.find_people`), for candidates and the score.
Bytes: `entry.signature.tobytes()` / `np.frombuffer(b, dtype=np.uint64)`, and
`entry.vector.tobytes()` / `np.frombuffer(b, dtype=VECTOR_DTYPE)`.

Cost per article is bounded, so clustering n articles is close to linear: candidates come from a
banded MinHash LSH and an inverted index on people and heavy words, with recency-capped postings,
and are capped in number; they are scored in one vectorised pass, the vectors weighted by IDF from
the clusterer's own word counts (so `restore` rebuilds them from the entries).
"""

from __future__ import annotations

import array
import datetime as _dt
import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Iterable

import mmh3
import numpy as np

from truthmeter.stories.people import _STOP, _fold, find_people, names_key
from truthmeter.types import Article

__all__ = ["Entry", "VECTOR_DTYPE", "VECTOR_TERMS", "NUM_PERM", "entry_for", "story_id_for",
           "StoryClusterer"]

NUM_PERM = 64
VECTOR_TERMS = 64
VECTOR_DTYPE = np.dtype([("term", "<u4"), ("weight", "<f2")])
_SHINGLE = 3
# Words of the first 80 tokens (headline and lede, where a story states its claim) weigh 1.5 times
# more: on LLMFake that lifted B-cubed F1 by about 0.01; 60/100 tokens or a boost of 2 did no better.
_LEDE, _LEDE_BOOST = 80, 1.5
# Each article is indexed under its 16 heaviest words too: with people and LSH alone, 67 of 679
# later versions of an LLMFake story had no earlier version among their candidates; with them, 9.
_INDEX_TERMS = 16
_ROWS = 4  # LSH rows per band: 16 bands of 4 find pairs with Jaccard >= ~0.5, rarely below 0.2
_TOKEN = re.compile(r"[^\W_]+")
# Words too common in news to tell stories apart, left out before the 64 heaviest words are chosen
# (the clusterer's IDF then weighs the rest).
_COMMON = _STOP | frozenset("""said says say told tell tells added also would like just one two three
new time year years get got go going know think really want make made see back first last still well way
even many much people could according reportedly report reports source sources insider star stars show
title headline introduction conclusion
""".split())
_MASK64 = (1 << 64) - 1
_DF_MASK = (1 << 22) - 1


@dataclass(frozen=True)
class Entry:
    """What clustering keeps per article (see the module docstring for dtypes and lengths)."""

    key: str
    story_id: str
    signature: np.ndarray
    people: tuple[str, ...]
    date: str | None
    vector: np.ndarray | None


def story_id_for(key: str) -> str:
    """A story's id: from its first article's key, so it is stable across runs and restores."""
    return "s" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


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


def _vector(tokens: list[str], people: Iterable[str]) -> np.ndarray:
    """Top content words by 1 + log(count), lede words boosted; ties keep text order."""
    names = {w for p in people for w in p.split()}
    counts = Counter(t for t in tokens if len(t) > 2 and t not in _COMMON and not t.isdigit())
    # Names count once: every story about a person repeats the name, so it says little about which
    # story this is (hard-pair AUC 0.964 -> 0.973 on LLMFake); shared people are scored separately.
    weights = {t: 1.0 if t in names else 1.0 + math.log(c) for t, c in counts.items()}
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
    hashes = np.array([mmh3.hash(t, signed=False) for t in tokens], dtype=np.uint64)
    # The outlet's own name ("told Screen Ledger") is not a person in the story.
    outlet = names_key(article.outlet) if article.outlet else None
    people = tuple(p for p in find_people(text) if p != outlet)
    return Entry(key, story_id, _signature(hashes, num_perm), people, article.date, _vector(tokens, people))


def _people_score(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard of two people sets, halved when they share only one name: one shared celebrity is
    what different stories about her have in common; two shared names say more. (Same LLMFake F1
    as plain Jaccard, and twice the margin for same-person, different-event pairs in the tests.)"""
    shared = len(a & b)
    return shared / len(a | b) * min(shared, 2) / 2 if shared else 0.0


def _day(date: str | None) -> int:
    """Days since year 1 of an ISO date, or -1 when unknown (no time window applies)."""
    try:
        return _dt.date.fromisoformat((date or "")[:10]).toordinal()
    except ValueError:
        return -1


class _Bands:
    """Banded MinHash LSH, compact: a dict from band key to the latest entry, and a chain array to
    the earlier ones. datasketch's MinHashLSH keeps a set per bucket: at 100k articles that took
    490 MB and 167 us per insert here, against about 190 MB and 70 us."""

    def __init__(self, num_perm: int) -> None:
        self.bands = num_perm // _ROWS
        self._mult = np.random.RandomState(7).randint(1, 1 << 62, _ROWS, dtype=np.uint64) | np.uint64(1)
        self._salt = np.arange(self.bands, dtype=np.uint64) << np.uint64(56)
        self._head: dict[int, int] = {}
        self._prev = array.array("q")  # slot -> earlier slot in the same bucket, or -1

    def _keys(self, signature: np.ndarray) -> list[int]:
        rows = signature[: self.bands * _ROWS].reshape(self.bands, _ROWS)
        return ((rows * self._mult).sum(axis=1) ^ self._salt).tolist()

    def add(self, index: int, signature: np.ndarray) -> None:
        for band, key in enumerate(self._keys(signature)):
            self._prev.append(self._head.get(key, -1))
            self._head[key] = index * self.bands + band

    def query(self, signature: np.ndarray, per_bucket: int) -> set[int]:
        found: set[int] = set()
        for key in self._keys(signature):
            slot, seen = self._head.get(key, -1), 0
            while slot >= 0 and seen < per_bucket:  # latest first: the cap keeps recent articles
                found.add(slot // self.bands)
                slot, seen = self._prev[slot], seen + 1
        return found


class StoryClusterer:
    """Assigns articles to stories one at a time; `restore` rebuilds it from stored entries.

    Candidates for a new article: articles sharing an LSH bucket of its signature, one of its
    people, or one of its 16 heaviest words (each posting list keeps its `posting_cap` latest
    articles), dated within `window_days` of it when both dates are known; at most `max_candidates`,
    those with most shared keys first. Each candidate scores its text similarity (the larger of
    shingle Jaccard and the IDF-weighted cosine of the content vectors) plus `people_weight` times
    the Jaccard of their people (halved when they share one name only). A story scores the mean of its best and its average candidate
    score; the article joins the best story scoring `threshold` or more, else starts a story.
    Defaults are tuned on half of LLMFake's stories (bench/cluster_quality.py).
    """

    def __init__(self, *, threshold: float = 0.2125, window_days: int = 30, num_perm: int = NUM_PERM,
                 people_weight: float = 0.1, max_candidates: int = 64, posting_cap: int = 32) -> None:
        self.threshold, self.window_days, self.num_perm = threshold, window_days, num_perm
        self.people_weight, self.max_candidates, self.posting_cap = people_weight, max_candidates, posting_cap
        self._index: dict[str, int] = {}
        self._story: list[str] = []
        self._people: list[frozenset[str]] = []
        self._days = array.array("q")
        self._sigs = np.zeros((0, num_perm), dtype=np.uint64)
        self._vecs = np.zeros((0, VECTOR_TERMS), dtype=VECTOR_DTYPE)
        self._bands = _Bands(num_perm)
        # Person name or word hash -> articles, latest last; lists trimmed to the cap now and then
        # (a deque(maxlen) costs 600+ bytes even when it holds one article, as most do).
        self._postings: dict[str | int, list[int]] = {}
        self._df = np.zeros(_DF_MASK + 1, dtype=np.int32)  # articles per (hashed) vector word

    def __len__(self) -> int:
        return len(self._story)

    def __bool__(self) -> bool:  # an empty clusterer is still a clusterer: `c or default` keeps it
        return True

    def story_of(self, key: str) -> str | None:
        i = self._index.get(key)
        return None if i is None else self._story[i]

    def restore(self, entries: Iterable[Entry]) -> None:
        """Index stored entries with their stored stories, in the order they were first added
        (recency caps and word frequencies depend on it)."""
        for entry in entries:
            if entry.key not in self._index:
                self._insert(entry)

    def assign(self, key: str, article: Article) -> tuple[Entry, bool]:
        """The article's entry with its story id, and whether that story is new."""
        return self.add(entry_for(key, article, num_perm=self.num_perm))

    def add(self, entry: Entry) -> tuple[Entry, bool]:
        """`assign` for an entry computed beforehand (say in worker processes); its story_id is
        ignored. A key seen before keeps its story."""
        if entry.key in self._index:
            return replace(entry, story_id=self._story[self._index[entry.key]]), False
        best = self._best_story(entry)
        done = replace(entry, story_id=best or story_id_for(entry.key))
        self._insert(done)
        return done, best is None

    def similarity(self, a: Entry, b: Entry) -> float:
        """The pair score the clusterer uses, with its current word frequencies."""
        vec = np.zeros((1, VECTOR_TERMS), dtype=VECTOR_DTYPE)
        if b.vector is not None:
            vec[0] = b.vector
        return float(self._scores(a, b.signature[None], vec, [frozenset(b.people)])[0])

    def _reserve(self, rows: int) -> None:
        if rows > len(self._sigs):  # grow by doubling: amortised O(1) appends of numpy rows
            extra = max(rows, 64)
            self._sigs = np.concatenate([self._sigs, np.zeros((extra, self.num_perm), dtype=np.uint64)])
            self._vecs = np.concatenate([self._vecs, np.zeros(extra, dtype=(VECTOR_DTYPE, VECTOR_TERMS))])

    def _insert(self, entry: Entry) -> None:
        i = len(self._story)
        self._reserve(i + 1)
        self._sigs[i] = entry.signature
        self._vecs[i] = entry.vector if entry.vector is not None else 0
        self._index[entry.key] = i
        self._story.append(entry.story_id or story_id_for(entry.key))
        self._people.append(frozenset(entry.people))
        self._days.append(_day(entry.date))
        self._bands.add(i, entry.signature)
        for key in self._keys(entry):
            posting = self._postings.setdefault(key, [])
            posting.append(i)
            if len(posting) >= 2 * self.posting_cap:
                del posting[: -self.posting_cap]
        if entry.vector is not None:
            terms = entry.vector["term"]
            np.add.at(self._df, terms[terms != 0] & _DF_MASK, 1)

    @staticmethod
    def _keys(entry: Entry) -> list[str | int]:
        """Inverted-index keys: the people, and the heaviest words (as ints, apart from names)."""
        keys: list[str | int] = list(entry.people)
        if entry.vector is not None:
            top = np.argsort(-entry.vector["weight"].astype(np.float32), kind="stable")[:_INDEX_TERMS]
            keys += [t for t in entry.vector["term"][top].tolist() if t]
        return keys

    def _candidates(self, entry: Entry) -> list[int]:
        ids: list[int] = []
        for i in self._bands.query(entry.signature, self.posting_cap):
            ids += (i, i)  # a shared LSH bucket counts twice: likely a near-duplicate
        for key in self._keys(entry):
            ids.extend(self._postings.get(key, ())[-self.posting_cap:])
        if not ids:
            return []
        found, votes = np.unique(np.array(ids), return_counts=True)
        day = _day(entry.date)
        if day >= 0:
            days = np.frombuffer(self._days, dtype=np.int64)[found]
            near = (days < 0) | (np.abs(days - day) <= self.window_days)
            found, votes = found[near], votes[near]
        top = np.lexsort((-found, -votes))[: self.max_candidates]  # most votes, then the latest
        return found[top].tolist()

    def _idf(self, terms: np.ndarray) -> np.ndarray:
        # 1 - log(1 + df) / log(n + 52): 1 for an unseen word, low for a word in most articles.
        # Scaled by log(n), so a threshold tuned on 600 articles still holds at 1,200 (plain
        # log(n / df) grows with n and moved the best threshold). The 50 articles of prior keep a
        # young index from calling every word of its one stored article common: the two seeds
        # scored 0.23 alone with no prior, 0.37 with it, the LLMFake F1 the same.
        df = self._df[terms & _DF_MASK]
        return np.maximum(1 - np.log1p(df) / math.log(len(self._story) + 52), 0.05).astype(np.float32)

    def _scores(self, entry: Entry, sigs: np.ndarray, vecs: np.ndarray, people: list[frozenset[str]]
                ) -> np.ndarray:
        """Pair scores of `entry` with k others (their signatures, vectors, people) in one pass."""
        text = (sigs == entry.signature).mean(axis=1)
        if entry.vector is not None:
            own_t = entry.vector["term"]
            own_w = entry.vector["weight"].astype(np.float32) * self._idf(own_t)
            own_w /= max(float(np.linalg.norm(own_w)), 1e-9)
            weights = vecs["weight"].astype(np.float32) * self._idf(vecs["term"])
            weights /= np.maximum(np.linalg.norm(weights, axis=1, keepdims=True), 1e-9)
            at = np.minimum(np.searchsorted(own_t, vecs["term"]), len(own_t) - 1)
            text = np.maximum(text, (weights * own_w[at] * (own_t[at] == vecs["term"])).sum(axis=1))
        own = frozenset(entry.people)
        return text + self.people_weight * np.array([_people_score(own, p) for p in people])

    def _best_story(self, entry: Entry) -> str | None:
        cands = self._candidates(entry)
        if not cands:
            return None
        rows = np.array(cands)
        scores = self._scores(entry, self._sigs[rows], self._vecs[rows], [self._people[i] for i in cands])
        by_story: dict[str, list[float]] = {}
        first: dict[str, int] = {}
        for i, score in zip(cands, scores.tolist()):
            story = self._story[i]
            by_story.setdefault(story, []).append(score)
            first[story] = min(first.get(story, i), i)
        # Half best, half mean: one lucky pair with a story's member counts less than agreement
        # with all of it (B-cubed F1 +0.005 to +0.01 over the best pair alone).
        ranked = {s: (max(v) + sum(v) / len(v)) / 2 for s, v in by_story.items()}
        # Ties go to the older story: the same choice whatever came in between.
        best = max(ranked, key=lambda s: (ranked[s], -first[s]))
        return best if ranked[best] >= self.threshold else None
