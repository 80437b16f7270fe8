"""Frozen value types that flow through the pipeline: ingest -> parse -> features -> model -> rating."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # reasons.py builds on these types; annotations only here
    from truthmeter.reasons import Reason

__all__ = ["content_hash", "Origin", "RawDocument", "Quote", "Article", "Signal", "Verdict", "Label", "Rating", "StoryContext", "RatedArticle",
           "Stance", "FactCheck", "ClaimBasis", "Claim", "MAX_CLAIM_CHARS", "Story"]


def content_hash(title: str, body: str) -> str:
    """Full sha256 hex of title + newline + body: an article's identity in the store, and its id
    (first 16 hex) when the input brings none."""
    return hashlib.sha256(f"{title}\n{body}".encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Origin:
    """Where an item came from: a file (and line or entry within it), a URL or stdin."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path


@dataclass(frozen=True)
class RawDocument:
    """One document as a reader found it, before parsing.

    `kind` says how to parse `text`: "text" (seed-style plain text), "html", or "record"
    (a dataset row whose fields are already separated in `fields`).
    """

    origin: Origin
    kind: str
    text: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Quote:
    text: str
    speaker: str | None
    start: int
    end: int


@dataclass(frozen=True)
class Article:
    """A parsed article. `body` is the only text the model sees; metadata never leaks into it."""

    id: str
    title: str
    body: str
    author: str | None = None
    outlet: str | None = None
    date: str | None = None
    url: str | None = None
    origin: Origin | None = None
    label: int | None = None  # dataset label when known: 1 = fake, 0 = real
    fact_check_rating: int | None = None  # a rating the article itself publishes (0-10)
    quotes: tuple[Quote, ...] = ()

    @property
    def is_fact_check(self) -> bool:
        return self.fact_check_rating is not None

    @property
    def title_in_text(self) -> bool:
        """Whether `text` starts with the title (a body that already opens with it is not repeated)."""
        return bool(self.title and self.body and not self.body.startswith(self.title))

    @property
    def text(self) -> str:
        """What the model reads and signal offsets point into: title, blank line, body."""
        return f"{self.title}\n\n{self.body}" if self.title_in_text else (self.body or self.title)


@dataclass(frozen=True)
class Signal:
    """One contribution to a rating: `weight` is its share of the log-odds that the story is true."""

    name: str
    weight: float
    text: str | None = None
    start: int | None = None
    end: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "weight": round(self.weight, 4), "text": self.text,
                "start": self.start, "end": self.end}


class Verdict(enum.Enum):
    FALSE = "False"
    MOSTLY_FALSE = "Mostly false"
    MIXED = "Mixed"
    MOSTLY_TRUE = "Mostly true"
    TRUE = "True"
    # Too little text to judge (a handful of words): no rating at all, never stored as True or False.
    UNRATED = "Unrated"


class Label(enum.Enum):
    REAL = "real"
    FAKE = "fake"


@dataclass(frozen=True)
class Rating:
    p_true: float  # the model's calibrated output, kept for researchers even when Unrated
    truth_rating: int | None  # None only when the verdict is Unrated
    verdict: Verdict
    label: Label
    signals: tuple[Signal, ...]
    model: str
    fact_check_rating: int | None = None
    # The signals' families in a reader's words (reasons.py); only when signals were asked for.
    reasons: tuple[Reason, ...] = ()

    @property
    def is_fact_check(self) -> bool:
        return self.fact_check_rating is not None


@dataclass(frozen=True)
class StoryContext:
    """The story a batch rated together put an article in: the story's verdict on its claim and the
    article's stance toward it (the article's own rating stays its text-only estimate)."""

    story_id: str
    story_rating: int | None
    story_verdict: Verdict
    claim: str
    stance: Stance
    in_context: str  # "the text alone reads 3/10; the story is rated 10/10 by a Gossip Cop fact-check; ..."

    @staticmethod
    def fields(story: StoryContext | None) -> dict[str, object]:
        """The output fields, None when the article was not rated in a story."""
        if story is None:
            return dict.fromkeys(("story_id", "story_rating", "story_verdict", "claim", "stance", "in_context"))
        return {"story_id": story.story_id, "story_rating": story.story_rating,
                "story_verdict": story.story_verdict.value, "claim": story.claim, "stance": story.stance.value,
                "in_context": story.in_context}


@dataclass(frozen=True)
class RatedArticle:
    article: Article
    rating: Rating
    # Set when articles were rated together (`rate` over several); keyword-only so subclasses add fields.
    story: StoryContext | None = field(default=None, kw_only=True)

    def to_dict(self) -> dict[str, object]:
        a, r = self.article, self.rating
        return {**self._rated(), **StoryContext.fields(self.story)}

    def _rated(self) -> dict[str, object]:
        a, r = self.article, self.rating
        return {
            "id": a.id, "title": a.title, "outlet": a.outlet, "author": a.author, "date": a.date,
            "url": a.url, "source": str(a.origin) if a.origin else None,
            "truth_rating": r.truth_rating, "p_true": round(float(r.p_true), 4),
            "verdict": r.verdict.value, "label": r.label.value,
            "is_fact_check": r.is_fact_check, "fact_check_rating": r.fact_check_rating,
            "dataset_label": None if a.label is None else ("fake" if a.label == 1 else "real"),
            "model": r.model, "signals": [s.to_dict() for s in r.signals],
            "reasons": [x.to_dict() for x in r.reasons],
        }


class Stance(enum.Enum):
    """How an article stands toward its story's claim (the rumour or report the story is about)."""

    SUPPORTS = "supports"
    CONTRADICTS = "contradicts"
    UNRELATED = "unrelated"


@dataclass(frozen=True)
class FactCheck:
    """A fact-check of a story: an article publishing a rating, or one whose own verdict wording
    debunks the claim (`basis` "wording": no number was published, the rating is inferred)."""

    content_hash: str
    article_id: str
    rating: int
    basis: str  # "rating" (a published Truth rating / ClaimReview) or "wording"
    title: str
    outlet: str | None = None
    url: str | None = None
    date: str | None = None
    wording: str | None = None  # the debunking words found, for basis "wording"
    story_id: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"article_id": self.article_id, "content_hash": self.content_hash, "rating": self.rating,
                "basis": self.basis, "title": self.title, "outlet": self.outlet, "url": self.url,
                "date": self.date, "wording": self.wording, "story_id": self.story_id}


# A claim is one sentence: longer text is cut (automatic) or refused (an editor's).
MAX_CLAIM_CHARS = 300


class ClaimBasis(str, enum.Enum):
    """Where a story claim's wording came from."""

    HEADLINE = "headline"  # the first report's headline, cleaned
    LEAD = "lead"  # the first report's lead sentence (its headline had no verb)
    DEBUNK = "debunk"  # a debunk's words with the negation removed
    EDITOR = "editor"  # written by an editor on the desk


@dataclass(frozen=True)
class Claim:
    """The claim a story is about (a plain sentence in the positive), who first reported it and when."""

    text: str
    basis: ClaimBasis
    source: str | None = None  # content hash of the article it was read from
    reported_by: str | None = None  # the outlet of the first report (never a debunk's)
    reported_on: str | None = None  # that report's date
    edited_by: str | None = None  # the editor who wrote it (basis EDITOR)

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "basis": self.basis.value, "reported_by": self.reported_by,
                "reported_on": self.reported_on, "edited_by": self.edited_by}


@dataclass(frozen=True)
class Story:
    """Articles telling one story, rated together: a fact-check decides, else the weighted articles."""

    id: str
    title: str
    story_rating: int | None  # None only when Unrated: no fact-check and no rated article
    verdict: Verdict
    signals: tuple[Signal, ...]
    fact_check_rating: int | None = None
    article_ids: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    first_date: str | None = None
    last_date: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    claim: Claim | None = None  # None only for stories stored before claims existed

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "claim": self.claim.to_dict() if self.claim else None,
                "article_ids": list(self.article_ids),
                "n_articles": len(self.article_ids), "outlets": list(self.outlets), "people": list(self.people),
                "first_date": self.first_date, "last_date": self.last_date, "story_rating": self.story_rating,
                "verdict": self.verdict.value, "fact_check_rating": self.fact_check_rating,
                "signals": [s.to_dict() for s in self.signals], "created_at": self.created_at,
                "updated_at": self.updated_at}
