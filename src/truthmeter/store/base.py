"""The backend-neutral storage contract: what every store (SQLite now, PostgreSQL later) provides."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, runtime_checkable

from truthmeter.types import RatedArticle

__all__ = ["Store", "StoredArticle", "content_hash", "HASH_PREFIX_MIN"]

# Shorter prefixes collide too often to be a useful handle for a person typing them.
HASH_PREFIX_MIN = 6


def content_hash(title: str, body: str) -> str:
    """Identity of an article's content: two files carrying the same story store it once."""
    return hashlib.sha256(f"{title}\n{body}".encode("utf-8")).hexdigest()


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


@runtime_checkable
class Store(Protocol):
    """A durable collection of rated articles, keyed by content hash."""

    def add(self, items: Sequence[RatedArticle]) -> int:
        """Store articles with their ratings, all or nothing; return how many were new.

        An article whose content hash is already stored is skipped: its row and rating stay
        as they were.
        """
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

    def close(self) -> None:
        ...

    def __enter__(self) -> Store:
        ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        ...
