"""The REST API under /api: thin endpoints over the library, the store and the desk.

Endpoints are sync `def`s: FastAPI runs them in its thread pool, so rating (CPU) and SQLite calls
(the store serialises them with its lock) never block the event loop. POST /api/rate is async, to
share the micro-batcher (web/batcher.py): it reads the articles and rates them in the batcher's
worker threads, so the event loop only routes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request, status
from fastapi.responses import JSONResponse

from truthmeter import pipeline
from truthmeter.errors import ParseError
from truthmeter.model import TruthModel
from truthmeter.newsroom.desk import NothingToPublish
from truthmeter.newsroom.records import MAX_SUMMARY_CHARS, Review
from truthmeter.newsroom.tips import send_tip
from truthmeter.publish.stories import published_fields, story_detail
from truthmeter.store import Store
from truthmeter.stories.outlets import TrackRecords
from truthmeter.types import MAX_CLAIM_CHARS, Article, Story, Verdict, content_hash
from truthmeter.web import deps
from truthmeter.web.api_models import (ArticleIn, AuditEntryOut, ClaimIn, ClaimOut, FactCheckOut, IngestOut,
                                       OutletDetailOut, OutletOut, Page, Problem, QueueItemOut, RatedOut, RatePayload, RatingIn,
                                       ReviewOut, StoredArticleOut, StoryDetailOut, StoryOut, SummaryIn, TipIn,
                                       TipOut)
from truthmeter.web.limits import article_cap, articles_limited, rate_limited

__all__ = ["router"]

router = APIRouter(prefix="/api", generate_unique_id_function=lambda route: route.name)

StoreDep = Annotated[Store, Depends(deps.store)]
ModelDep = Annotated[TruthModel, Depends(deps.model)]
Editor = Annotated[str, Depends(deps.require_api_editor)]
Limit = Annotated[int, Query(ge=1, le=200, description="Items per page (1-200).")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Items to skip.")]
Filter = Annotated[str | None, Query(max_length=200)]
StoryId = Annotated[str, Path(max_length=200, description="A story id or a unique prefix of one.")]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    why = {400: "Refused by the desk (an empty claim, or one too long)",
           401: "No credentials: send Authorization: Bearer <token>",
           403: "Invalid or revoked token, or an expired session / missing X-CSRF-Token", 404: "Not found",
           409: "Not allowed in the story's state (publishing an Unrated story without an editor's rating)",
           413: "Request body too large, or too many articles in one request", 422: "Invalid input",
           429: "Too many requests (see Retry-After)", 503: "Busy: too many articles waiting to be rated"}
    return {code: {"model": Problem, "description": why[code]} for code in codes}


_WRITE = _errors(401, 403, 404, 413, 422)


@contextmanager
def _refused_as_400() -> Iterator[None]:
    """The desk refuses a write it cannot take (an empty claim, a text over its limit) with a ValueError
    saying why: the client's mistake, answered 400 with that reason."""
    try:
        yield
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


def _page(items: list[Any], total: int | None, limit: int, offset: int) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def _review(review: Review | None) -> dict[str, Any] | None:
    return None if review is None else asdict(review)


def _stories(store: Store, stories: list[Story]) -> list[dict[str, Any]]:
    """Stories as the API lists them: each with the desk's published verdict beside the model's rating,
    in the fields `truthmeter stories --format json` prints (publish.stories.published_fields)."""
    reviews = store.desk.reviews([s.id for s in stories])
    return [{**s.to_dict(), **published_fields(s, reviews.get(s.id))} for s in stories]


def _articles(request: Request, items: list[ArticleIn], batch: bool) -> list[Article]:
    """Read each submitted item; the first bad one fails the request, naming its index in a batch."""
    out = []
    for i, item in enumerate(items):
        try:
            out.append(deps.submitted_article(request, text=item.text, title=item.title, url=item.url, origin="api"))
        except ParseError as e:
            raise HTTPException(422, f"item {i}: {e}" if batch else str(e)) from None
    return out


# --- rating -------------------------------------------------------------------------------------

@router.post("/rate", tags=["rating"], summary="Rate one article or a list of them",
             response_model=RatedOut | list[RatedOut], responses=_errors(413, 422, 429, 503),
             dependencies=[Depends(articles_limited)])
async def rate(request: Request, payload: Annotated[RatePayload, Body()]) -> Any:
    """Rate pasted text (`{"text", "title"}`) or a fetched page (`{"url"}`) without storing anything.
    A JSON array answers an array in the same order; one bad item fails the whole request (422).
    A list may hold up to the server's article cap (100 by default; 413 above it).
    Anonymous clients are rate-limited per IP, each article counting once (429 with Retry-After);
    a valid API token is not. 503 with Retry-After when too many articles are already waiting."""
    batch = isinstance(payload, list)
    items: list[ArticleIn] = payload if batch else [payload]  # type: ignore[assignment, list-item]
    # Reading (parsing pasted text: CPU; fetching URLs: blocking) and rating run in the batcher's
    # worker threads, never on the event loop.
    rated = await request.app.state.batcher.rate(partial(_articles, request, items, batch), len(items),
                                                 fetches=any(item.url for item in items))
    # The dicts are already the documented shape (RatedOut, tested): skip re-validating them.
    return JSONResponse(rated if batch else rated[0])


# --- articles -----------------------------------------------------------------------------------

@router.get("/articles", tags=["articles"], summary="Stored articles, newest first",
            response_model=Page[StoredArticleOut], responses=_errors(422))
def list_articles(store: StoreDep, limit: Limit = 50, offset: Offset = 0, verdict: Verdict | None = None,
                  outlet: Filter = None) -> Any:
    items = store.list(limit=limit, offset=offset, verdict=verdict.value if verdict else None, outlet=outlet)
    total = store.count() if verdict is None and outlet is None else None
    return _page([a.to_dict() for a in items], total, limit, offset)


@router.get("/articles/{article_id}", tags=["articles"], summary="One stored article",
            response_model=StoredArticleOut, responses=_errors(404))
def get_article(store: StoreDep, article_id: Annotated[str, Path(max_length=200)]) -> Any:
    found = store.get(article_id)
    if found is None:
        raise HTTPException(404, f"no article {article_id}")
    return found.to_dict()


@router.post("/articles", tags=["articles"], summary="Ingest articles (rate, store, group into stories)",
             status_code=status.HTTP_201_CREATED, response_model=IngestOut, responses=_errors(401, 403, 413, 422),
             dependencies=[Depends(article_cap)])
def ingest_articles(request: Request, store: StoreDep, model: ModelDep, editor: Editor,
                    items: Annotated[list[ArticleIn], Body()]) -> Any:
    """Each item is `{"text", "title"}` or `{"url"}`; a bad item fails the request before anything is stored.
    Up to the server's article cap per request (100 by default; 413 above it)."""
    articles = _articles(request, items, batch=True)
    report = pipeline.ingest_articles(articles, store, model)
    return {"read": report.read, "new": report.new, "new_stories": report.new_stories,
            "updated_stories": report.updated_stories,
            "articles": [{"id": a.id, "content_hash": content_hash(a.title, a.body)} for a in articles]}


# --- stories ------------------------------------------------------------------------------------

@router.get("/stories", tags=["stories"], summary="Stories, the most recent first; filter or search",
            response_model=Page[StoryOut], responses=_errors(422))
def list_stories(store: StoreDep, limit: Limit = 50, offset: Offset = 0, person: Filter = None, outlet: Filter = None,
                 verdict: Verdict | None = None,
                 q: Annotated[str | None, Query(max_length=200, description="Full-text search (best match first); "
                                                "cannot be combined with the filters.")] = None) -> Any:
    if q and q.strip():
        if person or outlet or verdict:
            raise HTTPException(422, "q cannot be combined with person, outlet or verdict")
        found = store.desk.search(q, limit=limit, offset=offset)
        return _page(_stories(store, found), store.desk.count_search(q), limit, offset)
    found = store.list_stories(limit=limit, offset=offset, person=person, outlet=outlet,
                               verdict=verdict.value if verdict else None)
    total = store.count_stories() if not (person or outlet or verdict) else None
    return _page(_stories(store, found), total, limit, offset)


@router.get("/stories/{story_id}", tags=["stories"], summary="A story with its articles, evidence and desk review",
            response_model=StoryDetailOut, responses=_errors(404, 422))
def get_story(store: StoreDep, story_id: StoryId) -> Any:
    stored = store.get_story(story_id)
    if stored is None:
        raise HTTPException(404, f"no story {story_id}")
    sid = stored.story.id
    review = store.desk.review(sid)
    return {**story_detail(stored), **published_fields(stored.story, review), "review": _review(review),
            "corrections": [asdict(c) for c in store.desk.corrections(sid)]}


@router.put("/stories/{story_id}/rating", tags=["desk"], summary="Set the final rating (a correction once published)",
            response_model=ReviewOut, responses=_WRITE)
def set_rating(store: StoreDep, editor: Editor, story_id: StoryId, body: RatingIn) -> Any:
    """Unknown stories answer 404 (the desk raises UnknownStory, answered by the app)."""
    return asdict(store.desk.set_rating(story_id, body.rating, body.note, editor=editor))


@router.put("/stories/{story_id}/claim", tags=["desk"], summary="Rewrite the claim the story is about",
            response_model=ClaimOut, responses=_errors(400, 401, 403, 404, 413, 422),
            description="The verdict is about the claim: `{\"claim\": \"Marisol Vance is engaged to Dex Harrow\"}`, "
                        "one plain sentence in the positive. Audited (action `claim`, with the previous wording); "
                        "later articles joining the story never replace an editor's claim. 400 for an empty claim "
                        f"or one over {MAX_CLAIM_CHARS} characters.")
def set_claim(store: StoreDep, editor: Editor, story_id: StoryId, body: ClaimIn) -> Any:
    with _refused_as_400():
        return store.desk.set_claim(story_id, body.claim, editor=editor).to_dict()


@router.put("/stories/{story_id}/summary", tags=["desk"], summary="Write the verdict in prose readers see",
            response_model=ReviewOut, responses=_errors(400, 401, 403, 404, 413, 422),
            description="`{\"summary\": \"Gossip Cop rated this 10/10. ...\"}`: a few sentences shown beside the "
                        "published rating, replacing the text generated from the evidence; an empty summary goes "
                        "back to the generated one. Audited (action `summary`, with the previous text). 400 over "
                        f"{MAX_SUMMARY_CHARS} characters.")
def set_summary(store: StoreDep, editor: Editor, story_id: StoryId, body: SummaryIn) -> Any:
    with _refused_as_400():
        return asdict(store.desk.set_summary(story_id, body.summary, editor=editor))


@router.post("/stories/{story_id}/publish", tags=["desk"], summary="Publish the story's verdict",
             response_model=ReviewOut, responses=_errors(401, 403, 404, 409, 422))
def publish(store: StoreDep, editor: Editor, story_id: StoryId) -> Any:
    """With the editor's final rating, else the model's; publishing a published story changes nothing.
    An Unrated story without an editor's rating cannot be published (409)."""
    try:
        return asdict(store.desk.publish(story_id, editor=editor))
    except NothingToPublish as exc:
        raise HTTPException(409, str(exc)) from None


@router.post("/stories/{story_id}/unpublish", tags=["desk"], summary="Take a published verdict down",
             response_model=ReviewOut, responses=_errors(401, 403, 404, 422))
def unpublish(store: StoreDep, editor: Editor, story_id: StoryId) -> Any:
    """Unpublishing a story that is not published changes nothing."""
    return asdict(store.desk.unpublish(story_id, editor=editor))


# --- outlets and fact-checks --------------------------------------------------------------------

def _records(store: Store) -> list[dict[str, Any]]:
    return [r.to_dict() for r in TrackRecords.from_counts(store.outlet_counts()).ranked()]


@router.get("/outlets", tags=["outlets"], summary="Outlets' track records, most stories first",
            response_model=Page[OutletOut], responses=_errors(422))
def list_outlets(store: StoreDep, limit: Limit = 50, offset: Offset = 0) -> Any:
    records = _records(store)
    return _page(records[offset:offset + limit], len(records), limit, offset)


@router.get("/outlets/{key}", tags=["outlets"], summary="One outlet's track record and its stories",
            response_model=OutletDetailOut, responses=_errors(404, 422))
def get_outlet(store: StoreDep, key: Annotated[str, Path(max_length=200)], limit: Limit = 50,
               offset: Offset = 0) -> Any:
    record = next((r for r in _records(store) if r["key"] == key.strip().lower()), None)
    if record is None:
        raise HTTPException(404, f"no outlet {key}")
    stories = store.list_stories(limit=limit, offset=offset, outlet=record["key"])
    return {"outlet": record, "stories": _page(_stories(store, stories), None, limit, offset)}


@router.get("/fact-checks", tags=["outlets"], summary="Stored fact-checks, newest first",
            response_model=Page[FactCheckOut], responses=_errors(422))
def list_fact_checks(store: StoreDep, limit: Limit = 50, offset: Offset = 0) -> Any:
    return _page([f.to_dict() for f in store.desk.fact_checks(limit=limit, offset=offset)],
                 store.desk.count_fact_checks(), limit, offset)


# --- the desk -----------------------------------------------------------------------------------

@router.get("/queue", tags=["desk"], summary="The review queue: unreviewed stories, most suspicious first",
            response_model=Page[QueueItemOut], responses=_errors(401, 403, 422))
def queue(store: StoreDep, editor: Editor, limit: Limit = 50, offset: Offset = 0) -> Any:
    items = [{"story": q.story.to_dict(), "suspicion": q.suspicion, "tips": q.tips, "review": _review(q.review)}
             for q in store.desk.queue(limit=limit, offset=offset)]
    return _page(items, store.desk.count_queue(), limit, offset)


@router.get("/audit", tags=["desk"], summary="The audit log, newest first",
            response_model=Page[AuditEntryOut], responses=_errors(401, 403, 422))
def audit(store: StoreDep, editor: Editor, limit: Limit = 50, offset: Offset = 0) -> Any:
    return _page([asdict(e) for e in store.desk.audit(limit=limit, offset=offset)], store.desk.count_audit(),
                 limit, offset)


@router.post("/tips", tags=["rating"], summary="Send an article to the editors as a tip",
             status_code=status.HTTP_201_CREATED, response_model=TipOut, responses=_errors(413, 422, 429),
             dependencies=[Depends(rate_limited)])
def tip(request: Request, store: StoreDep, model: ModelDep, body: TipIn) -> Any:
    """The article is rated and stored (joining or opening a story), and counts in the review queue."""
    article = _articles(request, [body], batch=False)[0]
    return asdict(send_tip(store, model, article, body.note))
