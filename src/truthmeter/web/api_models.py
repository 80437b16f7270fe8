"""Request and response models of the REST API: what /openapi.json documents and what is validated.

Response models mirror the library's `to_dict()` forms (RatedArticle, Story, FactCheck, OutletRecord),
so the API answers exactly what `truthmeter rate --format jsonl` and friends print.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from truthmeter.newsroom.records import AuditAction, ReviewStatus
from truthmeter.types import MAX_CLAIM_CHARS, ClaimBasis, Label, Verdict

__all__ = ["Problem", "ArticleIn", "RatePayload", "TipIn", "RatingIn", "ClaimIn", "ClaimOut", "SummaryIn", "Page", "SignalOut",
           "ReasonOut", "RatedOut", "StoredArticleOut", "StoryOut", "StoryArticleOut", "FactCheckOut", "QuoteOut", "DenialOut", "ReviewOut",
           "CorrectionOut", "StoryDetailOut", "OutletOut", "OutletDetailOut", "QueueItemOut", "AuditEntryOut",
           "TipOut", "IngestedOut", "IngestOut", "ONE_TAG", "MANY_TAG"]

# How many articles one request may carry is the server's setting (WebConfig.max_articles): checked
# before the body is validated, and written into the schema as maxItems by the app.
ONE_TAG, MANY_TAG = "object", "array"  # union tags: error locations drop them


def _unicode(value: str) -> str:
    # JSON may carry lone surrogates ("\ud800"); they cannot be stored or sent back as UTF-8.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains invalid Unicode (a lone surrogate)") from None
    return value


Text = Annotated[str, AfterValidator(_unicode)]


class Problem(BaseModel):
    """Every error answer: one line saying what went wrong."""

    detail: str


class ArticleIn(BaseModel):
    """An article to rate: pasted `text` (with an optional `title`) or a `url` to fetch, not both."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"title": "Star denies split rumours", "text": "A representative for the star said on Monday..."},
        {"url": "https://example.com/news/story.html"}]})

    text: Text | None = Field(None, description="The article text (length capped by the server).")
    title: Text | None = Field(None, max_length=1000)
    url: Text | None = Field(None, max_length=2000, description="An http(s) URL to fetch.")

    @model_validator(mode="after")
    def _one_source(self) -> "ArticleIn":
        if bool(self.text) == bool(self.url):
            raise ValueError("give exactly one of text or url")
        return self


def _payload_kind(value: Any) -> str:
    return MANY_TAG if isinstance(value, list) else ONE_TAG


RatePayload = Annotated[
    Annotated[ArticleIn, Tag(ONE_TAG)] | Annotated[list[ArticleIn], Tag(MANY_TAG)],
    Discriminator(_payload_kind)]


class TipIn(ArticleIn):
    """A reader's tip: an article (text or url) and an optional note to the editors."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"url": "https://example.com/news/story.html", "note": "This looks made up."}]})

    note: Text | None = Field(None, max_length=2000)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


class RatingIn(BaseModel):
    """An editor's final rating for a story, with the reason (shown to readers with corrections)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"rating": 2, "note": "The representative denied it on the record."}]})

    rating: int = Field(ge=0, le=10, description="0 (false) to 10 (true)")
    note: Annotated[Text, AfterValidator(_not_blank)] = Field(min_length=1, max_length=4000)

    @field_validator("rating", mode="before")
    @classmethod
    def _a_number(cls, value: Any) -> Any:
        # A JSON number only (2 and 2.0 are the same number); not "2", not true.
        if isinstance(value, (bool, str)):
            raise ValueError("must be a whole number from 0 to 10")
        return value


class ClaimIn(BaseModel):
    """An editor's wording of the claim a story is about: one plain sentence in the positive."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"claim": "Marisol Vance is engaged to Dex Harrow"}]})

    # Empty or over-long claims are the desk's to refuse (400 with its reason), not the validator's.
    claim: Text = Field(description=f"1 to {MAX_CLAIM_CHARS} characters (runs of spaces count as one); "
                                    "later articles never replace it")


class SummaryIn(BaseModel):
    """An editor's verdict in prose for readers; empty goes back to the text generated from the evidence."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"summary": "Gossip Cop rated this 10/10, and Khloé Kardashian said it on the record."}]})

    summary: Text = Field(description="a few sentences (runs of spaces count as one); empty: the generated text")


class ClaimOut(BaseModel):
    """The claim a story is about, who first reported it and when, and the editor who wrote it."""

    text: str = Field(description="a plain sentence in the positive; the verdict is about it")
    basis: ClaimBasis = Field(description="headline / lead: the first report's words; debunk: a debunk's words "
                                          "with the negation removed; editor: written at the desk")
    reported_by: str | None = Field(description="the outlet of the first report (never a debunker's)")
    reported_on: str | None = Field(description="the first report's date")
    edited_by: str | None = Field(description="the editor who wrote it (basis editor)")


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list. `total` is null where counting the filtered list is not offered."""

    items: list[T]
    total: int | None
    limit: int
    offset: int


class SignalOut(BaseModel):
    name: str
    weight: float
    text: str | None
    start: int | None
    end: int | None


class ReasonOut(BaseModel):
    """A family of the model's contributions in a reader's words (see the README, "The rating")."""

    kind: str = Field(description="anonymous_sourcing, on_record, hedging, sensational, denial_or_confirmation, "
                                  "outlet, subject_prior, wording, fact_check or other")
    label: str
    weight: float = Field(description="the family's summed share of the log-odds that the story is true")
    examples: list[str]
    subject: str | None = Field(description="the person, for a subject_prior reason")


class RatedOut(BaseModel):
    """The fields of `truthmeter rate --format jsonl`."""

    id: str
    title: str
    outlet: str | None
    author: str | None
    date: str | None
    url: str | None
    source: str | None
    truth_rating: int | None = Field(description="0-10; null when the verdict is Unrated (too little text)")
    p_true: float
    verdict: Verdict
    label: Label
    is_fact_check: bool
    fact_check_rating: int | None
    dataset_label: str | None
    model: str
    signals: list[SignalOut]
    reasons: list[ReasonOut] = Field(default_factory=list, description="empty for stored articles")
    # `truthmeter rate` over several inputs groups them into stories; the API rates each alone (null).
    story_id: str | None = Field(None, description="the story the article was rated in, when rated with others")
    story_rating: int | None = Field(None, description="that story's rating, 0-10")
    story_verdict: Verdict | None = Field(None, description="that story's verdict")
    claim: str | None = Field(None, description="the claim that story is about")
    stance: str | None = Field(None, description="the article's stance toward the claim")
    in_context: str | None = Field(None, description="the article inside that story, in words")


class StoredArticleOut(RatedOut):
    content_hash: str
    ingested_at: str


class StoryOut(BaseModel):
    id: str
    title: str = Field(description="the first report's headline (secondary: the verdict is about the claim)")
    claim: ClaimOut | None = Field(description="null only for a story stored before claims existed (its title "
                                               "stands in)")
    article_ids: list[str]
    n_articles: int
    outlets: list[str]
    people: list[str]
    first_date: str | None
    last_date: str | None
    story_rating: int | None = Field(description="0-10; null when Unrated (no fact-check, no rated article)")
    verdict: Verdict
    fact_check_rating: int | None
    signals: list[SignalOut]
    created_at: str | None
    updated_at: str | None
    # The desk's decision beside the model's, as `truthmeter stories --format json` prints it.
    published: bool = Field(False, description="true while the desk has the story's verdict published")
    published_rating: int | None = Field(None, description="the desk's published rating, 0-10 (null unless "
                                                           "published); story_rating stays the model's")
    published_verdict: Verdict | None = Field(None, description="the desk's published verdict (null unless published)")
    published_at: str | None = Field(None, description="first publication (null unless published)")


class StoryArticleOut(BaseModel):
    id: str
    title: str
    outlet: str | None
    date: str | None
    url: str | None
    truth_rating: int | None
    p_true: float
    verdict: Verdict
    stance: str
    is_fact_check: bool
    fact_check_rating: int | None
    content_hash: str
    in_context: str = Field(description="the article inside its story: its text-only estimate, the story's "
                                        "verdict on the claim and the article's stance")


class FactCheckOut(BaseModel):
    article_id: str
    content_hash: str
    rating: int
    basis: str
    title: str
    outlet: str | None
    url: str | None
    date: str | None
    wording: str | None
    story_id: str | None


class QuoteOut(BaseModel):
    article_id: str
    speaker: str | None
    text: str


class DenialOut(BaseModel):
    article_id: str
    text: str
    by: str | None
    quoted: bool
    sentence: str


class ReviewOut(BaseModel):
    """The desk's decision on a story; the model's own rating stays on the story."""

    story_id: str
    status: ReviewStatus
    model_rating: int | None
    final_rating: int | None
    final_verdict: Verdict | None
    note: str | None
    editor: str | None
    reviewed_at: str | None
    published_at: str | None
    changed_at: str | None
    summary: str | None = Field(None, description="the verdict in prose as an editor wrote it (null: generated)")
    summary_by: str | None = None


class CorrectionOut(BaseModel):
    story_id: str
    previous_rating: int
    new_rating: int
    note: str
    editor: str
    at: str


class StoryDetailOut(StoryOut):
    articles: list[StoryArticleOut]
    fact_checks: list[FactCheckOut]
    quotes_on_record: list[QuoteOut]
    denials: list[DenialOut]
    review: ReviewOut | None
    corrections: list[CorrectionOut]


class OutletOut(BaseModel):
    outlet: str
    key: str
    stories: int
    rated_false: int
    share_false: float
    shrunk_false: float
    weight: float


class OutletDetailOut(BaseModel):
    outlet: OutletOut
    stories: Page[StoryOut]


class QueueItemOut(BaseModel):
    story: StoryOut
    suspicion: float
    tips: int
    review: ReviewOut | None


class AuditEntryOut(BaseModel):
    id: int
    at: str
    actor: str
    action: AuditAction
    target: str | None
    detail: dict[str, Any]


class TipOut(BaseModel):
    id: int
    content_hash: str
    article_id: str
    story_id: str | None
    note: str | None
    submitted_at: str


class IngestedOut(BaseModel):
    id: str
    content_hash: str


class IngestOut(BaseModel):
    read: int
    new: int
    new_stories: int
    updated_stories: int
    articles: list[IngestedOut]
