"""From calibrated probability to the published 0-10 truth rating and verdict words.

Cut-offs (documented in the README): 0-2 False, 3-4 Mostly false, 5 Mixed, 6-7 Mostly true,
8-10 True. A fact-check's own rating overrides the model: it is ground truth for the story.

The shown rating must be earned by the text (`make_rating` with the article's Doc): too few words
get no rating (Unrated), and True or False needs evidence in the text, else it stops at Mostly true
(7) or Mostly false (3). `p_true` and `label` stay the model's output either way.
"""

from __future__ import annotations

from typing import Sequence

from truthmeter.features._base import Doc
from truthmeter.features.cues import CUES, search, token_words
from truthmeter.types import Label, Rating, Signal, Verdict

__all__ = ["truth_rating", "verdict_for", "make_rating", "fact_check_rating", "VERDICT_CUTS", "MIN_WORDS",
           "TRUE_CAP", "FALSE_FLOOR", "UNRATED", "CAPPED", "GATE_SIGNALS", "evidence_for", "evidence_span",
           "too_little_text"]

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


# Fewer words than this (tokens of the text the model reads) get no rating. Chosen by
# bench/unrated_rule.py with the shipped recipe: the newest 20% of ARG train, cut to their first N words
# and rated by a model trained on the oldest 80%; the rule is the fewest words at which fewer than half
# of the fakes are rated True. Fakes rated True: 71% at 1 word, 51% at 5, 46% at 8, 13% on the whole
# text; a True rating is 85% real at 1 word, 89% at 8, against an 81% base rate; AUC 0.64 at 1 word,
# 0.81 at 8, 0.93 on the whole text.
MIN_WORDS = 8
# Names of the signals the verdict gate adds (weight 0): no rating, or a rating stopped short.
UNRATED, CAPPED = "unrated", "capped"
GATE_SIGNALS = frozenset({UNRATED, CAPPED})
# Without evidence in the text, a rating stops here: 7 is the top of Mostly true, 3 the bottom of
# Mostly false.
TRUE_CAP, FALSE_FLOOR = 7, 3
# Cues (features/cues.py, family and label) that let a text earn True: on-the-record sourcing or a
# confirmation; and False: anonymous sourcing or a denial. Looked for in the Doc the model read (its
# first WINDOW_TOKENS words): the same text the rating comes from, and no second pass over long articles.
TOWARDS_TRUE = (("sourcing.v1", "named quote"), ("sourcing.v1", "representative on record"),
                ("sourcing.v1", "told a named outlet"), ("sourcing.v1", "own social post"),
                ("sourcing.v1", "interview"), ("denial.v1", "confirmation"))
TOWARDS_FALSE = (("sourcing.v1", "anonymous source"), ("sourcing.v1", "anonymous quote"), ("denial.v1", "denial"))


def _cue(family: str, label: str) -> object:
    return next(m for name, m in CUES[family] if name == label)


_TRUE_CUES = [(fam, label, _cue(fam, label)) for fam, label in TOWARDS_TRUE]
_FALSE_CUES = [(fam, label, _cue(fam, label)) for fam, label in TOWARDS_FALSE]


def evidence_span(doc: Doc, towards_true: bool) -> tuple[str, str, int, int] | None:
    """The first cue in the text that can earn True (or False): (cue family, cue label, start, end) in
    `doc.text`; None when there is none. Searches stop at the first match, on the Doc already built
    for the model: no new tokenising."""
    words = token_words(doc)
    for family, label, cue in _TRUE_CUES if towards_true else _FALSE_CUES:
        if callable(cue):
            found = cue(doc)
            if found:
                return family, label, found[0][0], found[0][1]
        elif m := search(cue, label, doc, words):  # type: ignore[arg-type]
            return family, label, m.start(), m.end()
    return None


def evidence_for(doc: Doc, towards_true: bool) -> str | None:
    """`evidence_span`'s cue label only."""
    found = evidence_span(doc, towards_true)
    return found[1] if found else None


def too_little_text(doc: Doc) -> Signal | None:
    """The reason a text gets no rating, or None when it has enough words to judge."""
    words = len(doc.tokens)
    if words >= MIN_WORDS:
        return None
    return Signal(UNRATED, 0.0, text=f"too little text to judge: {words} word{'' if words == 1 else 's'}")


def _earned(rating: int, doc: Doc) -> tuple[int, Signal | None]:
    """The rating the text earns: True and False need evidence in it, else they stop at 7 or 3."""
    if rating > TRUE_CAP and evidence_for(doc, towards_true=True) is None:
        return TRUE_CAP, Signal(CAPPED, 0.0, text=f"capped at {TRUE_CAP}: no on-the-record quote, named "
                                                     "source or confirmation in the text")
    if rating < FALSE_FLOOR and evidence_for(doc, towards_true=False) is None:
        return FALSE_FLOOR, Signal(CAPPED, 0.0, text=f"capped at {FALSE_FLOOR}: no anonymous sourcing, denial "
                                                        "or fact-check in the text")
    return rating, None


def make_rating(p_true: float, threshold: float, signals: Sequence[Signal], model: str,
                doc: Doc | None = None) -> Rating:
    """The published rating for a model's p_true. With the article's `doc`, the rating is earned:
    Unrated below MIN_WORDS words, True/False only with evidence in the text. The reason is the first
    signal, weighing 0.0 so the signals still add up to the model's score."""
    label = Label.REAL if p_true >= threshold else Label.FAKE
    r: int | None = truth_rating(p_true)
    reason: Signal | None = None
    if doc is not None:
        reason = too_little_text(doc)
        if reason is not None:
            r = None
        else:
            r, reason = _earned(truth_rating(p_true), doc)
    return Rating(p_true=float(p_true), truth_rating=r, verdict=Verdict.UNRATED if r is None else verdict_for(r),
                  label=label, signals=(reason, *signals) if reason else tuple(signals), model=model)


def fact_check_rating(rating: int, signals: Sequence[Signal], model: str) -> Rating:
    """A published fact-check's rating becomes the article's rating, and is the first reason."""
    fc = Signal(name="fact_check", weight=float(rating - 5), text=f"Truth rating: {rating}")
    label = Label.FAKE if rating < FAKE_BELOW else Label.REAL
    return Rating(p_true=rating / 10, truth_rating=rating, verdict=verdict_for(rating), label=label,
                  signals=(fc, *signals), model=model, fact_check_rating=rating)
