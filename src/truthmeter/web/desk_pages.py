"""The editors' pages: the review queue, a story's review (the evidence; its claim, the verdict in prose,
override, publish after a confirmation step, unpublish, corrections) and the audit log. Every page needs a
logged-in editor; every POST the session's CSRF token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from truthmeter.errors import StoreError
from truthmeter.newsroom.desk import NothingToPublish, UnknownStory
from truthmeter.newsroom.records import MAX_SUMMARY_CHARS, AuditAction
from truthmeter.newsroom.summary import generated_summary
from truthmeter.publish.stories import claim_text, story_detail
from truthmeter.rating import verdict_for
from truthmeter.types import MAX_CLAIM_CHARS
from truthmeter.web import deps
from truthmeter.web.reader import SCALE, scale_band
from truthmeter.web.views import PER_PAGE, PageError, StoryView, find_story, html_errors, page_number, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

# Audit actions whose target is a story id (the others name an editor, a token or an article).
_STORY_ACTIONS = {a.value for a in (AuditAction.REVIEW, AuditAction.CORRECTION, AuditAction.PUBLISH,
                                    AuditAction.UNPUBLISH, AuditAction.CLAIM, AuditAction.SUMMARY, AuditAction.TIP)}
_ACTIONS = ("save", "publish", "unpublish", "claim", "summary")
_NOTE_MAX = 2000


@router.get("/desk", response_class=HTMLResponse)
@html_errors
def queue_page(request: Request, page: str | None = None, editor: str = Depends(deps.require_editor_page)
               ) -> Response:
    number = page_number(page)
    items = deps.store(request).desk.queue(limit=PER_PAGE + 1, offset=(number - 1) * PER_PAGE)
    rows = [(item, StoryView(item.story, item.review, public=False)) for item in items[:PER_PAGE]]
    return render(request, "desk.html", {"rows": rows, "page": number, "has_next": len(items) > PER_PAGE,
                                         "noindex": True})


def _evidence(request: Request, story_id: str) -> dict[str, Any]:
    """What the desk pages show of a story: the view, the evidence and the verdict in prose."""
    stored, review = find_story(request, story_id)
    story = stored.story
    view = StoryView(story, review, public=False)
    detail = story_detail(stored)
    generated = generated_summary(story, stored.fact_checks, detail)
    return {"view": view, "detail": detail, "generated_summary": generated, "summary": view.summary(generated),
            "summary_by": view.summary_by(), "published": view.published, "scale": SCALE,
            "band": scale_band(view.rating), "texts": {item.article.id: item.article.body for item, _ in stored.members},
            "noindex": True}


def _story_page(request: Request, story_id: str, *, error: str | None = None, status: int = 200,
                claim_draft: str | None = None, summary_draft: str | None = None) -> Response:
    store = deps.store(request)
    context = _evidence(request, story_id)
    sid = context["view"].story.id
    context.update({"corrections": store.desk.corrections(sid), "tips": store.desk.tips(sid), "error": error,
                    "max_claim_chars": MAX_CLAIM_CHARS, "claim_draft": claim_draft,
                    "max_summary_chars": MAX_SUMMARY_CHARS, "summary_draft": summary_draft})
    return render(request, "desk_story.html", context, status)


def _confirm_page(request: Request, story_id: str) -> Response:
    """Publishing asks first: what readers will see (claim, rating, verdict, prose), and one button."""
    context = _evidence(request, story_id)
    view = context["view"]
    review = view.review
    rating = review.final_rating if review is not None and review.final_rating is not None else view.story.story_rating
    if rating is None:
        return _story_page(request, story_id, error=str(NothingToPublish(view.story.id)), status=409)
    context.update({"rating": rating, "verdict": verdict_for(rating),
                    "model_only": review is None or review.final_rating is None,
                    "prose": view.summary(context["generated_summary"])})
    return render(request, "desk_confirm.html", context)


@router.get("/desk/stories/{story_id}", response_class=HTMLResponse)
@html_errors
def review_page(request: Request, story_id: str, editor: str = Depends(deps.require_editor_page)) -> Response:
    return _story_page(request, story_id)


def _rating(raw: str) -> int:
    text = raw.strip()
    if not text.lstrip("-").isdigit() or not 0 <= int(text) <= 10:
        raise PageError(400, f"the rating must be a whole number from 0 to 10, got {raw!r}")
    return int(text)


def _note(raw: str) -> str:
    note = raw.strip()
    if not note:
        raise PageError(400, "a note is required: say why the story gets this rating")
    if len(note) > _NOTE_MAX:
        raise PageError(400, f"the note is longer than {_NOTE_MAX} characters")
    return note


@router.post("/desk/stories/{story_id}", response_class=HTMLResponse)
@html_errors
def review_submit(request: Request, story_id: str, action: str = Form(""), rating: str = Form(""),
                  note: str = Form(""), claim: str = Form(""), summary: str = Form(""), confirm: str = Form(""),
                  csrf_token: str = Form(""), editor: str = Depends(deps.require_editor_page)) -> Response:
    deps.check_csrf(request, csrf_token)
    desk = deps.store(request).desk
    story = desk.story_exists(story_id)
    if story is None:
        raise PageError(404, f"no story {story_id!r}", "Story not found")
    if action not in _ACTIONS:
        raise PageError(400, f"unknown action {action!r}: expected one of {', '.join(_ACTIONS)}")
    if action == "claim":
        try:
            desk.set_claim(story.id, claim, editor=editor)
        except UnknownStory:
            raise PageError(404, f"no story {story_id!r}", "Story not found") from None
        except ValueError as e:  # empty, or too long: the form again, with what was typed
            return _story_page(request, story.id, error=str(e), status=400, claim_draft=claim)
        return RedirectResponse(f"/desk/stories/{story.id}", status_code=303)
    if action == "summary":
        # The generated text sent back unchanged is no editor's text: it keeps following the evidence.
        generated = _evidence(request, story.id)["generated_summary"]
        written = None if " ".join(summary.split()) == " ".join(generated.split()) else summary
        try:
            desk.set_summary(story.id, written, editor=editor)
        except UnknownStory:
            raise PageError(404, f"no story {story_id!r}", "Story not found") from None
        except ValueError as e:  # too long: the form again, with what was typed
            return _story_page(request, story.id, error=str(e), status=400, summary_draft=summary)
        return RedirectResponse(f"/desk/stories/{story.id}#summary", status_code=303)
    if action == "publish" and confirm != "yes":
        return _confirm_page(request, story.id)
    try:
        if action == "save":
            desk.set_rating(story.id, _rating(rating), _note(note), editor=editor)
        elif action == "publish":
            desk.publish(story.id, editor=editor)
        else:
            desk.unpublish(story.id, editor=editor)
    except PageError as e:
        return _story_page(request, story.id, error=e.message, status=e.status)
    except UnknownStory:  # deleted since it was looked up
        raise PageError(404, f"no story {story_id!r}", "Story not found") from None
    except (StoreError, ValueError) as e:
        # The desk refuses what the workflow does not allow (unpublishing a story never published).
        return _story_page(request, story.id, error=str(e), status=409)
    return RedirectResponse(f"/desk/stories/{story.id}", status_code=303)


@router.get("/desk/audit", response_class=HTMLResponse)
@html_errors
def audit_page(request: Request, page: str | None = None, editor: str = Depends(deps.require_editor_page)
               ) -> Response:
    number = page_number(page)
    desk = deps.store(request).desk
    entries = desk.audit(limit=PER_PAGE * 5 + 1, offset=(number - 1) * PER_PAGE * 5)[:PER_PAGE * 5 + 1]
    shown = entries[:PER_PAGE * 5]
    # Stories are named by their claim (a tip's target is a story id too, or an article's hash).
    targets = [e.target for e in shown if e.target and e.action.value in _STORY_ACTIONS]
    claims = {sid: claim_text(story) for sid, story in desk.stories(targets).items()}
    return render(request, "audit.html", {"entries": shown, "page": number, "has_next": len(entries) > PER_PAGE * 5,
                                          "story_actions": _STORY_ACTIONS, "claims": claims, "noindex": True})
