"""An outlet's record over time, for its page: the stories it told by verdict, and by month (or year).

Drawn as inline SVG bars sized by attributes (the site's CSP allows no inline style or script), so the
chart needs nothing from the network and reads the same without CSS.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from truthmeter.newsroom.records import OutletStory
from truthmeter.types import Verdict

__all__ = ["Bar", "Segment", "Period", "OutletChart", "outlet_chart", "VERDICT_ORDER"]

VERDICT_ORDER = (Verdict.FALSE, Verdict.MOSTLY_FALSE, Verdict.MIXED, Verdict.MOSTLY_TRUE, Verdict.TRUE, Verdict.UNRATED)
_MONTH = re.compile(r"^(\d{4})-(\d{2})")
_MAX_MONTHS = 24  # more months than this are shown by year


@dataclass(frozen=True)
class Bar:
    """One verdict's total: its count and its bar's length (0-100, relative to the longest)."""

    verdict: Verdict
    count: int
    length: float


@dataclass(frozen=True)
class Segment:
    """One verdict's part of a period's stacked bar, in 0-100 units of the longest period."""

    verdict: Verdict
    count: int
    x: float
    width: float


@dataclass(frozen=True)
class Period:
    label: str  # "2026-03" or "2026"
    total: int
    rated_false: int  # False or Mostly false (a rating below 5), as the track record counts them
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class OutletChart:
    bars: tuple[Bar, ...]
    periods: tuple[Period, ...]  # oldest first
    by: str  # "month" or "year"
    told: int
    from_stored: int  # stories dated by when they were stored (their article gave no date)

    @property
    def empty(self) -> bool:
        return self.told == 0


def _month(item: OutletStory) -> tuple[str | None, bool]:
    """The story's month ("2026-03") from its article's date, else from when it was stored."""
    for value, stored in ((item.date, False), (item.stored_at, True)):
        m = _MONTH.match((value or "").strip())
        if m and 1 <= int(m.group(2)) <= 12:
            return f"{m.group(1)}-{m.group(2)}", stored
    return None, True


def outlet_chart(history: Sequence[OutletStory]) -> OutletChart:
    totals = Counter(item.verdict for item in history)
    longest = max(totals.values(), default=0)
    bars = tuple(Bar(v, totals[v], round(100 * totals[v] / longest, 2) if longest else 0.0)
                 for v in VERDICT_ORDER if v is not Verdict.UNRATED or totals[v])
    dated = [(_month(item), item) for item in history]
    months = {m for (m, _), _ in dated if m}
    by = "year" if len(months) > _MAX_MONTHS else "month"
    per: dict[str, Counter[Verdict]] = {}
    for (month, _), item in dated:
        if month is None:
            continue
        key = month[:4] if by == "year" else month
        per.setdefault(key, Counter())[item.verdict] += 1
    widest = max((sum(c.values()) for c in per.values()), default=0)
    periods = []
    for label in sorted(per):
        counts = per[label]
        x, segments = 0.0, []
        for v in VERDICT_ORDER:
            if counts[v]:
                width = round(100 * counts[v] / widest, 2)
                segments.append(Segment(v, counts[v], round(x, 2), width))
                x += width
        rated_false = counts[Verdict.FALSE] + counts[Verdict.MOSTLY_FALSE]
        periods.append(Period(label, sum(counts.values()), rated_false, tuple(segments)))
    return OutletChart(bars=bars, periods=tuple(periods), by=by, told=len(history),
                       from_stored=sum(1 for (m, stored), _ in dated if m and stored))
