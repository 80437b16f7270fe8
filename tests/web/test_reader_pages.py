"""A reader's story page like a fact-check (the claim, who first reported it, the meter with its scale, the
verdict in prose, every source with outlet and date, who published it and when, reasons in reader words),
ClaimReview only for published verdicts, outlet pages with their record over time, tags and files for search
engines, HEAD on every page, and the API's published rating. httpx over the ASGI app."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest

from truthmeter import pipeline
from truthmeter.store import Store
from truthmeter.types import Article

from .conftest import SyncClient
from .test_claim_pages import _ld, _story, _text
from .test_pages import _section

CLAIM = "Corvin Ackerly and Delphine Strubel are engaged"
ARTICLES = [
    Article(id="glitz-1", title="Corvin Ackerly And Delphine Strubel Are Engaged!", outlet="Glitz Daily",
            date="2026-02-01", url="https://glitz.example/ackerly-strubel-engaged",
            body="Corvin Ackerly and Delphine Strubel are engaged, a source claims! An insider allegedly said the "
                 "couple got engaged in secret over the holidays and are planning a summer wedding."),
    Article(id="pulse-1", title="Corvin Ackerly Engaged To Delphine Strubel, Insiders Say", outlet="Star Pulse",
            date="2026-02-03", url="https://starpulse.example/ackerly",
            body="Corvin Ackerly is engaged to Delphine Strubel, insiders say. Sources close to the couple claim "
                 "Ackerly proposed to Strubel in secret over the holidays and a wedding is planned."),
    Article(id="people-1", title="Corvin Ackerly Not Engaged To Delphine Strubel, Rep Says", outlet="People",
            date="2026-02-05", url="https://people.example/ackerly-rep",
            body="Corvin Ackerly is not engaged to Delphine Strubel. \"They are friends and colleagues, nothing "
                 "more,\" a representative for Ackerly told People on Thursday, calling the engagement report "
                 "completely false."),
]
DEBUNK = "Marisol Vance Is Not Engaged To Dex Harrow, Despite Tabloid Claim"
INTERNAL = ("fact_check", "p_true", "lexical.v1", "sourcing.v1", "outlet weight", "weight 0.", "×0.", "×1.")


@pytest.fixture()
def sid(store: Store) -> str:
    """A story of three articles with web addresses, outlets and dates: two report the claim, one denies it."""
    report = pipeline.ingest_articles(ARTICLES, store, pipeline.load_model())
    assert (report.new, report.new_stories) == (3, 1), report
    return _story(store, ARTICLES[0].title)


def _meta(page: str, attribute: str, name: str) -> str:
    found = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', page)
    assert found, f"no meta {name}"
    return html.unescape(found.group(1))


# --- the story page -----------------------------------------------------------------------------------

def test_claim_first_report_meter_and_scale(client: SyncClient, sid: str) -> None:
    page = client.get(f"/stories/{sid}").text
    box = re.search(r'<div class="rating-box verdict-box">(.*?)</div>\s*<p class="byline', page, re.S).group(1)  # type: ignore[union-attr]
    assert f'<h1 class="claim">Claim: {CLAIM}</h1>' in box
    assert '<p class="claim-source">First reported by Glitz Daily on 2026-02-01</p>' in box
    # The meter with the 0-10 scale beside it, the story's band marked.
    meter = re.search(r'<div class="meter">(.*?)</ol>', box, re.S).group(1)  # type: ignore[union-attr]
    assert '<svg class="gauge' in meter
    bands = re.findall(r'<li class="scale-band (v-[a-z-]+)( current)?"[^>]*><span class="scale-span">([\d-]+)</span> '
                       r'([A-Za-z ]+)</li>', meter)
    assert [(b[2], b[3]) for b in bands] == [("8-10", "True"), ("6-7", "Mostly true"), ("5", "Mixed"),
                                             ("3-4", "Mostly false"), ("0-2", "False")]
    rating = int(re.search(r'data-rating="(\d+)"', meter).group(1))  # type: ignore[union-attr]
    [current] = [b for b in bands if b[1]]
    low, _, high = current[2].partition("-")
    assert int(low) <= rating <= int(high or low)
    assert 'aria-current="true"' in meter


def test_the_verdict_in_prose_comes_from_the_evidence(client: SyncClient, sid: str) -> None:
    page = client.get(f"/stories/{sid}").text
    prose = _text(re.search(r'<p class="summary">(.*?)</p>', page, re.S).group(1))  # type: ignore[union-attr]
    assert prose == ("A representative for Ackerly denied it: “completely false”. 2 articles report it "
                     "(Glitz Daily, Star Pulse). People contradicts it.")
    assert "Summed up from the sources below." in page


def test_the_prose_names_the_fact_checker_and_an_on_the_record_quote(client: SyncClient, store: Store) -> None:
    page = client.get(f"/stories/{_story(store, DEBUNK)}").text
    prose = _text(re.search(r'<p class="summary">(.*?)</p>', page, re.S).group(1))  # type: ignore[union-attr]
    assert prose.startswith("The Rumor Desk rated this 1/10. The rep said on the record: “Marisol and Dex are friends")


def test_every_source_is_a_link_with_outlet_and_date(client: SyncClient, sid: str) -> None:
    sources = _section(client.get(f"/stories/{sid}").text, "articles")
    assert "<h2>Sources</h2>" in sources
    rows = re.findall(r'<li class="article-row">(.*?)</li>', sources, re.S)
    assert len(rows) == 3
    for article, row in zip(ARTICLES, rows):  # first reported first
        assert (f'<a href="{article.url}" rel="nofollow noopener noreferrer">{html.escape(article.title, quote=False)}'
                f'</a>') in row
        assert f'<span class="article-outlet">{article.outlet}</span>' in row
        assert f'<span class="article-date">{article.date}</span>' in row
    assert 'contradicts the claim</span>' in rows[2] and 'reports the claim</span>' in rows[0]


def test_dates_and_the_editor(client: SyncClient, store: Store, sid: str) -> None:
    page = client.get(f"/stories/{sid}").text
    byline = _text(re.search(r'<p class="byline meta">(.*?)</p>', page, re.S).group(1))  # type: ignore[union-attr]
    assert byline.startswith("Not published by the desk yet: the rating above is the model's reading, not a verdict.")
    assert "Story last updated 20" in byline
    store.desk.set_rating(sid, 1, "The representative denied it.", editor="ada")
    published = store.desk.publish(sid, editor="ada")
    store.desk.set_rating(sid, 0, "A second denial.", editor="grace")
    [fix] = store.desk.corrections(sid)
    page = client.get(f"/stories/{sid}").text
    byline = _text(re.search(r'<p class="byline meta">(.*?)</p>', page, re.S).group(1))  # type: ignore[union-attr]
    from truthmeter.web.templating import when
    assert byline.startswith(f"Published {when(published.published_at)} · Updated {when(fix.at)} by grace · "
                             "Story last updated ")
    store.desk.unpublish(sid, editor="ada")
    other = _story(store, DEBUNK)
    store.desk.publish(other, editor="ada")  # never corrected: the editor who published it
    byline = _text(re.search(r'<p class="byline meta">(.*?)</p>', client.get(f"/stories/{other}").text,  # type: ignore[union-attr]
                             re.S).group(1))
    assert byline.startswith(f"Published {when(store.desk.review(other).published_at)} by ada · Story last")  # type: ignore[union-attr]


def test_reasons_are_in_reader_words(client: SyncClient, store: Store, sid: str) -> None:
    for story in [*store.list_stories(limit=100)]:
        page = client.get(f"/stories/{story.id}").text
        shown = _text(re.search(r"<main>(.*)</main>", page, re.S).group(1))  # type: ignore[union-attr]
        for word in INTERNAL:
            assert word not in shown, (story.id, word)
    reasons = _text(_section(client.get(f"/stories/{sid}").text, "reasons"))
    assert "“Corvin Ackerly And Delphine Strubel Are Engaged!” (Glitz Daily) states the claim. Its text alone reads" \
           in reasons and "it counts for about half (anonymous sources only)" in reasons


def test_a_zero_gauge_draws_a_red_arc(client: SyncClient, store: Store) -> None:
    zero = next(s for s in store.list_stories(limit=100) if s.story_rating == 0)
    page = client.get(f"/stories/{zero.id}").text
    svg = re.search(r'<svg class="gauge v-false" data-rating="0".*?</svg>', page, re.S).group(0)  # type: ignore[union-attr]
    assert '<path class="gauge-arc" d="M 10 62 A 50 50 0 0 1 ' in svg  # drawn in the verdict's colour (red)


# --- ClaimReview for published verdicts only --------------------------------------------------------

def test_claim_review_only_for_a_published_verdict(client: SyncClient, store: Store, sid: str) -> None:
    assert "application/ld+json" not in client.get(f"/stories/{sid}").text  # the model's rating
    store.desk.set_rating(sid, 1, "The representative denied it.", editor="ada")
    assert "application/ld+json" not in client.get(f"/stories/{sid}").text  # a draft
    store.desk.publish(sid, editor="ada")
    ld = _ld(client.get(f"/stories/{sid}").text)
    assert (ld["reviewRating"]["ratingValue"], ld["author"]["name"]) == (1, "truthmeter desk")  # type: ignore[index]
    assert ld["itemReviewed"]["author"] == {"@type": "Organization", "name": "Glitz Daily"}  # type: ignore[index]
    store.desk.unpublish(sid, editor="ada")
    assert "application/ld+json" not in client.get(f"/stories/{sid}").text  # taken down


def test_an_editors_prose_is_public_once_published(client: SyncClient, store: Store, sid: str) -> None:
    store.desk.set_summary(sid, "Ackerly's representative called the report completely false.", editor="ada")
    page = client.get(f"/stories/{sid}").text
    assert "Ackerly's representative called" not in page  # the desk's draft
    store.desk.publish(sid, editor="ada")
    page = client.get(f"/stories/{sid}").text
    assert '<p class="summary">Ackerly&#39;s representative called the report completely false.</p>' in page
    assert "Verdict written by ada for the desk." in page
    assert _meta(page, "name", "description").endswith("Ackerly's representative called the report completely false.")
    assert _ld(page)["reviewRating"]["ratingValue"] == store.desk.review(sid).final_rating  # type: ignore[index,union-attr]


# --- outlets -------------------------------------------------------------------------------------------

def test_an_outlet_page_charts_its_record_and_says_what_the_numbers_mean(client: SyncClient, store: Store,
                                                                         sid: str) -> None:
    page = client.get("/outlets/glitz.example").text  # an outlet is keyed by its articles' web host
    chart = _section(page, "record-chart")
    rows = re.findall(r'<tr class="chart-row (v-[a-z-]+)">\s*<th scope="row">([^<]+)</th><td class="count">(\d+)</td>'
                      r'.*?<rect class="bar-fill" x="0" y="0" width="([\d.]+)"', chart, re.S)
    assert [r[1] for r in rows] == ["False", "Mostly false", "Mixed", "Mostly true", "True"]
    counts = {r[1]: int(r[2]) for r in rows}
    verdict = store.get_story(sid).story.verdict.value  # type: ignore[union-attr]
    assert counts == {v: int(v == verdict) for v in counts}  # the engagement story, told by Glitz Daily
    assert max(float(r[3]) for r in rows) == 100.0
    over_time = _section(page, "record-over-time")
    periods = re.findall(r'<tr class="period">\s*<th scope="row">([\d-]+)</th><td class="count">(\d+)</td>', over_time)
    assert periods == [("2026-02", "1")] and "undated" not in over_time  # by its article's date
    undated = _section(client.get("/outlets/glitz daily").text, "record-over-time")  # examples/: no dates
    assert "(1 undated, placed by when we stored them)" in undated
    explain = _text(re.search(r'<dl class="explain">(.*?)</dl>', page, re.S).group(1))  # type: ignore[union-attr]
    assert "Estimate Its share of false stories, pulled towards the average across all outlets" in explain
    assert "Weight How much its articles count in a story's rating next to an average outlet's, which counts 1.00" \
        in explain
    assert "<script" not in page  # no chart library: SVG sized by attributes


def test_the_outlets_table_stacks_on_a_phone(client: SyncClient) -> None:
    page = client.get("/outlets").text
    assert '<table class="leaderboard stacked">' in page and 'data-label="Estimate"' in page
    assert "the estimate" in page and "next to an average outlet's 1.00" in page


# --- search engines ------------------------------------------------------------------------------------

def test_pages_carry_description_canonical_and_open_graph(client: SyncClient, store: Store, sid: str) -> None:
    page = client.get(f"/stories/{sid}").text
    assert f'<link rel="canonical" href="http://127.0.0.1:8000/stories/{sid}">' in page
    assert _meta(page, "property", "og:url") == f"http://127.0.0.1:8000/stories/{sid}"
    assert _meta(page, "property", "og:type") == "article"
    assert _meta(page, "property", "og:title") == f"Claim: {CLAIM}"
    description = _meta(page, "name", "description")
    assert description.startswith(f"{store.get_story(sid).story.verdict.value} ") and "denied it" in description  # type: ignore[union-attr]
    assert _meta(page, "property", "og:description") == description
    home = client.get("/", params={"page": "2", "q": "engaged"}).text
    assert '<link rel="canonical" href="http://127.0.0.1:8000/?page=2">' in home  # filters left out
    assert _meta(home, "property", "og:type") == "website" and _meta(home, "name", "description")
    assert '<meta name="robots" content="noindex">' in client.get("/stories/nosuch").text


def test_canonical_urls_follow_the_site_address(make_app) -> None:  # type: ignore[no-untyped-def]
    c = SyncClient(make_app(site_url="https://news.example/"))
    try:
        page = c.get("/outlets/glitz daily").text
        assert '<link rel="canonical" href="https://news.example/outlets/glitz%20daily">' in page
    finally:
        c.close()


def test_sitemap_and_robots(client: SyncClient, store: Store) -> None:
    answer = client.get("/sitemap.xml")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/xml")
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    urls = [(u.findtext(f"{ns}loc"), u.findtext(f"{ns}lastmod")) for u in ET.fromstring(answer.content)]
    locs = [u for u, _ in urls]
    site = "http://127.0.0.1:8000"
    assert locs[:2] == [f"{site}/", f"{site}/outlets"] and len(locs) == len(set(locs))
    stories = store.list_stories(limit=200)
    assert {f"{site}/stories/{s.id}" for s in stories} <= set(locs)
    assert f"{site}/outlets/glitz%20daily" in locs
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", m) for u, m in urls if "/stories/" in u)  # type: ignore[arg-type]
    robots = client.get("/robots.txt")
    assert robots.headers["content-type"].startswith("text/plain")
    assert robots.text.splitlines()[:2] == ["User-agent: *", "Disallow: /desk"]
    assert "Disallow: /api/" in robots.text and f"Sitemap: {site}/sitemap.xml" in robots.text


# --- HEAD ------------------------------------------------------------------------------------------------

def test_head_answers_like_get_without_a_body(client: SyncClient, store: Store, story_id: str,
                                              editor_session: tuple[str, str]) -> None:
    paths = ["/", "/?q=engaged", f"/stories/{story_id}", "/outlets", "/outlets/glitz daily", "/check", "/feed.atom",
             "/sitemap.xml", "/robots.txt", "/static/site.css", "/docs", "/openapi.json", "/api/stories",
             "/desk", f"/desk/stories/{story_id}", "/desk/audit"]
    for path in paths:
        got, head = client.get(path), client.head(path)
        assert head.status_code == got.status_code == 200, (path, head.status_code)
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert head.headers["content-security-policy"] == got.headers["content-security-policy"], path
        if "content-length" in got.headers and path not in ("/", "/?q=engaged") and not path.startswith("/desk"):
            assert head.headers["content-length"] == got.headers["content-length"], path
    client.cookies.delete("tm_session")
    assert client.head("/desk").status_code == 303  # as GET: to the login page
    assert client.head("/stories/nosuch").status_code == 404
    assert client.head("/check/tip").status_code == 405  # POST only, as for GET


# --- the API's published rating -----------------------------------------------------------------------------

def test_the_api_shows_the_desks_published_rating(client: SyncClient, store: Store, sid: str) -> None:
    """/api/stories and /api/stories/{id} carry the desk's published verdict beside the model's rating, in
    the fields `truthmeter stories --format json` prints."""
    none = {"published": False, "published_rating": None, "published_verdict": None, "published_at": None}

    def fields(story: dict[str, object]) -> dict[str, object]:
        return {k: story[k] for k in none}

    listed = {s["id"]: s for s in client.get("/api/stories", params={"limit": 200}).json()["items"]}
    assert fields(listed[sid]) == none and fields(client.get(f"/api/stories/{sid}").json()) == none
    store.desk.set_rating(sid, 1, "The representative denied it.", editor="ada")
    assert fields(client.get(f"/api/stories/{sid}").json()) == none  # a draft is not published
    review = store.desk.publish(sid, editor="ada")
    store.desk.set_rating(sid, 0, "A second denial.", editor="grace")  # a correction: the rating shown moves
    expected = {"published": True, "published_rating": 0, "published_verdict": "False",
                "published_at": review.published_at}
    detail = client.get(f"/api/stories/{sid}").json()
    assert fields(detail) == expected
    assert detail["story_rating"] == store.get_story(sid).story.story_rating  # type: ignore[union-attr]  # the model's
    assert detail["review"]["status"] == "published" and len(detail["corrections"]) == 1
    listed = {s["id"]: s for s in client.get("/api/stories", params={"limit": 200}).json()["items"]}
    assert fields(listed[sid]) == expected and all(fields(s) == none for k, s in listed.items() if k != sid)
    searched = client.get("/api/stories", params={"q": "Ackerly"}).json()["items"]
    assert [fields(s) for s in searched if s["id"] == sid] == [expected]
    outlet = client.get("/api/outlets/glitz.example").json()["stories"]["items"]
    assert [fields(s) for s in outlet] == [expected]
    store.desk.unpublish(sid, editor="ada")
    assert fields(client.get(f"/api/stories/{sid}").json()) == none


def test_the_api_writes_the_verdict_in_prose(client: SyncClient, store: Store, sid: str,
                                             auth_headers: dict[str, str]) -> None:
    url = f"/api/stories/{sid}/summary"
    assert client.put(url, json={"summary": "Denied."}).status_code == 401
    answer = client.put(url, json={"summary": "  Ackerly's rep   denied it. "}, headers=auth_headers)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["summary"], answer.json()["summary_by"]) == ("Ackerly's rep denied it.", "editor")
    assert client.put(url, json={"summary": "x" * 1001}, headers=auth_headers).status_code == 400
    assert client.put("/api/stories/nosuch/summary", json={"summary": "x"}, headers=auth_headers).status_code == 404
    assert client.put(url, json={"summary": ""}, headers=auth_headers).json()["summary"] is None
    assert [e["action"] for e in client.get("/api/audit", headers=auth_headers).json()["items"][:2]] == [
        "summary", "summary"]
