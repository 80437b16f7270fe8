"""Frozen records of the editorial desk: editors, tokens, sessions, reviews, corrections, tips, audit."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from truthmeter.types import Story, Verdict

__all__ = ["User", "ApiToken", "Session", "ReviewStatus", "Review", "Correction", "AuditAction", "AuditEntry",
           "Tip", "QueueItem", "PublishedStory", "OutletStory", "MAX_SUMMARY_CHARS"]

MAX_SUMMARY_CHARS = 1000  # the verdict in prose: a few sentences


@dataclass(frozen=True)
class User:
    name: str
    created_at: str


@dataclass(frozen=True)
class ApiToken:
    """An API token as stored: only the sha256 of the secret is kept, never the secret."""

    id: int
    name: str
    user: str
    created_at: str
    last_used_at: str | None = None
    revoked_at: str | None = None  # a revoked token stays listed, and never authenticates again


@dataclass(frozen=True)
class Session:
    """A logged-in editor's browser session (the cookie carries the secret; the store its sha256)."""

    user: str
    csrf: str
    expires_at: str  # ISO 8601, UTC


class ReviewStatus(enum.Enum):
    UNREVIEWED = "unreviewed"  # the model's rating only
    REVIEWED = "reviewed"  # an editor set the final rating; not public yet
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"  # was published, taken down


@dataclass(frozen=True)
class Review:
    """The desk's decision on a story. The model's rating stays on the Story; this is beside it."""

    story_id: str
    status: ReviewStatus
    model_rating: int | None  # the story's model rating when the editor decided; None: Unrated
    final_rating: int | None = None
    final_verdict: Verdict | None = None
    note: str | None = None
    editor: str | None = None
    reviewed_at: str | None = None
    published_at: str | None = None  # first publication
    changed_at: str | None = None  # the desk's last change (rating, correction, publish, unpublish)
    summary: str | None = None  # the verdict in prose for readers, as an editor wrote it (None: generated)
    summary_by: str | None = None  # the editor who wrote it


@dataclass(frozen=True)
class Correction:
    """A change to a published verdict: when, why, by whom, and the earlier rating."""

    story_id: str
    previous_rating: int
    new_rating: int
    note: str
    editor: str
    at: str


class AuditAction(enum.Enum):
    USER_ADDED = "user_added"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    LOGIN = "login"
    LOGOUT = "logout"
    REVIEW = "review"  # final rating set (first time, or before publication)
    CORRECTION = "correction"  # final rating changed on a published story
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    TIP = "tip"
    CLAIM = "claim"  # an editor rewrote a story's claim
    SUMMARY = "summary"  # an editor wrote (or cleared) the verdict in prose


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str  # an editor's name, "token:<name>", or "reader" for tips
    action: AuditAction
    target: str | None
    detail: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Tip:
    """A reader's "send us a tip": a checked article sent on to the editors' queue."""

    id: int
    content_hash: str
    article_id: str
    story_id: str | None
    note: str | None
    submitted_at: str


@dataclass(frozen=True)
class QueueItem:
    """An unreviewed story in the review queue, with why it is where it is."""

    story: Story
    suspicion: float  # 0..1: higher is more likely false or more contested
    tips: int
    review: Review | None = None


@dataclass(frozen=True)
class PublishedStory:
    """What publishing needs: the story, the desk's final word, its corrections and the articles' URLs."""

    story: Story
    review: Review
    corrections: tuple[Correction, ...] = ()
    appearances: tuple[str, ...] = ()  # URLs of the story's articles that have one

    @property
    def rating(self) -> int:
        # A published review always has a final rating: the desk refuses to publish an Unrated story
        # without one, so the story's own rating is only a fallback for reviews stored before that.
        rating = self.review.final_rating if self.review.final_rating is not None else self.story.story_rating
        if rating is None:
            raise ValueError(f"published story {self.story.id} has no rating")
        return rating

    @property
    def verdict(self) -> Verdict:
        return self.review.final_verdict or self.story.verdict


@dataclass(frozen=True)
class OutletStory:
    """A story an outlet told, for its record over time: dated by the outlet's first article telling it."""

    story_id: str
    date: str | None  # the article's own date, as the article gave it
    stored_at: str  # when that article was stored (ISO 8601): the date to fall back on
    story_rating: int | None
    verdict: Verdict
