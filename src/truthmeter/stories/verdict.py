"""A story's rating from its articles: fact-checks first, else the articles weighted by evidence.

- With a fact-check (a published rating, or a debunk in the writer's own words, read as rating 1),
  the latest one's rating is the story's rating: a fact-checker has done what the model guesses at.
- Otherwise the story rating is a weighted mean of the articles' earned ratings (rating / 10: True
  and False need evidence in an article's text): an article supporting the claim gives its rating; one
  contradicting it gives 1 - rating,
  capped at 0.5, so a credible denial pulls the story down but a dubious article that happens to
  mention a denial never pushes it up. Unrelated articles are left out. Weights: on-the-record
  quotes up (1.5), anonymous-only sourcing down (0.5), a confirmation up (x1.2), times the outlet's
  track record weight (outlets.py). An Unrated article (too little text to judge) carries no weight.
- With no fact-check and no rated article taking a side, the story is Unrated (rating None).
Signals use the article format; their weight is in rating points relative to 5 (Mixed): a fact-check
rated 10 weighs +5, and the article signals add up to the story rating (before rounding) minus 5.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

from truthmeter.rating import UNRATED, truth_rating, verdict_for
from truthmeter.stories.claims import claim_sentence
from truthmeter.stories.evidence import DEBUNK_RATING, Evidence, content_words, stance_of
from truthmeter.stories.outlets import TrackRecords
from truthmeter.types import Article, Claim, ClaimBasis, FactCheck, Signal, Stance, Verdict

__all__ = ["Member", "StoryVerdict", "fact_check_of", "chronological", "claim_of", "story_claim", "is_debunk",
           "rate_story",
           "evidence_weight", "MAX_ARTICLE_SIGNALS"]

MAX_ARTICLE_SIGNALS = 5


@dataclass(frozen=True)
class Member:
    """What a story verdict needs of one of its articles."""

    content_hash: str
    article_id: str
    title: str
    outlet: str | None
    outlet_key: str | None
    date: str | None
    order: int  # ingest order: breaks ties between equal or missing dates
    p_true: float
    truth_rating: int | None  # None: the article is Unrated
    people: tuple[str, ...]
    evidence: Evidence
    fact_check: FactCheck | None = None
    claim: str | None = None  # its claim sentence, read with its body at ingest (None: stored before)
    claim_basis: ClaimBasis = ClaimBasis.HEADLINE
    topic: frozenset[str] | None = None  # `words` when read beforehand (prepare.py, in a worker process)

    # Computed once each: a story is re-rated every time it grows.
    @cached_property
    def words(self) -> frozenset[str]:
        """Headline topic words and people."""
        return self.topic if self.topic is not None else content_words(self.title, self.people)

    @cached_property
    def denies(self) -> bool:
        return bool(self.evidence.strong_denials())

    @cached_property
    def debunks(self) -> bool:
        return is_debunk(self.fact_check, self.denies)

    @cached_property
    def statement(self) -> tuple[str, ClaimBasis]:
        """What it claims (or, a debunk, denies) as a positive sentence."""
        if self.claim:
            return self.claim, self.claim_basis
        return claim_sentence(self.title, "", self.people, debunk=self.debunks)

    @cached_property
    def weight(self) -> float:
        """The evidence part of its weight in a story verdict."""
        return evidence_weight(self.evidence)[0]


@dataclass(frozen=True)
class StoryVerdict:
    title: str
    rating: int | None  # None: Unrated
    verdict: Verdict
    fact_check_rating: int | None
    signals: tuple[Signal, ...]
    stances: dict[str, tuple[Stance, str]]  # content hash -> stance and the rule behind it
    claim: str | None = None  # content hash of the article stating the claim
    statement: Claim | None = None  # the claim as a sentence, who first reported it and when


def fact_check_of(article: Article, digest: str, evidence: Evidence) -> FactCheck | None:
    """The fact-check an article is: its published rating, else its debunking wording, else none."""
    common = dict(content_hash=digest, article_id=article.id, title=article.title, outlet=article.outlet,
                  url=article.url, date=article.date)
    if article.fact_check_rating is not None:
        return FactCheck(rating=int(article.fact_check_rating), basis="rating", **common)  # type: ignore[arg-type]
    if evidence.debunk:
        return FactCheck(rating=DEBUNK_RATING, basis="wording", wording=evidence.debunk.sentence[:200],
                         **common)  # type: ignore[arg-type]
    return None


def _when(m: Member) -> tuple[bool, str, int]:
    """Dated articles first, oldest first; undated ones after them in ingest order."""
    return (m.date is None, m.date or "", m.order)


def chronological(members: Sequence[Member]) -> list[Member]:
    return sorted(members, key=_when)


def claim_of(members: Sequence[Member]) -> Member | None:
    """The article stating the story's claim: the first one that is not a fact-check, preferring one
    that does not deny something itself (so the claim is the rumour, not its denial); None when
    every article is a fact-check (their title is the claim then)."""
    reports = [m for m in members if m.fact_check is None]
    plain = [m for m in reports if not m.denies]
    return min(plain or reports, key=_when) if reports else None


def is_debunk(fact_check: FactCheck | None, denies: bool) -> bool:
    """A fact-check rated below Mixed, or an article that denies: its headline denies the claim."""
    return (fact_check is not None and fact_check.rating < 5) or denies


def story_claim(members: Sequence[Member]) -> Claim:
    """The claim the story's verdict is about: its first fact-check's (what the fact-checker rated; a
    debunk's with the negation removed), else its first report's. Reported by the first article
    that is not a debunk: a fact-checker denying a rumour did not report it."""
    ordered = chronological(members)
    first = next((m for m in ordered if m.fact_check is not None), ordered[0])
    text, basis = first.statement
    reporter = next((m for m in ordered if not m.debunks), None)
    return Claim(text=text, basis=basis, source=first.content_hash,
                 reported_by=reporter.outlet if reporter else None,
                 reported_on=(reporter or first).date)


def _latest_fact_checks(members: Sequence[Member]) -> list[FactCheck]:
    """Latest first: dated ones by date, undated ones count as older, ingest order breaks ties."""
    checked = [m for m in members if m.fact_check is not None]
    checked.sort(key=lambda m: (m.date or "", m.order), reverse=True)
    return [m.fact_check for m in checked if m.fact_check is not None]


def rate_story(members: Sequence[Member], records: TrackRecords, previous: StoryVerdict | None = None
               ) -> StoryVerdict:
    """The story's verdict. `previous`, the verdict before the story last grew, saves recomputing
    the stances of its members when the claim stayed the same (they depend on nothing else)."""
    if not members:
        raise ValueError("a story needs at least one article")
    claim = claim_of(members)
    checks = _latest_fact_checks(members)
    title = claim.title if claim else checks[-1].title  # the first fact-check's headline
    key = claim.content_hash if claim else None
    statement = story_claim(members)
    known = previous.stances if previous and previous.claim == key and previous.title == title else {}
    topic = claim.words if claim else content_words(title, ())  # the claim's words: its title, its people
    stances = {m.content_hash: known.get(m.content_hash) or stance_of(
        m.evidence, m.fact_check.rating if m.fact_check else None, is_claim=m is claim, words=m.words, topic=topic)
        for m in members}
    model_rating, article_signals = _weighted(members, stances, records)
    if checks:
        rating = checks[0].rating
        signals = [*_fact_check_signals(checks)]
        if model_rating is not None:
            signals.append(Signal("articles", 0.0, text=f"the other articles alone would rate it {model_rating}/10"))
        return StoryVerdict(title, rating, verdict_for(rating), rating, tuple(signals), stances, key, statement)
    if model_rating is None:
        why = Signal(UNRATED, 0.0, text="no fact-check, and no article with enough text to judge takes a side")
        return StoryVerdict(title, None, Verdict.UNRATED, None, (why,), stances, key, statement)
    return StoryVerdict(title, model_rating, verdict_for(model_rating), None, tuple(article_signals), stances, key,
                        statement)


def _fact_check_signals(checks: list[FactCheck]) -> list[Signal]:
    out = []
    for i, fc in enumerate(checks):
        where = fc.outlet or "fact-check"
        if fc.basis == "wording":
            text = f"Debunked, read as truth rating {fc.rating}: “{fc.wording}” ({where})"
        else:
            text = f"Truth rating: {fc.rating} ({where})"
        # Only the latest decides; earlier ones are shown, weightless, so a reversal is visible.
        out.append(Signal("fact_check" if i == 0 else "earlier_fact_check", float(fc.rating - 5) if i == 0 else 0.0,
                          text=text))
    return out


def evidence_weight(evidence: Evidence) -> tuple[float, str]:
    """How much an article's sourcing lets it count, and why."""
    if evidence.on_record:
        n = len(evidence.on_record)
        weight, why = 1.5, f"{n} on-the-record quote{'s' if n > 1 else ''}"
    elif evidence.anonymous_only:
        weight, why = 0.5, "anonymous sources only"
    else:
        weight, why = 1.0, "no attributed quotes"
    if evidence.confirmations:
        weight, why = weight * 1.2, f"{why}, confirmed (“{evidence.confirmations[0].text}”)"
    return weight, why


def _weighted(members: Sequence[Member], stances: dict[str, tuple[Stance, str]], records: TrackRecords
              ) -> tuple[int | None, list[Signal]]:
    """The weighted mean rating of the non-fact-check articles that take a side, and the largest shares."""
    parts = []
    for m in members:
        stance = stances[m.content_hash][0]
        if m.fact_check is not None or stance is Stance.UNRELATED or m.truth_rating is None:
            continue  # an Unrated article has too little text to weigh in
        # The rating the article earned (rating.py: True/False need evidence in its text), not its raw
        # p_true: a story of unevidenced articles must not say True where each of them says Mostly true.
        earned = m.truth_rating / 10
        p = earned if stance is Stance.SUPPORTS else min(0.5, 1 - earned)
        parts.append((m, p, m.weight * records.weight(m.outlet_key)))
    total = sum(w for _, _, w in parts)
    if not parts or total <= 0:
        return None, []
    mean = sum(p * w for _, p, w in parts) / total
    # Only the largest shares become signals (a big story has thousands of articles).
    top = heapq.nlargest(MAX_ARTICLE_SIGNALS, parts, key=lambda x: abs(x[2] * (10 * x[1] - 5)))
    return truth_rating(mean), [_article_signal(m, p, w, total, stances[m.content_hash], records) for m, p, w in top]


def _article_signal(m: Member, p: float, w: float, total: float, stance: tuple[Stance, str],
                    records: TrackRecords) -> Signal:
    why = evidence_weight(m.evidence)[1]
    return Signal("article", w / total * (10 * p - 5),
                  text=f"{m.title[:90]} ({m.outlet or 'unknown outlet'}): rated {m.truth_rating}/10 "
                       f"(p_true {m.p_true:.2f}), {stance[0].value}, "
                       f"weight {w:.2f} ({stance[1]}; {why}; outlet weight {records.weight(m.outlet_key):.2f})")
