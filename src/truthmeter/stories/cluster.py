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
from functools import lru_cache
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
# A new article is compared with at most this many members of a story (its claim, the latest others),
# so the cost per article stays bounded however large a story grows.
_SAMPLE = 12
# Stories whose best pair scores below this share of the threshold are not checked member by member.
_NEAR = 0.75
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


# Proper nouns the person finder missed (its gazetteer does not know every first name) weigh half:
# repeated across a couple's stories, they made a wedding and a custody ruling look alike (hard pairs
# precision 0.82 -> 0.93 with the finder of the time, LLMFake precision unchanged, recall -0.01).
_PROPER = 0.5


def _proper_words(body: str) -> frozenset[str]:
    """Words the body capitalises mid-sentence and never writes in lower case: names of people, shows
    and places, including names the person finder does not know."""
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
    hashes = np.array([mmh3.hash(t, signed=False) for t in tokens], dtype=np.uint64)
    # The outlet's own name ("told Screen Ledger") is not a person in the story.
    outlet = names_key(article.outlet) if article.outlet else None
    people = tuple(p for p in find_people(text) if p != outlet)
    proper = _proper_words(_fold(article.body))
    return Entry(key, story_id, _signature(hashes, num_perm), people, article.date, _vector(tokens, people, proper))


def _people_score(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard of two people sets, halved when they share only one name: one shared celebrity is
    what different stories about her have in common; two shared names say more. (Same LLMFake F1
    as plain Jaccard, and twice the margin for same-person, different-event pairs in the tests.)"""
    shared = len(a & b)
    return shared / len(a | b) * min(shared, 2) / 2 if shared else 0.0


@dataclass(frozen=True)
class _Cast:
    """A people set as the people check reads it: surnames (last words), one-word names, all words."""

    surnames: frozenset[str]
    single: frozenset[str]
    words: frozenset[str]

    @staticmethod
    @lru_cache(maxsize=1 << 16)  # members of one story mostly name the same people
    def of(people: frozenset[str]) -> _Cast:
        names = [p.split() for p in people]
        return _Cast(frozenset(n[-1] for n in names if n), frozenset(n[0] for n in names if len(n) == 1),
                     frozenset(w for n in names for w in n))

    def shares(self, other: _Cast) -> bool:
        """Whether the two name one person: a surname in common ("kim kardashian", "khloe kardashian"
        pass; the text decides), or a one-word name the other uses ("kanye", "kanye west"). Variants
        the finder produces from one text ("meghan kate middleton") still match."""
        return bool(self.surnames & other.surnames or self.single & other.words or other.single & self.words)


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
    those with most shared keys first. A pair scores its text similarity (the larger of shingle
    Jaccard and the IDF-weighted cosine of the content vectors, names left out) plus `people_weight`
    times the Jaccard of their people (halved when they share one name only).

    Precision first, the article joins a story only when (1) people agree: if it names people, every
    member naming people shares one with it; (2) it scores `threshold` or more with the story's claim
    (its first article) and with at least half of the members compared (the claim and the latest
    ones, `_SAMPLE` in all): average-link agreement, so one lucky pair cannot chain a couple's custody
    news, wedding and pregnancy into a saga. Of the stories passing (at most `max_stories` checked, the
    best pairs first), the best mean wins; else the article starts a story. Defaults are tuned for
    precision on half of LLMFake's paraphrase/rewrite stories and on tests/data/hard_pairs.jsonl
    (bench/cluster_quality.py).
    """

    def __init__(self, *, threshold: float = 0.25, window_days: int = 30, num_perm: int = NUM_PERM,
                 people_weight: float = 0.1, max_candidates: int = 64, posting_cap: int = 32,
                 max_stories: int = 8) -> None:
        self.threshold, self.window_days, self.num_perm = threshold, window_days, num_perm
        self.people_weight, self.max_candidates, self.posting_cap = people_weight, max_candidates, posting_cap
        self.max_stories = max_stories
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
        self._members: dict[str, list[int]] = {}  # story -> its articles, first (the claim) first

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
        story = entry.story_id or story_id_for(entry.key)
        self._story.append(story)
        self._people.append(frozenset(entry.people))
        self._members.setdefault(story, []).append(i)
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
        known = dict(zip(cands, scores.tolist()))
        best: dict[str, float] = {}
        for i, score in known.items():
            story = self._story[i]
            best[story] = max(best.get(story, -1.0), score)
        # Only stories with one pair near the bar are worth checking member by member.
        near = sorted((s for s in best if best[s] >= self.threshold * _NEAR), key=best.__getitem__, reverse=True)
        return self._agreed(entry, near[: self.max_stories], known)

    def _people_agree(self, entry: Entry, rows: list[int]) -> np.ndarray:
        """Per member: True unless both it and the article name people and no person is shared. Stories
        about different people never merge, whatever the words say ("X splits from Y", "Z splits from W")."""
        if not entry.people:
            return np.ones(len(rows), dtype=bool)
        own = _Cast.of(frozenset(entry.people))
        return np.array([not self._people[i] or own.shares(_Cast.of(self._people[i])) for i in rows], dtype=bool)

    def _agreed(self, entry: Entry, stories: list[str], known: dict[int, float]) -> str | None:
        """The story the article agrees with best. A member agrees when it scores `threshold` or more and
        its people agree; the claim (the first article) must agree, and at least half of the members
        compared (the claim and the latest ones), and the best mean score wins. `known`: rows already
        scored for this article. Agreement with the claim
        stops chains: an article about a couple's wedding that resembles one member about their custody
        news does not join a story whose claim is the custody news; the majority lets a member whose
        names the finder garbled not block the rest. Ties go to the older story: the same choice whatever
        came in between."""
        if not stories:
            return None
        samples = [self._sample(s) for s in stories]
        rows = [i for sample in samples for i in sample]
        # Most sampled members were candidates already: score only the rest.
        missing = list(dict.fromkeys(i for i in rows if i not in known))
        if missing:
            fresh = self._scores(entry, self._sigs[missing], self._vecs[missing], [self._people[i] for i in missing])
            known = {**known, **dict(zip(missing, fresh.tolist()))}
        scores = np.array([known[i] for i in rows])
        agree = (scores >= self.threshold) & self._people_agree(entry, rows)
        ranked: list[tuple[float, int, str]] = []
        at = 0
        for story, sample in zip(stories, samples):
            got, ok = scores[at: at + len(sample)], agree[at: at + len(sample)]
            at += len(sample)
            if ok[0] and 2 * int(ok.sum()) >= len(ok):
                ranked.append((float(got.mean()), -sample[0], story))
        return max(ranked)[2] if ranked else None

    def _sample(self, story: str) -> list[int]:
        """The members an article is compared with: the claim (first member) and the latest others."""
        members = self._members[story]
        return members[:1] + members[max(1, len(members) - _SAMPLE + 1):]
