"""The backend-neutral storage contract: what every store (SQLite, PostgreSQL) provides."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from truthmeter.types import FactCheck, RatedArticle, Signal, Stance, Story, content_hash

if TYPE_CHECKING:
    from truthmeter.newsroom.desk import Desk

__all__ = ["Store", "StoredArticle", "content_hash", "HASH_PREFIX_MIN", "StoryLink", "StoryMemberRow",
           "StoryUpdate", "StoredStory", "OutletCount", "signals_to_json", "signals_from_json"]

# Shorter prefixes collide too often to be a useful handle for a person typing them.
HASH_PREFIX_MIN = 6


def signals_to_json(signals: Iterable[Signal]) -> str:
    """Full-precision weights, not Signal.to_dict's rounded display form."""
    return json.dumps([{"name": s.name, "weight": float(s.weight), "text": s.text,
                        "start": None if s.start is None else int(s.start),
                        "end": None if s.end is None else int(s.end)} for s in signals], ensure_ascii=False)


def signals_from_json(text: str) -> tuple[Signal, ...]:
    return tuple(Signal(name=s["name"], weight=s["weight"], text=s["text"], start=s["start"], end=s["end"])
                 for s in json.loads(text))


@dataclass(frozen=True)
class StoredArticle(RatedArticle):
    """A rated article as read back from a store.

    A subclass of RatedArticle so that everything that renders or consumes rated articles
    accepts stored ones unchanged.
    """

    content_hash: str
    ingested_at: str  # ISO 8601, UTC

    def to_dict(self) -> dict[str, object]:
        d = super().to_dict()
        d["content_hash"] = self.content_hash
        d["ingested_at"] = self.ingested_at
        return d


@dataclass(frozen=True)
class StoryLink:
    """An article's place in a story as stored: what restores the clusterer (signature, people,
    date, vector, as bytes the stories package encodes) and what re-rates the story without
    re-reading the article (stance, outlet key, evidence as JSON)."""

    content_hash: str
    story_id: str
    stance: str
    people: tuple[str, ...]
    date: str | None
    signature: bytes
    vector: bytes | None
    outlet_key: str | None
    evidence_json: str
    claim: str | None = None  # the article's claim sentence (stories/claims.py); None before schema 6
    claim_basis: str | None = None


@dataclass(frozen=True)
class StoryMemberRow:
    """A stored story member with the article facts and rating its story's verdict needs."""

    link: StoryLink
    article_id: str
    title: str
    outlet: str | None
    seq: int
    p_true: float
    truth_rating: int | None  # None: the article is Unrated
    fact_check: FactCheck | None


@dataclass(frozen=True)
class StoryUpdate:
    """Story rows to write with an article batch, in the same transaction."""

    stories: tuple[Story, ...] = ()
    links: tuple[StoryLink, ...] = ()  # new members (their articles are in the batch or stored)
    stances: tuple[tuple[str, str], ...] = ()  # (content hash, stance) for members whose stance changed
    fact_checks: tuple[FactCheck, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.stories or self.links or self.stances or self.fact_checks)


@dataclass(frozen=True)
class StoredStory:
    """A story with its articles (oldest first) and their stances, and its fact-checks."""

    story: Story
    members: tuple[tuple[StoredArticle, Stance], ...]
    fact_checks: tuple[FactCheck, ...]


@dataclass(frozen=True)
class OutletCount:
    """Stories an outlet told (had an article supporting the claim), and how many were rated false."""

    key: str
    name: str
    told: int
    rated_false: int


@runtime_checkable
class Store(Protocol):
    """A durable collection of rated articles, keyed by content hash."""

    def add(self, items: Sequence[RatedArticle],
            stories: StoryUpdate | Callable[[], StoryUpdate] | None = None) -> int:
        """Store articles with their ratings, and `stories` rows with them, all or nothing; return
        how many articles were new.

        `stories` may be a function that plans the rows: it is called inside the write transaction,
        holding the database's write lock, so what it reads (the latest stories) is what it writes over;
        concurrent ingests place their articles as if one ran after the other.

        An article whose content hash is already stored is skipped: its row and rating stay
        as they were.
        """
        ...

    def known_hashes(self, hashes: Iterable[str]) -> set[str]:
        """Those of `hashes` already stored."""
        ...

    def story_links(self) -> Iterator[StoryLink]:
        """Every story member, in ingest order, streamed: what restores the clusterer."""
        ...

    def story_links_since(self, seq: int) -> Iterator[tuple[int, StoryLink]]:
        """Story members of articles stored after ingest position `seq`, in ingest order, each with its
        position: what another writer added since the clusterer last looked."""
        ...

    def unlinked(self, limit: int) -> list[StoredArticle]:
        """Up to `limit` stored articles in no story yet (stored before stories existed), oldest first."""
        ...

    def story_members(self, story_ids: Iterable[str]) -> dict[str, list[StoryMemberRow]]:
        """The stored members of these stories, in ingest order."""
        ...

    def list_stories(self, limit: int = 50, offset: int = 0, person: str | None = None,
                     outlet: str | None = None, verdict: str | None = None) -> list[Story]:
        """Stories, the one with the newest article first, optionally filtered."""
        ...

    def get_story(self, story_id: str) -> StoredStory | None:
        """A story by id or unique id prefix."""
        ...

    def outlet_counts(self) -> list[OutletCount]:
        ...

    def count_stories(self) -> int:
        ...

    def get(self, article_id: str) -> StoredArticle | None:
        """Find by article id (newest if several share it) or by a unique content-hash prefix."""
        ...

    def list(self, limit: int = 50, offset: int = 0, verdict: str | None = None,
             outlet: str | None = None) -> list[StoredArticle]:
        """Stored articles, newest ingested first, optionally filtered."""
        ...

    def count(self) -> int:
        ...

    def schema_version(self) -> int:
        ...

    @property
    def desk(self) -> Desk:
        """The editorial desk kept in the same database (one object per store)."""
        ...

    def close(self) -> None:
        ...

    def __enter__(self) -> Store:
        ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        ...
