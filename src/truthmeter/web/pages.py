"""The public site: latest stories, story pages, outlets, "check a story", reader tips, login and the
Atom feed. The editors' pages are in desk_pages.py (included here, so app.py includes one router)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import islice
from typing import Iterator
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from truthmeter.errors import FetchError, ParseError
from truthmeter.newsroom import auth
from truthmeter.newsroom.records import PublishedStory
from truthmeter.newsroom.summary import cut_at_word, generated_summary
from truthmeter.newsroom.tips import send_tip
from truthmeter.pipeline import rate
from truthmeter.publish.claimreview import claim_review, claim_review_script
from truthmeter.publish.feed import atom_feed
from truthmeter.publish.stories import rated_by, story_detail
from truthmeter.store import Store, StoredStory
from truthmeter.stories.outlets import TrackRecords
from truthmeter.types import Article, Stance, Story, Verdict
from truthmeter.web import deps
from truthmeter.web.desk_pages import router as desk_router
from truthmeter.web.limits import client_key, rate_limited
from truthmeter.web.outlet_view import outlet_chart
from truthmeter.web.reader import SCALE, scale_band
from truthmeter.web.templating import http_url
from truthmeter.web.views import (PER_PAGE, PageError, StoryView, check_form_csrf, find_story, html_errors, page_number,
                                  render, story_views)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
router.include_router(desk_router)

# A search is cut at its best matches; combined with filters, those are narrowed to the newest
# stories the filters allow, so a page never walks the whole store.
_SEARCH_MAX = 500
_FILTER_MAX = 5000
_FEED_SIZE = 50


def _verdict(raw: str) -> Verdict | None:
    """A verdict filter: its name ('mostly_false') or its words ('Mostly false'); '' for any."""
    wanted = raw.strip().lower().replace("_", " ").replace("-", " ")
    if not wanted:
        return None
    for v in Verdict:
        if wanted in (v.value.lower(), v.name.lower().replace("_", " ")):
            return v
    names = ", ".join(v.name.lower() for v in Verdict)
    raise PageError(400, f"unknown verdict {raw!r}: expected one of {names}")


def _filtered(store: Store, filters: dict[str, str], offset: int) -> list[Story]:
    """One page (plus one, to tell whether there is a next) of stories for the home page's filters."""
    chosen = _verdict(filters["verdict"])
    verdict = chosen.value if chosen else None
    person, outlet = filters["person"] or None, filters["outlet"] or None
    if not filters["q"]:
        return store.list_stories(limit=PER_PAGE + 1, offset=offset, person=person, outlet=outlet, verdict=verdict)
    found = store.desk.search(filters["q"], limit=_SEARCH_MAX)
    if verdict or person or outlet:
        allowed = {s.id for s in store.list_stories(limit=_FILTER_MAX, person=person, outlet=outlet,
                                                    verdict=verdict)}
        found = [s for s in found if s.id in allowed]
    return found[offset:offset + PER_PAGE + 1]


@router.get("/", response_class=HTMLResponse)
@html_errors
def home(request: Request, q: str = "", person: str = "", outlet: str = "", verdict: str = "",
         page: str | None = None) -> Response:
    filters = {"q": q.strip(), "person": person.strip(), "outlet": outlet.strip(), "verdict": verdict.strip()}
    number = page_number(page)
    chosen = _verdict(filters["verdict"])
    filters["verdict"] = chosen.name.lower() if chosen else ""
    store = deps.store(request)
    found = _filtered(store, filters, (number - 1) * PER_PAGE)
    cards = story_views(store, found[:PER_PAGE])
    return render(request, "home.html", {"cards": cards, "filters": filters, "page": number,
                                         "has_next": len(found) > PER_PAGE})


def _appearances(stored: StoredStory) -> tuple[str, ...]:
    """Where the claim appeared, as the export has it (Desk.published): the URLs of articles that support
    it and are no fact-check (a debunk is not an appearance of the claim), first seen first."""
    checks = {f.content_hash for f in stored.fact_checks}
    urls = (http_url(item.article.url) for item, stance in stored.members
            if stance is Stance.SUPPORTS and item.content_hash not in checks)
    return tuple(dict.fromkeys(u for u in urls if u))


@router.get("/stories/{story_id}", response_class=HTMLResponse)
@html_errors
def story_page(request: Request, story_id: str) -> Response:
    store = deps.store(request)
    stored, review = find_story(request, story_id)
    story = stored.story
    corrections = store.desk.corrections(story.id)
    view = StoryView(story, review)
    detail = story_detail(stored)
    summary = view.summary(generated_summary(story, stored.fact_checks, detail))
    jsonld = None
    if view.published and review is not None:
        # Only a published verdict is a review: a model's rating never goes out as ClaimReview.
        site = deps.config(request).site_url
        data = claim_review(PublishedStory(story, review, tuple(corrections), _appearances(stored)), site)
        jsonld = claim_review_script(data)
    rating = "" if view.rating is None else f" {view.rating}/10"
    description = cut_at_word(f"{view.verdict.value}{rating}. {summary}", 300)
    return render(request, "story.html", {"view": view, "detail": detail, "corrections": corrections,
                                          "rated_by": rated_by(story, stored.fact_checks),
                                          "articles_note": view.articles_note, "summary": summary,
                                          "summary_by": view.summary_by(), "scale": SCALE,
                                          "band": scale_band(view.rating), "jsonld": jsonld,
                                          "description": description, "og_type": "article"})


@router.get("/outlets", response_class=HTMLResponse)
def outlets_page(request: Request) -> Response:
    records = TrackRecords.from_counts(deps.store(request).outlet_counts())
    return render(request, "outlets.html", {"records": records.ranked(), "prior": records.prior_false,
                                            "description": "Celebrity news outlets' track records: how many of the "
                                                           "stories each told were rated false."})


@router.get("/outlets/{key:path}", response_class=HTMLResponse)
@html_errors
def outlet_page(request: Request, key: str, page: str | None = None) -> Response:
    store = deps.store(request)
    number = page_number(page)
    record = TrackRecords.from_counts(store.outlet_counts()).records.get(key.strip().lower())
    found = store.list_stories(limit=PER_PAGE + 1, offset=(number - 1) * PER_PAGE, outlet=key)
    if record is None and not found:
        raise PageError(404, f"no outlet {key!r}", "Outlet not found")
    name = record.name if record else next((o for s in found for o in s.outlets if o.lower() == key.lower()), key)
    records = TrackRecords.from_counts(store.outlet_counts())
    chart = outlet_chart(store.desk.outlet_history(key))
    description = (f"{name}'s track record: {record.told} stor{'y' if record.told == 1 else 'ies'} told, "
                   f"{record.rated_false} rated false." if record else f"Stories from {name}.")
    return render(request, "outlet.html", {"name": name, "record": record, "cards": story_views(store, found[:PER_PAGE]),
                                           "page": number, "has_next": len(found) > PER_PAGE, "chart": chart,
                                           "prior": records.prior_false, "description": description})


# --- check a story, and send it on as a tip -------------------------------------------------------

def _checked(request: Request, title: str, text: str, url: str, csrf_token: str
             ) -> tuple[dict[str, str], Article | Response]:
    """Rate limit, CSRF, then the submitted article, or the form again with the reason."""
    rate_limited(request)
    check_form_csrf(request, csrf_token)
    form = _check_form(title, text, url)
    try:
        return form, _article(request, form)
    except PageError as e:
        return form, _check_page(request, form, error=e.message, status=e.status)


def _check_form(title: str, text: str, url: str) -> dict[str, str]:
    return {"title": title, "text": text, "url": url.strip()}


def _article(request: Request, form: dict[str, str]) -> Article:
    """The submitted article, or a PageError: 400 for a form missing what it needs, 422 for an
    article that cannot be read or fetched."""
    if form["url"] and form["text"].strip():
        raise PageError(400, "give either the article's text or its URL, not both")
    if not form["url"] and not form["text"].strip():
        raise PageError(400, "paste the article's text or give its URL")
    try:
        return deps.submitted_article(request, text=form["text"] or None, title=form["title"] or None,
                                      url=form["url"] or None, origin="check")
    except FetchError as e:
        raise PageError(422, str(e)) from None
    except ParseError as e:
        raise PageError(422, str(e)) from None


def _check_page(request: Request, form: dict[str, str], *, result: object = None, error: str | None = None,
                tip_sent: bool = False, status: int = 200) -> Response:
    return render(request, "check.html", {"form": form, "result": result, "error": error, "tip_sent": tip_sent},
                  status)


@router.get("/check", response_class=HTMLResponse)
def check_form(request: Request, tip: str = "") -> Response:
    return _check_page(request, _check_form("", "", ""), tip_sent=tip == "sent")


@router.post("/check", response_class=HTMLResponse)
@html_errors
def check_submit(request: Request, title: str = Form(""), text: str = Form(""), url: str = Form(""),
                 csrf_token: str = Form("")) -> Response:
    form, article = _checked(request, title, text, url, csrf_token)
    if not isinstance(article, Article):
        return article
    rated = rate(article, deps.model(request))[0]
    return _check_page(request, form, result=rated)


@router.post("/check/tip")
@html_errors
def check_tip(request: Request, title: str = Form(""), text: str = Form(""), url: str = Form(""),
              note: str = Form(""), csrf_token: str = Form("")) -> Response:
    _, article = _checked(request, title, text, url, csrf_token)
    if not isinstance(article, Article):
        return article
    send_tip(deps.store(request), deps.model(request), article, note.strip() or None)
    return RedirectResponse("/check?tip=sent", status_code=303)


# --- editors log in and out -------------------------------------------------------------------------

def _safe_next(raw: str) -> str:
    """Where to go after logging in: a path on this site only (never `//host` or a full URL)."""
    return raw if raw.startswith("/") and not raw.startswith("//") and "\\" not in raw else "/desk"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/desk") -> Response:  # noqa: A002 - the query parameter's name
    if deps.editor_from_session(request):
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"name": "", "error": None, "next": _safe_next(next)})


@router.post("/login", response_class=HTMLResponse)
@html_errors
def login_submit(request: Request, name: str = Form(""), password: str = Form(""), csrf_token: str = Form(""),
                 next: str = Form("/desk")) -> Response:  # noqa: A002
    rate_limited(request)
    check_form_csrf(request, csrf_token)
    config = deps.config(request)
    account, client = name.strip(), client_key(request)
    found = None
    if account:
        # Failures are throttled per account and per client before any password is hashed.
        throttle: auth.LoginThrottle = request.app.state.login_throttle
        wait = throttle.attempt(account, client)
        if wait:
            return render(request, "login.html", {"name": name, "next": _safe_next(next),
                                                  "error": f"Too many failed logins: try again in {wait} s."},
                          429, headers={"Retry-After": str(wait)})
        try:
            found = auth.login(deps.store(request).desk, account, password, config.session_hours)
        except auth.HashingBusy:
            raise PageError(503, "the server is busy checking other logins: try again in a moment",
                            "Service unavailable", headers={"Retry-After": "5"}) from None
        if found is not None:
            throttle.succeeded(account, client)
    if found is None:
        # One message for an unknown name and a wrong password: the page must not tell them apart.
        return render(request, "login.html", {"name": name, "error": "Wrong name or password.",
                                              "next": _safe_next(next)}, 401)
    secret, _csrf = found
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(deps.SESSION_COOKIE, secret, max_age=config.session_hours * 3600, httponly=True,
                        samesite="lax", path="/", secure=config.cookies_secure)
    return response


@router.post("/logout")
@html_errors
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    secret = request.cookies.get(deps.SESSION_COOKIE)
    if secret and deps.current_session(request) is not None:
        deps.check_csrf(request, csrf_token)
        auth.logout(deps.store(request).desk, secret)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(deps.SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=deps.config(request).cookies_secure)
    return response


# --- the feed ----------------------------------------------------------------------------------------

@router.get("/feed.atom")
def feed(request: Request) -> Response:
    items = deps.store(request).desk.published(limit=_FEED_SIZE)
    body = atom_feed(items, deps.config(request).site_url)
    return Response(body, media_type="application/atom+xml")


# --- for search engines ----------------------------------------------------------------------------

_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_SITEMAP_MAX = 50_000  # the protocol's limit per file
_SITEMAP_PAGE = 1000


def _sitemap_urls(store: Store, site: str) -> Iterator[tuple[str, str | None]]:
    yield f"{site}/", None
    yield f"{site}/outlets", None
    for record in TrackRecords.from_counts(store.outlet_counts()).ranked():
        yield f"{site}/outlets/{quote(record.key, safe='')}", None
    offset = 0
    while page := store.list_stories(limit=_SITEMAP_PAGE, offset=offset):
        for story in page:
            yield f"{site}/stories/{quote(story.id, safe='')}", story.updated_at
        offset += len(page)


@router.get("/sitemap.xml")
def sitemap(request: Request) -> Response:
    """The home page, the outlets and every story (with when it last changed), up to 50,000 addresses."""
    urlset = ET.Element("urlset", {"xmlns": _SITEMAP_NS})
    for loc, lastmod in islice(_sitemap_urls(deps.store(request), deps.config(request).site_url), _SITEMAP_MAX):
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = loc
        day = lastmod[:10] if lastmod and len(lastmod) >= 10 and lastmod[4] == "-" else None
        if day:
            ET.SubElement(url, "lastmod").text = day
    ET.indent(urlset)
    body = ET.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n"
    return Response(body, media_type="application/xml")


@router.get("/robots.txt")
def robots(request: Request) -> Response:
    """Everything public may be crawled; the desk, the login, the check form and the API may not."""
    site = deps.config(request).site_url
    lines = ["User-agent: *", "Disallow: /desk", "Disallow: /login", "Disallow: /check", "Disallow: /api/",
             "Disallow: /docs", "Allow: /", "", f"Sitemap: {site}/sitemap.xml", ""]
    return PlainTextResponse("\n".join(lines))
