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
`entry.vector.tobytes()` / `np.frombuffer(b, dtype=VECTOR_DTYPE)`. Entries are computed in entries.py.

Cost per article is bounded, so clustering n articles is close to linear: candidates come from a
banded MinHash LSH and an inverted index on people and heavy words, with recency-capped postings,
and are capped in number; they are scored in one vectorised pass, the vectors weighted by IDF from
the clusterer's own word counts (so `restore` rebuilds them from the entries). What the clusterer
keeps per article is numpy rows, not Python objects (compact.py): about 1.3 KB an article.
"""

from __future__ import annotations

import array
import datetime as _dt
import hashlib
import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Iterable

import numpy as np

from truthmeter.stories.compact import KeyTable, Rows
from truthmeter.stories.entries import (NUM_PERM, VECTOR_DTYPE, VECTOR_TERMS, Entry, _permutations,  # noqa: F401
                                         entry_for)
from truthmeter.types import Article

__all__ = ["Entry", "VECTOR_DTYPE", "VECTOR_TERMS", "NUM_PERM", "entry_for", "story_id_for",
           "StoryClusterer"]

# Each article is indexed under its 16 heaviest words too: with people and LSH alone, 67 of 679
# later versions of an LLMFake story had no earlier version among their candidates; with them, 9.
_INDEX_TERMS = 16
_ROWS = 4  # LSH rows per band: 16 bands of 4 find pairs with Jaccard >= ~0.5, rarely below 0.2
# A new article is compared with at most this many members of a story (its claim, the latest others),
# so the cost per article stays bounded however large a story grows.
_SAMPLE = 12
# Stories whose best pair scores below this share of the threshold are not checked member by member.
_NEAR = 0.75
_DF_MASK = (1 << 22) - 1
# People sets kept built (the candidates of one article are mostly those of the last): a bounded cache.
_PEOPLE_CACHE = 1 << 14


def story_id_for(key: str) -> str:
    """A story's id: from its first article's key, so it is stable across runs and restores."""
    return "s" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


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
    @lru_cache(maxsize=1 << 12)  # members of one story mostly name the same people
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
    """Banded MinHash LSH, compact: a table from band key to the latest slot (article * bands + band)
    in that bucket, and a chain array to the earlier ones. The table keeps no keys: a slot's key is
    recomputed from its article's signature row, so a bucket costs 4 bytes and a slot 4 more (a dict
    cost about 110 bytes a bucket). datasketch's MinHashLSH keeps a set per bucket: at 100k articles
    that took 490 MB and 167 us per insert here."""

    def __init__(self, num_perm: int, sigs: Rows) -> None:
        self.bands = num_perm // _ROWS
        self._mult = np.random.RandomState(7).randint(1, 1 << 62, _ROWS, dtype=np.uint64) | np.uint64(1)
        self._salt = np.arange(self.bands, dtype=np.uint64) << np.uint64(56)
        self._sigs = sigs
        self._cols = np.arange(_ROWS)
        self._head = KeyTable(self._slot_keys)
        # Slot -> earlier slot in the same bucket, or -1: an array, as chains are walked an item at a time.
        self._prev = array.array("i")
        self._last: tuple[int, np.ndarray, tuple[np.ndarray, np.ndarray]] | None = None

    def _keys(self, signature: np.ndarray) -> np.ndarray:
        rows = signature[: self.bands * _ROWS].reshape(self.bands, _ROWS)
        return (rows * self._mult).sum(axis=1) ^ self._salt

    def _slot_keys(self, slots: np.ndarray) -> np.ndarray:
        sigs = self._sigs.view()
        if sigs.shape[1] == self.bands * _ROWS:  # slot = article * bands + band: a row of the bands
            rows = sigs.reshape(-1, _ROWS).take(slots, axis=0)
            band = slots % self.bands
        else:
            article, band = np.divmod(slots, self.bands)
            rows = sigs[article[:, None], band[:, None] * _ROWS + self._cols]
        rows *= self._mult
        return np.bitwise_xor(np.add.reduce(rows, axis=1), self._salt.take(band))

    def add(self, index: int, signature: np.ndarray) -> None:
        """Index an article's signature; its row in the signatures is `index` already."""
        keys = self._keys(signature)
        slots = index * self.bands + np.arange(self.bands)
        if len(set(keys.tolist())) == len(keys):
            # The article's query just looked these keys up, and nothing was written since: reuse it.
            last = self._last
            found = last[2] if last and last[0] == self._head.version and np.array_equal(last[1], keys) else None
            self._prev.extend(self._head.put(keys, slots, found).tolist())
            return
        for key, slot in zip(keys, slots):  # two bands with one key (all but never): chain them in order
            self._prev.extend(self._head.put(np.array([key]), np.array([slot])).tolist())

    def query(self, signature: np.ndarray, per_bucket: int) -> set[int]:
        found: set[int] = set()
        prev = self._prev
        keys = self._keys(signature)
        heads = self._head.find(keys)
        self._last = (self._head.version, keys, heads)
        for slot in heads[0].tolist():
            seen = 0
            while slot >= 0 and seen < per_bucket:  # latest first: the cap keeps recent articles
                found.add(slot // self.bands)
                slot, seen = prev[slot], seen + 1
        return found


def _key_hash(key: str) -> int:
    # 64 bits: two of a million keys collide with odds of about 3e-8.
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


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
        # Per article, numpy rows (no Python object per article: see compact.py): its key's 64-bit hash
        # (the index finds an article by it), story number, the previous member of its story, day,
        # signature, vector, and where its people end in `_people` (name numbers, end to end).
        self._keyhash = Rows(np.uint64)
        self._index = KeyTable(lambda rows: self._keyhash.view()[rows], lambda row: int(self._keyhash.view()[row]))
        self._story = Rows(np.int32)
        self._prev_member = array.array("i")
        self._days = Rows(np.int32)
        self._sigs = Rows(np.uint64, num_perm)
        self._vecs = Rows(VECTOR_DTYPE, VECTOR_TERMS)
        self._people = Rows(np.int32)
        self._people_end = Rows(np.int64)
        self._names: list[str] = []
        self._name_ids: dict[str, int] = {}
        self._people_sets: dict[int, frozenset[str]] = {}  # recently scored articles' people, rebuilt
        # Per story: its id, and its first (the claim) and latest members and size.
        self._story_ids: list[str] = []
        self._story_num: dict[str, int] = {}
        self._first, self._last, self._size = Rows(np.int32), Rows(np.int32), Rows(np.int32)
        self._bands = _Bands(num_perm, self._sigs)
        # Person name or word hash -> articles, latest last; trimmed to the cap now and then (a
        # deque(maxlen) costs 600+ bytes even when it holds one article, as most do).
        self._postings: dict[str | int, array.array] = {}
        self._df = np.zeros(_DF_MASK + 1, dtype=np.int32)  # articles per (hashed) vector word

    def __len__(self) -> int:
        return len(self._story)

    def _find(self, key: str) -> int:
        return self._index.get(_key_hash(key)) if len(self._story) else -1

    def _people_of(self, i: int) -> frozenset[str]:
        cached = self._people_sets.get(i)
        if cached is None:
            if len(self._people_sets) >= _PEOPLE_CACHE:
                self._people_sets.clear()
            ends, names = self._people_end.view(), self._names
            start = int(ends[i - 1]) if i else 0
            cached = frozenset(names[j] for j in self._people.view()[start:int(ends[i])].tolist())
            self._people_sets[i] = cached
        return cached

    def _name_id(self, name: str) -> int:
        n = self._name_ids.get(name)
        if n is None:
            n = self._name_ids[name] = len(self._names)
            self._names.append(name)
        return n

    def _story_of(self, i: int) -> str:
        return self._story_ids[int(self._story.view()[i])]

    def __bool__(self) -> bool:  # an empty clusterer is still a clusterer: `c or default` keeps it
        return True

    def story_of(self, key: str) -> str | None:
        i = self._find(key)
        return None if i < 0 else self._story_of(i)

    def restore(self, entries: Iterable[Entry]) -> None:
        """Index stored entries with their stored stories, in the order they were first added
        (recency caps and word frequencies depend on it)."""
        for entry in entries:
            if self._find(entry.key) < 0:
                self._insert(entry)

    def assign(self, key: str, article: Article) -> tuple[Entry, bool]:
        """The article's entry with its story id, and whether that story is new."""
        return self.add(entry_for(key, article, num_perm=self.num_perm))

    def add(self, entry: Entry) -> tuple[Entry, bool]:
        """`assign` for an entry computed beforehand (say in worker processes); its story_id is
        ignored. A key seen before keeps its story."""
        known = self._find(entry.key)
        if known >= 0:
            return replace(entry, story_id=self._story_of(known)), False
        best = self._best_story(entry)
        done = replace(entry, story_id=best or story_id_for(entry.key))
        self._insert(done)
        return done, best is None

    def similarity(self, a: Entry, b: Entry) -> float:
        """The pair score the clusterer uses, with its current word frequencies."""
        vec = np.zeros((1, VECTOR_TERMS), dtype=VECTOR_DTYPE)
        if b.vector is not None:
            vec[0] = b.vector
        together = np.array([_people_score(frozenset(a.people), frozenset(b.people))])
        return float(self._scores(a, b.signature[None], vec, together)[0])

    def _join(self, i: int, story: str) -> None:
        """Article `i` (the latest) joins `story`, or opens it."""
        s = self._story_num.get(story)
        if s is None:
            s = self._story_num[story] = len(self._story_ids)
            self._story_ids.append(story)
            self._first.append(i)
            self._last.append(i)
            self._size.append(0)
            self._prev_member.append(-1)
        else:
            last = self._last.view()
            self._prev_member.append(last[s])
            last[s] = i
        self._size.view()[s] += 1
        self._story.append(s)

    def _insert(self, entry: Entry) -> None:
        i = len(self._story)
        key = _key_hash(entry.key)
        self._keyhash.append(key)
        self._index.put_one(key, i)
        self._sigs.append(entry.signature)
        self._vecs.append(entry.vector if entry.vector is not None else 0)
        self._join(i, entry.story_id or story_id_for(entry.key))
        # Each name once: the people score counts them as a set.
        self._people.extend(np.array(list(dict.fromkeys(self._name_id(p) for p in entry.people)), dtype=np.int32))
        self._people_end.append(len(self._people))
        self._days.append(_day(entry.date))
        self._bands.add(i, entry.signature)
        for key in self._keys(entry):
            posting = self._postings.get(key)
            if posting is None:
                posting = self._postings[key] = array.array("i")
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
            days = self._days.view()[found]
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

    def _people_scores(self, entry: Entry, rows: Iterable[int]) -> np.ndarray:
        """`_people_score` of the entry's people with each row's."""
        own, people_of = frozenset(entry.people), self._people_of
        return np.array([_people_score(own, people_of(i)) for i in rows], dtype=np.float64)

    def _scores(self, entry: Entry, sigs: np.ndarray, vecs: np.ndarray, people: np.ndarray) -> np.ndarray:
        """Pair scores of `entry` with k others (their signatures, vectors, people scores) in one pass."""
        text = (sigs == entry.signature).mean(axis=1)
        if entry.vector is not None:
            own_t = entry.vector["term"]
            own_w = entry.vector["weight"].astype(np.float32) * self._idf(own_t)
            own_w /= max(float(np.linalg.norm(own_w)), 1e-9)
            weights = vecs["weight"].astype(np.float32) * self._idf(vecs["term"])
            weights /= np.maximum(np.linalg.norm(weights, axis=1, keepdims=True), 1e-9)
            at = np.minimum(np.searchsorted(own_t, vecs["term"]), len(own_t) - 1)
            text = np.maximum(text, (weights * own_w[at] * (own_t[at] == vecs["term"])).sum(axis=1))
        return text + self.people_weight * people

    def _best_story(self, entry: Entry) -> str | None:
        cands = self._candidates(entry)
        if not cands:
            return None
        rows = np.array(cands)
        scores = self._scores(entry, self._sigs.view()[rows], self._vecs.view()[rows],
                              self._people_scores(entry, cands))
        known = dict(zip(cands, scores.tolist()))
        best: dict[int, float] = {}  # story number -> its best pair
        for (i, score), story in zip(known.items(), self._story.view()[rows].tolist()):
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
        people = [self._people_of(i) for i in rows]
        return np.array([not p or own.shares(_Cast.of(p)) for p in people], dtype=bool)

    def _agreed(self, entry: Entry, stories: list[int], known: dict[int, float]) -> str | None:
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
            fresh = self._scores(entry, self._sigs.view()[missing], self._vecs.view()[missing],
                                 self._people_scores(entry, missing))
            known = {**known, **dict(zip(missing, fresh.tolist()))}
        scores = np.array([known[i] for i in rows])
        agree = (scores >= self.threshold) & self._people_agree(entry, rows)
        ranked: list[tuple[float, int, int]] = []
        at = 0
        for story, sample in zip(stories, samples):
            got, ok = scores[at: at + len(sample)], agree[at: at + len(sample)]
            at += len(sample)
            if ok[0] and 2 * int(ok.sum()) >= len(ok):
                ranked.append((float(got.mean()), -sample[0], story))
        return self._story_ids[max(ranked)[2]] if ranked else None

    def _sample(self, story: int) -> list[int]:
        """The members an article is compared with: the claim (first member) and the latest others."""
        prev = self._prev_member
        others, i = [], int(self._last.view()[story])
        for _ in range(min(int(self._size.view()[story]) - 1, _SAMPLE - 1)):
            others.append(i)
            i = prev[i]
        return [int(self._first.view()[story]), *others[::-1]]
