"""The glue between ingest and stories: assign each new article to a story as it arrives, re-rate
the stories it touched, and hand the rows to the store to write with the article batch.

The clusterer is restored from the stored links when the service starts, so ingesting articles one
call at a time or all at once puts them in the same stories (up to the clusterer's ties). Each batch
is planned inside the store's write transaction (`batch_planner`), after reading the links other
writers stored since: two ingests into one database at once give the stories of one after the other.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np
from numpy.lib import format as npy_format

from truthmeter.store.base import Store, StoryLink, StoryMemberRow, StoryUpdate, content_hash
from truthmeter.stories.cluster import Entry, StoryClusterer
from truthmeter.stories.evidence import Evidence
from truthmeter.stories.outlets import TrackRecords
from truthmeter.stories.prepare import Prepared, prepare
from truthmeter.stories.verdict import Member, StoryVerdict, rate_story
from truthmeter.types import ClaimBasis, RatedArticle, Story

__all__ = ["StoryService", "PlanReport", "encode_array", "decode_array", "entry_of"]

# New articles sort after every stored one; their stored seq will follow the same order.
_NEW_ORDER = 1 << 62
# Story members kept in memory between batches, at most (then the cache starts again).
_CACHE_MEMBERS = 200_000


def encode_array(array: np.ndarray) -> bytes:
    """A JSON header line (the dtype as .npy describes it, and the shape), then the raw values: any
    clusterer encoding round-trips, several times faster than np.save for these small arrays."""
    a = np.ascontiguousarray(array)
    head = json.dumps({"dtype": repr(npy_format.dtype_to_descr(a.dtype)), "shape": list(a.shape)})
    return head.encode("ascii") + b"\n" + a.tobytes()


@lru_cache(maxsize=64)
def _dtype(descr: str) -> np.dtype:
    # literal_eval reads Python literals only (no code); the descr may nest tuples and lists.
    return npy_format.descr_to_dtype(ast.literal_eval(descr))


def decode_array(data: bytes) -> np.ndarray:
    head, _, raw = bytes(data).partition(b"\n")  # the JSON header holds no raw newline
    meta = json.loads(head)
    return np.frombuffer(raw, dtype=_dtype(meta["dtype"])).reshape(meta["shape"]).copy()


def entry_of(link: StoryLink) -> Entry:
    return Entry(key=link.content_hash, story_id=link.story_id, signature=decode_array(link.signature),
                 people=tuple(link.people), date=link.date,
                 vector=None if link.vector is None else decode_array(link.vector))


@dataclass
class PlanReport:
    new_stories: int = 0
    updated_stories: int = 0


@dataclass
class _Fresh:
    """A new article placed in a story: its member view and its link (stance filled in later)."""

    member: Member
    link: StoryLink


class StoryService:
    """Online story assignment and rating over one store, alongside other writers.

    The members of stories it touched stay cached, so a story growing over many batches is read
    from the store once, not once per batch.
    """

    def __init__(self, store: Store, clusterer: StoryClusterer | None = None, *,
                 cache_members: int = _CACHE_MEMBERS) -> None:
        self.store = store
        self.clusterer = clusterer if clusterer is not None else StoryClusterer()
        self.report = PlanReport()
        self._cache_max = cache_members
        self._members: dict[str, list[Member]] = {}  # story id -> members, oldest first
        self._stances: dict[str, str] = {}  # content hash -> stance as stored
        self._verdicts: dict[str, StoryVerdict] = {}  # story id -> its latest verdict (saves stance work)
        self._next = _NEW_ORDER
        self._seen = -1  # the ingest position of the latest stored link the clusterer has
        self.catch_up()

    def catch_up(self) -> int:
        """Add the links stored since the last look (by another writer) to the clusterer, and forget the
        cached members of stories they joined; how many were new here."""
        touched: list[str] = []

        def fresh() -> Iterator[Entry]:  # streamed: a first restore may read every stored link
            for seq, link in self.store.story_links_since(self._seen):
                self._seen = max(self._seen, seq)
                # A member cached here (ours, or read after a catch-up) is in the clusterer already.
                if link.content_hash not in self._stances:
                    touched.append(link.story_id)
                    yield entry_of(link)

        self.clusterer.restore(fresh())
        for story_id in set(touched):
            self._members.pop(story_id, None)
            self._verdicts.pop(story_id, None)
        return len(touched)

    def batch_planner(self, items: Sequence[RatedArticle], prepared: Mapping[str, Prepared] | None = None
                      ) -> Callable[[], StoryUpdate]:
        """The story step of a batch, for `Store.add` to run under its write lock: catch up with other
        writers, then place the articles not stored yet. `prepared`: their story facts computed
        beforehand (prepare.py, by content hash); any article missing there is prepared here."""
        return lambda: self._locked_plan(lambda: self.new_items(items), prepared)

    def _locked_plan(self, items: Callable[[], Sequence[tuple[str, RatedArticle]]],
                     prepared: Mapping[str, Prepared] | None = None) -> StoryUpdate:
        self.catch_up()
        return self.plan(items(), prepared)

    def new_items(self, items: Sequence[RatedArticle]) -> list[tuple[str, RatedArticle]]:
        """The items not stored yet, each content once, in order, with their content hashes."""
        digests = [content_hash(x.article.title, x.article.body) for x in items]
        seen = self.store.known_hashes(digests)
        out = []
        for digest, item in zip(digests, items):
            if digest not in seen:
                seen.add(digest)
                out.append((digest, item))
        return out

    def plan(self, items: Sequence[tuple[str, RatedArticle]], prepared: Mapping[str, Prepared] | None = None
             ) -> StoryUpdate:
        """Place these (new) articles in stories and re-rate every story they touched; `prepared` as in
        `batch_planner`."""
        fresh: dict[str, list[_Fresh]] = {}
        opened: set[str] = set()
        for digest, item in items:
            entry, is_new, facts = self._assign(digest, item, prepared.get(digest) if prepared else None)
            if is_new:
                opened.add(entry.story_id)
            fresh.setdefault(entry.story_id, []).append(_place(digest, item, entry, facts, self._next))
            self._next += 1
        if not fresh:
            return StoryUpdate()
        records = TrackRecords.from_counts(self.store.outlet_counts())
        self._load([s for s in fresh if s not in opened])
        stories, links, stances, checks = [], [], [], []
        for story_id, new in fresh.items():
            old = self._members.get(story_id, [])
            members = old + [f.member for f in new]
            verdict = rate_story(members, records, self._verdicts.get(story_id))
            stories.append(Story(id=story_id, title=verdict.title, story_rating=verdict.rating,
                                 verdict=verdict.verdict, signals=verdict.signals,
                                 fact_check_rating=verdict.fact_check_rating, claim=verdict.statement))
            now = {m.content_hash: verdict.stances[m.content_hash][0].value for m in members}
            stances += [(m.content_hash, now[m.content_hash]) for m in old
                        if now[m.content_hash] != self._stances[m.content_hash]]
            links += [replace(f.link, stance=now[f.member.content_hash]) for f in new]
            checks += [replace(f.member.fact_check, story_id=story_id) for f in new if f.member.fact_check]
            self._members[story_id], self._verdicts[story_id] = members, verdict
            self._stances.update(now)
        self.report.new_stories += len(opened)
        self.report.updated_stories += len(fresh) - len(opened)
        return StoryUpdate(stories=tuple(stories), links=tuple(links), stances=tuple(stances),
                           fact_checks=tuple(checks))

    def _assign(self, digest: str, item: RatedArticle, facts: Prepared | None) -> tuple[Entry, bool, Prepared]:
        """The article's entry in its story, whether the story is new, and its story facts."""
        c = self.clusterer
        if getattr(type(c), "assign", None) is not StoryClusterer.assign:  # another clusterer: its own entries
            entry, is_new = c.assign(digest, item.article)
            return entry, is_new, prepare(digest, item.article, entry=entry)
        if facts is None or len(facts.entry.signature) != c.num_perm:
            facts = prepare(digest, item.article, c.num_perm)
        entry, is_new = c.add(facts.entry)
        return entry, is_new, facts

    def _load(self, story_ids: list[str]) -> None:
        """Read the stored members of stories not cached yet; drop the cache when it grows too big."""
        if len(self._stances) > self._cache_max:
            self._members.clear()
            self._stances.clear()
            self._verdicts.clear()
        missing = [s for s in story_ids if s not in self._members]
        for story_id, rows in self.store.story_members(missing).items():
            self._members[story_id] = [_member(r) for r in rows]
            self._stances.update((r.link.content_hash, r.link.stance) for r in rows)

    def backfill(self, batch: int = 512) -> int:
        """Place stored articles that are in no story yet (stored before stories existed); how many."""
        done = 0
        while True:
            placed: list[int] = []

            def step() -> StoryUpdate:  # under the write lock, like a batch: another writer may backfill too
                update = self._locked_plan(lambda: [(x.content_hash, x) for x in self.store.unlinked(batch)])
                placed.append(len(update.links))
                return update

            self.store.add([], stories=step)
            if not placed or not placed[0]:  # nothing placed: stop rather than loop on the same articles
                return done
            done += placed[0]


def _place(digest: str, item: RatedArticle, entry: Entry, facts: Prepared, order: int) -> _Fresh:
    a, r = item.article, item.rating
    date = entry.date or a.date
    member = Member(content_hash=digest, article_id=a.id, title=a.title, outlet=a.outlet, outlet_key=facts.outlet_key,
                    date=date, order=order, p_true=float(r.p_true), truth_rating=r.truth_rating,
                    people=tuple(entry.people), evidence=facts.evidence, fact_check=facts.fact_check,
                    claim=facts.claim, claim_basis=facts.claim_basis, topic=facts.words)
    link = StoryLink(content_hash=digest, story_id=entry.story_id, stance="", people=tuple(entry.people), date=date,
                     signature=facts.signature, vector=facts.vector, outlet_key=facts.outlet_key,
                     evidence_json=facts.evidence_json, claim=facts.claim, claim_basis=facts.claim_basis.value)
    return _Fresh(member, link)


def _member(row: StoryMemberRow) -> Member:
    return Member(content_hash=row.link.content_hash, article_id=row.article_id, title=row.title, outlet=row.outlet,
                  outlet_key=row.link.outlet_key, date=row.link.date, order=row.seq, p_true=row.p_true,
                  truth_rating=row.truth_rating, people=row.link.people,
                  evidence=Evidence.from_json(row.link.evidence_json), fact_check=row.fact_check,
                  claim=row.link.claim, claim_basis=ClaimBasis(row.link.claim_basis or ClaimBasis.HEADLINE.value))

