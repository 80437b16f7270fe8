"""What the public pages and the desk pages share: rendering with the layout's context, error pages,
the story view (which rating a page shows) and the CSRF token of forms sent before logging in."""

from __future__ import annotations

import functools
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from truthmeter.newsroom.records import Review, ReviewStatus
from truthmeter.publish.stories import claim_text
from truthmeter.rating import verdict_for
from truthmeter.store import Store, StoredStory
from truthmeter.types import Story, Verdict
from truthmeter.web import deps
from truthmeter.web.templating import templates, when

__all__ = ["FORM_CSRF_COOKIE", "PageError", "StoryView", "story_views", "render", "error_page", "html_errors",
           "check_form_csrf", "page_number", "PER_PAGE", "canonical_url", "DEFAULT_DESCRIPTION"]

# Forms used before there is a session (login, /check, tips) carry this cookie's value as their
# csrf_token: a cross-site form post cannot read the cookie, so it cannot send the matching field.
FORM_CSRF_COOKIE = "tm_csrf"
PER_PAGE = 20
DEFAULT_DESCRIPTION = ("Celebrity and entertainment news stories rated from 0 (false) to 10 (true), with the evidence: "
                       "fact-checks, on-the-record quotes, denials and every source.")
_CSRF_MESSAGE = "the form has expired or did not come from this site: reload it and try again"


class PageError(Exception):
    """A request a page cannot answer: rendered as the error page with `status` (see html_errors)."""

    def __init__(self, status: int, message: str, heading: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, dict(headers or {})
        self.heading = heading or {400: "Bad request", 403: "Forbidden", 404: "Not found",
                                   429: "Too many requests", 503: "Service unavailable"}.get(status, "Error")


@dataclass(frozen=True)
class StoryView:
    """A story and the desk's review of it, and so which rating to show.

    Public pages (`public`) show the desk's rating only once it is published: a REVIEWED rating is the
    editors' draft ("not public yet"), and an unpublished one was taken down. The desk sees the draft.
    """

    story: Story
    review: Review | None = None
    public: bool = True

    @property
    def reviewed(self) -> bool:
        r = self.review
        if r is None:
            return False
        if r.status is ReviewStatus.PUBLISHED:
            return True
        return not self.public and r.final_rating is not None

    @property
    def rating(self) -> int | None:
        """The rating to show; None for an Unrated story no editor has rated."""
        if self.reviewed and self.review and self.review.final_rating is not None:
            return self.review.final_rating
        return self.story.story_rating

    @property
    def verdict(self) -> Verdict:
        if not self.reviewed or self.review is None or self.review.final_rating is None:
            return self.story.verdict
        return self.review.final_verdict or verdict_for(self.review.final_rating)

    @property
    def claim(self) -> str:
        """What the verdict is about: the story's claim (its headline for a story older than claims)."""
        return claim_text(self.story)

    @property
    def headline(self) -> str | None:
        """The first report's headline, shown under the claim as secondary text; None where the headline
        stands in for a missing claim or only repeats it."""
        claim = self.story.claim
        if claim is None or claim.text.casefold() == self.story.title.strip().casefold():
            return None
        return self.story.title

    @property
    def claim_source(self) -> str:
        """"First reported by Glitz Daily on 2024-04-20 · claim written by ada", what of it is known."""
        claim = self.story.claim
        if claim is None:
            return ""
        parts = []
        if claim.reported_by or claim.reported_on:
            parts.append("First reported" + (f" by {claim.reported_by}" if claim.reported_by else "")
                         + (f" on {when(claim.reported_on)}" if claim.reported_on else ""))
        if claim.edited_by:
            parts.append(("claim" if parts else "Claim") + f" written by {claim.edited_by}")
        return " · ".join(parts)

    @property
    def articles_note(self) -> str | None:
        """Said above the articles when the rating shown is the desk's, not the model's that their
        in-context lines quote; None when they agree."""
        if self.rating == self.story.story_rating:
            return None
        return (f"The story rating in these lines is the model's; the desk's rating above is "
                f"{self.rating}/10.")

    @property
    def published(self) -> bool:
        return self.review is not None and self.review.status is ReviewStatus.PUBLISHED

    def summary(self, generated: str) -> str:
        """The verdict in prose: the editor's text where this page shows the desk's work (published, or
        the desk's own pages), else the one generated from the evidence."""
        written = self.review.summary if self.review is not None else None
        if written and (self.published or not self.public):
            return written
        return generated

    def summary_by(self) -> str | None:
        """The editor who wrote the prose shown, None when it is the generated text."""
        if self.review is None or not self.review.summary or not (self.published or not self.public):
            return None
        return self.review.summary_by

    @property
    def status(self) -> str:
        if self.review is None:
            return "Unreviewed"
        if self.review.status is ReviewStatus.PUBLISHED:
            return "Published by the desk"
        return self.review.status.value.capitalize()


def story_views(store: Store, stories: list[Story], *, public: bool = True) -> list[StoryView]:
    desk = store.desk
    return [StoryView(s, desk.review(s.id), public) for s in stories]


def _form_csrf(request: Request) -> tuple[str, bool]:
    """The pre-session form token, and whether it is new (so the response must set the cookie)."""
    current = request.cookies.get(FORM_CSRF_COOKIE, "")
    if 20 <= len(current) <= 100:
        return current, False
    return secrets.token_urlsafe(32), True


def render(request: Request, name: str, context: Mapping[str, Any], status: int = 200,
           headers: Mapping[str, str] | None = None) -> HTMLResponse:
    """A template with what the layout needs: the logged-in editor, their session's CSRF token for
    the logout form, and the pre-session CSRF token for anonymous forms."""
    session = deps.current_session(request)
    form_csrf, fresh = _form_csrf(request)
    ctx = {"editor": session.user if session else None, "session_csrf": session.csrf if session else "",
           "form_csrf": form_csrf, "description": DEFAULT_DESCRIPTION, "og_type": "website",
           "noindex": status >= 400, "canonical": canonical_url(request), **context}
    response = templates.TemplateResponse(request, name, ctx, status_code=status, headers=dict(headers or {}))
    if fresh:
        response.set_cookie(FORM_CSRF_COOKIE, form_csrf, httponly=True, samesite="lax", path="/",
                            secure=deps.config(request).cookies_secure)
    response.headers.setdefault("Cache-Control", "no-store" if session else "no-cache")
    return response


def canonical_url(request: Request) -> str:
    """The page's address on the configured site: the path, and `?page=N` past the first page (filters
    and searches are left out: they show the same stories as the plain list)."""
    path = quote(request.url.path, safe="/:@!$&'()*+,;=-._~")
    page = request.query_params.get("page", "").strip()
    suffix = f"?page={int(page)}" if page.isdigit() and len(page) <= 6 and int(page) > 1 else ""
    return deps.config(request).site_url + path + suffix


def error_page(request: Request, status: int, heading: str, message: str,
               headers: Mapping[str, str] | None = None) -> HTMLResponse:
    return render(request, "error.html", {"heading": heading, "message": message}, status, headers)


def html_errors(func: Callable[..., Response]) -> Callable[..., Response]:
    """Answer a PageError, or an HTTPException from a dependency called in the body (CSRF, rate
    limit), with the HTML error page instead of JSON. The endpoint must take `request`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return func(*args, **kwargs)
        except PageError as e:
            return error_page(kwargs["request"], e.status, e.heading, e.message, e.headers)
        except HTTPException as e:
            heading = PageError(e.status_code, "").heading
            return error_page(kwargs["request"], e.status_code, heading, str(e.detail), e.headers)

    return wrapper


def check_form_csrf(request: Request, form_token: str | None) -> None:
    """Anonymous forms: the field must match the pre-session cookie (double submit), else 403."""
    cookie = request.cookies.get(FORM_CSRF_COOKIE, "")
    if not cookie or not form_token or not hmac.compare_digest(cookie.encode(), form_token.encode()):
        raise PageError(403, _CSRF_MESSAGE)


def page_number(raw: str | None) -> int:
    """`?page=` as a number from 1; a missing or empty one is 1."""
    if raw is None or not raw.strip():
        return 1
    text = raw.strip()
    if not text.isdigit() or int(text) < 1 or len(text) > 6:
        raise PageError(400, f"page must be a whole number from 1 to 999999, got {raw!r}")
    return int(text)


def find_story(request: Request, story_id: str) -> tuple[StoredStory, Review | None]:
    """The stored story and the desk's review of it, or the 404 page."""
    store = deps.store(request)
    stored = store.get_story(story_id)
    if stored is None:
        raise PageError(404, f"no story {story_id!r}", "Story not found")
    return stored, store.desk.review(stored.story.id)
