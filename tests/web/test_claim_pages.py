"""A verdict is about a claim: the pages, the feed and the JSON-LD show the story's claim beside the
verdict (never a debunk's headline), the headline as secondary text, who first reported it, and each
article in the light of the story's verdict; editors rewrite the claim on the desk page or the API."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

import feedparser

from truthmeter import pipeline
from truthmeter.publish.claimreview import export_claimreview
from truthmeter.store import Store
from truthmeter.types import MAX_CLAIM_CHARS, Article, ClaimBasis

from .conftest import SyncClient
from .test_pages import _csrf, _section

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"
DEBUNK = "Marisol Vance Is Not Engaged To Dex Harrow, Despite Tabloid Claim"
CLAIM = "Marisol Vance is engaged to Dex Harrow"
SEEDS_CLAIM = "Khloe Kardashian gives her first interview about Lamar Odom’s health crisis in the new issue of People"
SEED_002 = "Khloé Defends Her Interview About Lamar Odom"
EDITED = "Marisol Vance and Dex Harrow got engaged in secret"


def _story(store: Store, title: str) -> str:
    return next(s.id for s in store.list_stories(limit=200) if s.title == title)


def _ld(page: str) -> dict[str, object]:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert found, "no JSON-LD"
    return json.loads(found.group(1))


def _card(page: str, story_id: str) -> str:
    found = re.search(rf'<article class="story-card">((?:(?!</article>).)*href="/stories/{story_id}".*?)</article>',
                      page, re.S)
    assert found, f"no card for {story_id}"
    return found.group(1)


def _text(fragment: str) -> str:
    """A fragment of HTML as a reader reads it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


# --- what readers see -------------------------------------------------------------------------------

def test_the_story_page_reads_like_a_fact_check(client: SyncClient, store: Store) -> None:
    sid = _story(store, DEBUNK)
    page = client.get(f"/stories/{sid}").text
    assert f'<h1 class="claim">Claim: {CLAIM}</h1>' in page
    assert '<span class="verdict v-false">False</span>' in page and '<span class="final-rating">1/10</span>' in page
    assert f'<p class="headline">Headline: {DEBUNK}</p>' in page
    assert f"<h1>{DEBUNK}</h1>" not in page and f"<title>Claim: {CLAIM} · truthmeter</title>" in page
    # claim and verdict first: the box holding both comes before every section
    assert page.index(f"Claim: {CLAIM}") < page.index("False</span>") < page.index('<section id="reasons">')
    assert "(False), decided by a fact-check from The Rumor Desk" in _text(page)
    [article] = re.findall(r'<li class="article-row">(.*?)</li>', _section(page, "articles"), re.S)
    assert ('<p class="in-context">In this story: this article is a fact-check rating the claim 1/10; the story is '
            'rated 1/10 by a fact-check from The Rumor Desk; it contradicts the claim</p>') in article
    assert "application/ld+json" not in page  # the model's rating is no review: ClaimReview once published
    store.desk.publish(sid, editor="ada")
    ld = _ld(client.get(f"/stories/{sid}").text)
    assert ld["claimReviewed"] == CLAIM and ld["reviewRating"]["alternateName"] == "False"  # type: ignore[index]
    # The debunk is no appearance of the claim, and nobody is known to have reported it first.
    assert ld["itemReviewed"] == {"@type": "Claim"}


def test_first_report_shown_and_named_as_the_claims_author(client: SyncClient, store: Store) -> None:
    sid = _story(store, "Dex Harrow Cast As Lead In Lighthouse Drama")
    page = client.get(f"/stories/{sid}").text
    assert '<h1 class="claim">Claim: Dex Harrow cast as lead in lighthouse drama</h1>' in page
    assert '<p class="claim-source">First reported by Screen Ledger on 2026-03-02</p>' in page
    assert '<p class="headline">' not in page  # the headline only repeats the claim: said once
    store.desk.publish(sid, editor="ada")
    item = _ld(client.get(f"/stories/{sid}").text)["itemReviewed"]
    assert item["author"] == {"@type": "Organization", "name": "Screen Ledger"}  # type: ignore[index]
    assert item["datePublished"] == "2026-03-02"  # type: ignore[index]


def test_lists_and_search_show_the_claim_beside_the_verdict(client: SyncClient, store: Store) -> None:
    sid = _story(store, DEBUNK)
    for params in ({}, {"q": "engaged"}, {"verdict": "false"}):
        card = _card(client.get("/", params=params).text, sid)
        assert f'<a class="story-link" href="/stories/{sid}">Claim: {CLAIM}</a>' in card, params
        assert f"Claim: {CLAIM} False · 1/10 model rating fact-checked Headline: {DEBUNK}" in _text(card)
    lighthouse = _card(client.get("/").text, _story(store, "Dex Harrow Cast As Lead In Lighthouse Drama"))
    assert '<span class="claim-source">First reported by Screen Ledger on 2026-03-02</span>' in lighthouse
    outlet = client.get("/outlets/screen ledger").text
    assert ">Claim: Dex Harrow cast as lead in lighthouse drama</a>" in outlet


def test_seed_002_reads_in_the_context_of_the_fact_checked_story(client: SyncClient, store: Store) -> None:
    report = pipeline.ingest([str(SEEDS)], store, pipeline.load_model())
    assert (report.new, report.new_stories) == (2, 1), report
    sid = _story(store, SEED_002)
    page = client.get(f"/stories/{sid}").text
    assert f'<h1 class="claim">Claim: {html.escape(SEEDS_CLAIM, quote=False)}</h1>' in page
    assert '<span class="verdict v-true">True</span>' in page and '<span class="final-rating">10/10</span>' in page
    assert f'<p class="headline">Headline: {SEED_002}</p>' in page
    assert '<p class="claim-source">First reported by Gossip Cop</p>' in page
    rows = re.findall(r'<li class="article-row">(.*?)</li>', _section(page, "articles"), re.S)
    seed = next(r for r in rows if SEED_002 in r)
    assert ('<p class="in-context">In this story: the text alone reads 3/10; the story is rated 10/10 by a Gossip Cop '
            'fact-check; it supports the claim</p>') in seed
    assert "Mostly false" not in _section(page, "articles")  # no bare article verdict against the story's
    assert "(True), decided by a Gossip Cop fact-check" in _text(page)
    store.desk.publish(sid, editor="ada")
    assert _ld(client.get(f"/stories/{sid}").text)["claimReviewed"] == SEEDS_CLAIM


def test_the_published_verdict_names_the_claim_in_the_feed_and_export(client: SyncClient, store: Store,
                                                                      auth_headers: dict[str, str]) -> None:
    sid = _story(store, DEBUNK)
    assert client.post(f"/api/stories/{sid}/publish", headers=auth_headers).status_code == 200
    [entry] = feedparser.parse(client.get("/feed.atom").content).entries
    assert entry.title == f"Claim: {CLAIM} — False 1/10"
    assert entry.summary.splitlines()[:2] == ["Verdict: False (1/10).", f"Headline: {DEBUNK}"]
    out = io.StringIO()
    assert export_claimreview(store.desk.published(), out, "https://news.example") == 1
    [record] = json.loads(out.getvalue())
    assert (record["claimReviewed"], record["reviewRating"]["alternateName"]) == (CLAIM, "False")
    assert _ld(client.get(f"/stories/{sid}").text) == record | {"url": f"http://127.0.0.1:8000/stories/{sid}",
                                                                "author": record["author"] | {
                                                                    "url": "http://127.0.0.1:8000"}}


def test_the_api_carries_the_claim_and_each_articles_context(client: SyncClient, store: Store) -> None:
    sid = _story(store, DEBUNK)
    claim = {"text": CLAIM, "basis": "debunk", "reported_by": None, "reported_on": None, "edited_by": None}
    assert client.get(f"/api/stories/{sid}").json()["claim"] == claim
    listed = client.get("/api/stories", params={"limit": 200}).json()["items"]
    assert next(s for s in listed if s["id"] == sid)["claim"] == claim
    [article] = client.get(f"/api/stories/{sid}").json()["articles"]
    assert article["in_context"].startswith("this article is a fact-check rating the claim 1/10; ")


# --- editors rewrite the claim ----------------------------------------------------------------------

def test_an_editor_rewrites_the_claim_on_the_desk_page(client: SyncClient, store: Store,
                                                       editor_session: tuple[str, str]) -> None:
    sid = _story(store, DEBUNK)
    url = f"/desk/stories/{sid}"
    page = client.get(url).text
    assert f'<h1 class="claim">Claim: {CLAIM}</h1>' in page and f'<p class="headline">Headline: {DEBUNK}</p>' in page
    box = _text(re.search(r'<div class="verdict-text">(.*?)</div>', page, re.S).group(1))  # type: ignore[union-attr]
    assert box.startswith(f"Claim: {CLAIM} False 1/10 model rating Headline: {DEBUNK}")
    form = re.search(r'<form class="claim-form" method="post" action="([^"]+)">(.*?)</form>', page, re.S)
    assert form and form.group(1) == url
    assert f'maxlength="{MAX_CLAIM_CHARS}" required>{CLAIM}</textarea>' in form.group(2)
    assert 'name="action" value="claim"' in form.group(2) and _csrf(page, url) == editor_session[1]

    answer = client.post(url, data={"action": "claim", "claim": f"  {EDITED} ", "csrf_token": editor_session[1]})
    assert answer.status_code == 303 and answer.headers["location"] == url
    stored = store.get_story(sid).story.claim  # type: ignore[union-attr]
    assert stored is not None
    assert (stored.text, stored.basis, stored.edited_by) == (EDITED, ClaimBasis.EDITOR, "editor")
    page = client.get(url).text
    assert f'<h1 class="claim">Claim: {EDITED}</h1>' in page
    assert '<p class="claim-source">Claim written by editor</p>' in page
    public = client.get(f"/stories/{sid}").text
    assert f'<h1 class="claim">Claim: {EDITED}</h1>' in public and "application/ld+json" not in public
    assert '<p class="claim-source">Claim written by editor</p>' in public
    queue = client.get("/desk").text
    assert f'<a class="queue-link" href="/desk/stories/{sid}">{EDITED}</a>' in queue

    audit = client.get("/desk/audit").text
    row = re.search(r'<tr class="audit-entry">(.*?)</tr>', audit, re.S).group(1)  # type: ignore[union-attr]
    assert '<td class="audit-action" data-label="Action">claim</td>' in row
    assert f'<a class="story-title" href="/desk/stories/{sid}">{EDITED}</a> <span class="story-id">{sid}</span>' in row
    assert (f'<td class="claim-change" data-label="Claim">from <q class="previous-claim">{CLAIM}</q> to '
            f'<q class="new-claim">{EDITED}</q></td>') in row


def test_bad_claims_are_refused_on_the_desk_page(client: SyncClient, store: Store,
                                                 editor_session: tuple[str, str]) -> None:
    sid = _story(store, DEBUNK)
    url, csrf = f"/desk/stories/{sid}", editor_session[1]
    too_long = "x" * (MAX_CLAIM_CHARS + 1)
    for claim, message in (("   ", "a claim needs some words"),
                           (too_long, f"a claim is at most {MAX_CLAIM_CHARS} characters (this one has "
                                      f"{MAX_CLAIM_CHARS + 1})")):
        answer = client.post(url, data={"action": "claim", "claim": claim, "csrf_token": csrf})
        assert answer.status_code == 400 and f'<p class="error" role="alert">{message}</p>' in answer.text
        assert f">{claim}</textarea>" in answer.text  # what was typed stays in the form
    for data in ({"action": "claim", "claim": EDITED}, {"action": "claim", "claim": EDITED, "csrf_token": "wrong"}):
        assert client.post(url, data=data).status_code == 403
    assert store.get_story(sid).story.claim.text == CLAIM  # type: ignore[union-attr]
    assert not [e for e in store.desk.audit(limit=50) if e.action.value == "claim"]
    client.cookies.clear()  # logged out: the form leads to the login page and changes nothing
    answer = client.post(url, data={"action": "claim", "claim": EDITED, "csrf_token": csrf})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert store.get_story(sid).story.claim.text == CLAIM  # type: ignore[union-attr]


def test_an_editor_rewrites_the_claim_through_the_api(client: SyncClient, store: Store,
                                                      auth_headers: dict[str, str]) -> None:
    sid = _story(store, DEBUNK)
    r = client.put(f"/api/stories/{sid[:8]}/claim", json={"claim": EDITED}, headers=auth_headers)
    assert r.status_code == 200, r.text
    assert r.json() == {"text": EDITED, "basis": "editor", "reported_by": None, "reported_on": None,
                        "edited_by": "editor"}
    assert client.get(f"/api/stories/{sid}").json()["claim"]["text"] == EDITED
    entry = client.get("/api/audit", headers=auth_headers).json()["items"][0]
    assert (entry["action"], entry["actor"], entry["target"], entry["detail"]) == (
        "claim", "editor", sid, {"previous": CLAIM, "claim": EDITED})

    # A later article joining the story leaves the editor's claim alone.
    before = set(store.get_story(sid).story.article_ids)  # type: ignore[union-attr]
    rumour = Article(id="rumour", title="Marisol Vance Engaged To Dex Harrow!", outlet="Glitz Daily",
                     body="Marisol Vance is engaged to Dex Harrow, an insider claims. Sources say Vance and Harrow "
                          "plan a secret wedding, and the engagement ring was spotted at a party!")
    report = pipeline.ingest_articles([rumour], store, pipeline.load_model())
    assert report.new == 1 and report.updated_stories == 1, report
    story = store.get_story(sid).story  # type: ignore[union-attr]
    assert set(story.article_ids) > before
    assert story.claim is not None and (story.claim.text, story.claim.edited_by) == (EDITED, "editor")
    assert f'<h1 class="claim">Claim: {EDITED}</h1>' in client.get(f"/stories/{sid}").text


def test_api_claim_errors(client: SyncClient, store: Store, token: str, auth_headers: dict[str, str]) -> None:
    sid = _story(store, DEBUNK)
    too_long = "x" * (MAX_CLAIM_CHARS + 1)
    cases = [({"claim": ""}, 400, "a claim needs some words"),
             ({"claim": " \n "}, 400, "a claim needs some words"),
             ({"claim": too_long}, 400, f"a claim is at most {MAX_CLAIM_CHARS} characters (this one has "
                                        f"{MAX_CLAIM_CHARS + 1})"),
             ({}, 422, "claim: Field required"),
             ({"claim": 5}, 422, "claim: Input should be a valid string"),
             ({"claim": "x", "text": "y"}, 422, "text: Extra inputs are not permitted")]
    for body, status, detail in cases:
        r = client.put(f"/api/stories/{sid}/claim", json=body, headers=auth_headers)
        assert (r.status_code, r.json()) == (status, {"detail": detail}), body
    r = client.put("/api/stories/nope/claim", json={"claim": EDITED}, headers=auth_headers)
    assert (r.status_code, r.json()) == (404, {"detail": "no story nope"})
    r = client.put(f"/api/stories/{sid}/claim", json={"claim": EDITED})
    assert r.status_code == 401 and r.json() == {"detail": "an API token is required (Authorization: Bearer <token>)"}
    r = client.put(f"/api/stories/{sid}/claim", json={"claim": EDITED}, headers={"Authorization": f"Bearer {token}x"})
    assert (r.status_code, r.json()) == (403, {"detail": "invalid or revoked API token"})
    assert store.get_story(sid).story.claim.text == CLAIM  # type: ignore[union-attr]
    assert not [e for e in store.desk.audit(limit=50) if e.action.value == "claim"]


def test_the_claim_endpoint_is_documented(client: SyncClient) -> None:
    schema = client.get("/openapi.json").json()
    op = schema["paths"]["/api/stories/{story_id}/claim"]["put"]
    assert op["tags"] == ["desk"] and op["summary"] == "Rewrite the claim the story is about"
    assert set(op["responses"]) == {"200", "400", "401", "403", "404", "413", "422"}
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/ClaimIn")
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ClaimOut")
    components = schema["components"]["schemas"]
    assert list(components["ClaimOut"]["properties"]) == ["text", "basis", "reported_by", "reported_on", "edited_by"]
    assert "claim" in components["StoryOut"]["properties"]
    assert "in_context" in components["StoryArticleOut"]["properties"]
