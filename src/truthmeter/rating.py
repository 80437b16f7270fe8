"""From calibrated probability to the published 0-10 truth rating and verdict words.

Cut-offs (documented in the README): 0-2 False, 3-4 Mostly false, 5 Mixed, 6-7 Mostly true,
8-10 True. A fact-check's own rating overrides the model: it is ground truth for the story.
"""

from __future__ import annotations

from typing import Sequence

from truthmeter.types import Label, Rating, Signal, Verdict

__all__ = ["truth_rating", "verdict_for", "make_rating", "fact_check_rating", "VERDICT_CUTS"]

# Lowest rating that earns each verdict, from the top.
VERDICT_CUTS: tuple[tuple[int, Verdict], ...] = (
    (8, Verdict.TRUE), (6, Verdict.MOSTLY_TRUE), (5, Verdict.MIXED), (3, Verdict.MOSTLY_FALSE), (0, Verdict.FALSE),
)
# Gossip Cop's convention, which the training labels follow: a story rated below 5 is fake.
FAKE_BELOW = 5


def truth_rating(p_true: float) -> int:
    return max(0, min(10, int(p_true * 10 + 0.5)))


def verdict_for(rating: int) -> Verdict:
    return next(v for cut, v in VERDICT_CUTS if rating >= cut)


def make_rating(p_true: float, threshold: float, signals: Sequence[Signal], model: str) -> Rating:
    r = truth_rating(p_true)
    label = Label.REAL if p_true >= threshold else Label.FAKE
    return Rating(p_true=float(p_true), truth_rating=r, verdict=verdict_for(r), label=label,
                  signals=tuple(signals), model=model)


def fact_check_rating(rating: int, signals: Sequence[Signal], model: str) -> Rating:
    """A published fact-check's rating becomes the article's rating, and is the first reason."""
    fc = Signal(name="fact_check", weight=float(rating - 5), text=f"Truth rating: {rating}")
    label = Label.FAKE if rating < FAKE_BELOW else Label.REAL
    return Rating(p_true=rating / 10, truth_rating=rating, verdict=verdict_for(rating), label=label,
                  signals=(fc, *signals), model=model, fact_check_rating=rating)
