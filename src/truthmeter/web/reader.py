"""What the pages say to readers in their words: a story's reasons, the rating scale, dates.

A story's reasons are stored as the model's signals (stories/verdict.py); reasons.story_reason_text
already reads fact-checks and the other articles aloud. An article's share is rewritten here without
the model's weights ("it counts ×0.50 (...; outlet track record ×1.00)"): how much it counts, and why,
in words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from truthmeter.rating import verdict_for
from truthmeter.reasons import story_reason_text
from truthmeter.types import Signal, Verdict

__all__ = ["story_reason", "SCALE", "ScaleBand", "scale_band"]

# stories/verdict.py's article signal: "TITLE (OUTLET): rated R/10 (p_true P), STANCE, weight W (RULE; WHY;
# outlet weight OW)".
_ARTICLE = re.compile(r"^(?P<title>.*) \((?P<outlet>[^()]*)\): rated (?P<r>\d+)/10 \(p_true [\d.]+\), \w+, "
                      r"weight (?P<w>[\d.]+) \((?P<rule>.*?); (?P<why>.*); outlet weight (?P<ow>[\d.]+)\)$", re.S)


def _counts(weight: float) -> str:
    if weight >= 1.75:
        return "counts about double"
    if weight >= 1.2:
        return "counts more than most"
    if weight >= 0.8:
        return "counts in full"
    if weight >= 0.4:
        return "counts for about half"
    return "counts for little"


def story_reason(signal: Signal) -> str:
    """A story's reason as a reader reads it; never a signal name, a probability or a weight."""
    text = signal.text or ""
    m = _ARTICLE.match(text) if signal.name == "article" else None
    if m is None:
        return story_reason_text(signal)
    title = m["title"] + ("…" if len(m["title"]) >= 90 else "")  # verdict.py cuts titles at 90
    outlet = m["outlet"]
    named = outlet != "unknown outlet"
    sentence = (f"“{title}”" + (f" ({outlet})" if named else " (no outlet named)") + f" {m['rule']}. "
                f"Its text alone reads {int(m['r'])}/10; it {_counts(float(m['w']))} ({m['why']})")
    record = float(m["ow"])
    if named and record > 1.05:
        sentence += f", and {outlet}'s track record makes it count more"
    elif named and record < 0.95:
        sentence += f", and {outlet}'s track record makes it count less"
    return sentence + "."


@dataclass(frozen=True)
class ScaleBand:
    """One verdict's stretch of the 0-10 scale."""

    verdict: Verdict
    low: int
    high: int

    @property
    def span(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


def _scale() -> tuple[ScaleBand, ...]:
    """The bands of rating.verdict_for, low to high: 0-2 False ... 8-10 True."""
    bands: list[ScaleBand] = []
    for rating in range(11):
        verdict = verdict_for(rating)
        if bands and bands[-1].verdict is verdict:
            bands[-1] = ScaleBand(verdict, bands[-1].low, rating)
        else:
            bands.append(ScaleBand(verdict, rating, rating))
    return tuple(bands)


SCALE = _scale()


def scale_band(rating: int | None) -> ScaleBand | None:
    """The band a rating falls in (None for Unrated)."""
    if rating is None:
        return None
    return next((b for b in SCALE if b.low <= rating <= b.high), None)
