"""Outlets' track records over stored stories, and the weight each earns in story verdicts.

An outlet "told" a story when one of its articles supports the story's claim (a fact-checker
rating a rumour false, or an outlet printing the denial, did not tell the false story). Its share
of false stories (story rating below 5) is shrunk towards the overall share, (false + a * prior) /
(told + a), as in features/outlet.py: with few stories the estimate stays near the prior, so one
bad story does not sink an outlet. The weight is the outlet's shrunk reliability relative to the
prior's, clipped so no single outlet can dominate or vanish from a story.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from truthmeter.store.base import OutletCount

__all__ = ["OutletRecord", "TrackRecords", "STRENGTH", "WEIGHT_RANGE"]

STRENGTH = 5.0  # the prior's weight, in stories
WEIGHT_RANGE = (0.25, 2.0)


@dataclass(frozen=True)
class OutletRecord:
    key: str
    name: str
    told: int
    rated_false: int
    share_false: float
    shrunk_false: float  # the estimate used: share_false pulled towards the prior
    weight: float

    def to_dict(self) -> dict[str, object]:
        return {"outlet": self.name, "key": self.key, "stories": self.told, "rated_false": self.rated_false,
                "share_false": round(self.share_false, 4), "shrunk_false": round(self.shrunk_false, 4),
                "weight": round(self.weight, 4)}


@dataclass(frozen=True)
class TrackRecords:
    records: dict[str, OutletRecord]
    prior_false: float

    @classmethod
    def from_counts(cls, counts: Iterable[OutletCount], strength: float = STRENGTH) -> "TrackRecords":
        rows = list(counts)
        told = sum(c.told for c in rows)
        # With nothing stored yet, no outlet is better or worse than another: a neutral prior.
        prior = sum(c.rated_false for c in rows) / told if told else 0.5
        records = {c.key: _record(c, prior, strength) for c in rows if c.told}
        return cls(records, prior)

    def weight(self, key: str | None) -> float:
        """An outlet's weight in story verdicts; 1 for an outlet with no record."""
        record = self.records.get(key) if key else None
        return record.weight if record else 1.0

    def ranked(self) -> list[OutletRecord]:
        """Most stories first, then by name."""
        return sorted(self.records.values(), key=lambda r: (-r.told, r.name.lower(), r.key))


def _record(c: OutletCount, prior: float, strength: float) -> OutletRecord:
    shrunk = (c.rated_false + strength * prior) / (c.told + strength)
    low, high = WEIGHT_RANGE
    # Reliability relative to the average outlet's; an all-false corpus (prior 1) gives no contrast.
    weight = (1 - shrunk) / (1 - prior) if prior < 1 else 1.0
    return OutletRecord(key=c.key, name=c.name or c.key, told=c.told, rated_false=c.rated_false,
                        share_false=c.rated_false / c.told, shrunk_false=shrunk,
                        weight=min(high, max(low, weight)))
