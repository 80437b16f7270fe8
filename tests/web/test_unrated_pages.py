"""'Not enough to judge' on the site and the API: an Unrated gauge has no arc and no needle, only the
word; /check and POST /api/rate give no rating and say why; an Unrated story's page, card and desk
page show no number, carry no ClaimReview, and the desk will not publish it without a rating."""

from __future__ import annotations

import re

from truthmeter import pipeline
from truthmeter.store import Store
from truthmeter.types import Article
from truthmeter.web.templating import gauge

from .conftest import SyncClient
from .test_pages import _csrf

UNRATED_GAUGE = re.compile(r'<svg class="gauge gauge-unrated v-unrated" data-rating=""[^>]*aria-label="Truth rating: '
                           r'Unrated">(.*?)</svg>', re.S)


def _unrated_story(store: Store) -> str:
    """Ingest a five-word rumour (its own story, Unrated); its story id."""
    report = pipeline.ingest_articles([pipeline.submitted(text="Star splits, insider claims", origin="t")], store,
                                      pipeline.load_model())
    assert report.new == 1 and report.new_stories == 1
    return next(s.id for s in store.list_stories(verdict="Unrated"))


def test_unrated_gauge_has_no_arc_or_needle() -> None:
    g = gauge(None)
    assert (g.rating, g.arc) == (None, None) and g.track == gauge(5).track


def test_check_shows_unrated_and_why(client: SyncClient) -> None:
    form = client.get("/check").text
    page = client.post("/check", data={"title": "", "text": "Hello", "url": "", "csrf_token": _csrf(form)}).text
    svg = UNRATED_GAUGE.search(page)
    assert svg, "no Unrated gauge"
    assert ">Unrated</text>" in svg.group(1) and "gauge-arc" not in svg.group(1) and "gauge-needle" not in svg.group(1)
    assert '<span class="final-rating">-</span>' in page
    assert '<p class="rating-note">Too little text to judge: 1 word.</p>' in page


def test_api_rate_answers_null(client: SyncClient) -> None:
    r = client.post("/api/rate", json={"text": "ok"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["truth_rating"], body["verdict"], body["signals"][0]["text"]) == (
        None, "Unrated", "too little text to judge: 1 word")
    assert 0 <= body["p_true"] <= 1 and body["label"] in ("real", "fake")  # the model's output stays


def test_unrated_story_pages(client: SyncClient, store: Store) -> None:
    sid = _unrated_story(store)
    page = client.get(f"/stories/{sid}").text
    assert UNRATED_GAUGE.search(page)
    assert '<span class="final-rating">-</span>' in page and '<span class="model-rating">-</span>' in page
    assert "Why the model does not rate it" in page and "application/ld+json" not in page
    assert ('<p class="in-context">In this story: the text alone is too short to judge; the story is Unrated; '
            'it supports the claim</p>') in page
    home = client.get("/", params={"verdict": "Unrated"}).text
    assert f'href="/stories/{sid}"' in home and "· -" in home
    api = client.get(f"/api/stories/{sid}").json()
    assert (api["story_rating"], api["verdict"], api["articles"][0]["truth_rating"]) == (None, "Unrated", None)


def test_desk_will_not_publish_an_unrated_story_without_a_rating(client: SyncClient, store: Store,
                                                                  auth_headers: dict[str, str],
                                                                  editor_session: tuple[str, str]) -> None:
    sid = _unrated_story(store)
    assert '<span class="model-rating">-</span>' in client.get("/desk").text
    page = client.get(f"/desk/stories/{sid}").text
    assert 'value=""' in page and '<span class="model-rating">-</span>' in page
    assert 'value="publish"' not in page and "Unrated: set a rating above before publishing." in page
    assert "+0.00" not in page  # a weightless reason shows a bullet, not a number
    r = client.post(f"/api/stories/{sid}/publish", headers=auth_headers)
    assert (r.status_code, r.json()) == (409, {"detail": "an Unrated story needs an editor's rating before it is "
                                                         "published"})
    r = client.put(f"/api/stories/{sid}/rating", headers=auth_headers, json={"rating": 3, "note": "Checked."})
    assert r.status_code == 200 and r.json()["model_rating"] is None
    assert 'value="publish"' in client.get(f"/desk/stories/{sid}").text  # rated now: the button is back
    assert client.post(f"/api/stories/{sid}/publish", headers=auth_headers).json()["final_rating"] == 3
    assert 'data-rating="3"' in client.get(f"/stories/{sid}").text
