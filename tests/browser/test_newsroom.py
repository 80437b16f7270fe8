"""The newsroom as readers and editors use it: real Chromium, real clicks, real forms, a real server."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import HOSTILE_PERSON, login

ATOM = "{http://www.w3.org/2005/Atom}"
STORY_URL = re.compile(r"/stories/([^/?#]+)$")


def _number(text: str) -> int:
    """The first integer in a label such as '7/10'."""
    found = re.search(r"\d+", text)
    assert found, f"no number in {text!r}"
    return int(found.group())


def _story_id(page) -> str:
    found = STORY_URL.search(page.url)
    assert found, page.url
    return found.group(1)


def _assert_unharmed(page) -> None:
    """No script from an article ran, no dialog opened and no `javascript:` link can be clicked."""
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.dialogs == []
    assert page.locator('a[href^="javascript:" i], [href*="__pwned"], [src*="__pwned"]').count() == 0
    assert page.locator("[onerror], [onload], iframe, object, embed").count() == 0
    assert _only_in_json_ld(page)


def publish(page, check=None) -> None:
    """Publish the story open at the desk: the button, then the confirmation page's "Publish now"."""
    with page.expect_navigation():
        page.click('form.publish-form button[value=publish]')
    assert page.locator("h1").first.inner_text() == "Publish this verdict?"
    if check is not None:
        check(page)
    with page.expect_navigation():
        page.click('form.confirm-form button[value=publish]')
    assert re.search(r"/desk/stories/[^/]+$", page.url) and page.locator(".review-status").inner_text() == "published"


def _only_in_json_ld(page) -> bool:
    """Article text may appear inside the JSON-LD block (as data, never as markup): nowhere else."""
    scripts = page.locator("script", has_text="__pwned")
    return all(scripts.nth(i).get_attribute("type") == "application/ld+json" for i in range(scripts.count()))


def _open_hostile_story(page) -> str:
    """Find the hostile article's story through the search form and open it with a click."""
    page.goto("/")
    page.fill("form.filters input[name=person]", HOSTILE_PERSON)
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    link = page.locator("a.story-link").first
    link.click()
    page.wait_for_url(STORY_URL)
    return _story_id(page)


def test_home_shows_story_cards_with_gauges(page) -> None:
    page.goto("/")
    cards = page.locator("article.story-card")
    assert cards.count() >= 3
    for i in range(cards.count()):
        card = cards.nth(i)
        rating = card.locator("svg.gauge").get_attribute("data-rating")
        assert rating is not None and 0 <= int(rating) <= 10
        assert card.locator("span.verdict").inner_text().strip() in {"False", "Mostly false", "Mixed", "Mostly true",
                                                                     "True"}
        assert re.fullmatch(r"/stories/[^/]+", card.locator("a.story-link").get_attribute("href") or "")


def test_story_page_from_home_with_screenshot(page, artifacts: Path) -> None:
    page.goto("/")
    card = page.locator("article.story-card").filter(has_not_text=HOSTILE_PERSON).first
    title = card.locator("a.story-link").inner_text().strip()
    card.locator("a.story-link").click()
    page.wait_for_url(STORY_URL)
    assert page.locator("h1").first.inner_text().strip() == title
    rating = int(page.locator("svg.gauge").first.get_attribute("data-rating"))
    assert 0 <= rating <= 10
    assert 0 <= _number(page.locator(".model-rating").first.inner_text()) <= 10
    assert page.locator("#reasons li").count() >= 1
    assert page.locator("#articles li.article-row").count() >= 1
    assert page.locator("h1").first.inner_text().startswith("Claim: ")
    assert page.locator("#articles .in-context").count() == page.locator("#articles li.article-row").count()
    # Not published yet: the model's rating is no review, so no ClaimReview (checked after publishing below).
    assert page.locator('script[type="application/ld+json"]').count() == 0
    shot = artifacts / f"story-{_story_id(page)}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.dialogs == []


def test_desk_needs_login_and_the_form_logs_in(page) -> None:
    page.goto("/desk/audit")
    assert re.search(r"/login\?next=/desk/audit$", page.url), page.url
    login(page, password="not the password", goto=False)
    assert "/login" in page.url
    assert page.locator("[role=alert]").inner_text().strip() == "Wrong name or password."
    login(page, goto=False)  # the form kept where the editor was going
    assert page.url.endswith("/desk/audit")
    page.goto("/desk")
    assert page.locator("tr.queue-item").count() >= 1


@pytest.fixture(scope="module")
def published(editor_page) -> dict[str, object]:
    """An editor opens a story from the queue, sets a rating and a note, and publishes it."""
    page = editor_page
    page.goto("/desk")
    rows = page.locator("tr.queue-item")
    row = next(rows.nth(i) for i in range(rows.count()) if HOSTILE_PERSON not in rows.nth(i).inner_text())
    row.locator('a[href^="/desk/stories/"]').first.click()
    page.wait_for_url(re.compile(r"/desk/stories/[^/]+$"))
    story_id = page.url.rsplit("/", 1)[1]
    model = _number(page.locator(".model-rating").first.inner_text())
    rating = 9 if model <= 5 else 1  # far from the model's, so the page cannot show one for the other
    page.fill("input[name=rating]", str(rating))
    page.fill("textarea[name=note]", "Two on-record sources confirm it.")
    with page.expect_navigation():
        page.click('button[name=action][value=save]')
    assert page.locator("input[name=rating]").input_value() == str(rating)
    publish(page)
    return {"id": story_id, "rating": rating, "model": model}


def test_published_story_shows_final_and_model_rating(page, published) -> None:
    page.goto(f"/stories/{published['id']}")
    assert int(page.locator("svg.gauge").first.get_attribute("data-rating")) == published["rating"]
    assert _number(page.locator(".model-rating").first.inner_text()) == published["model"]
    assert "Two on-record sources confirm it." in page.locator("main").inner_text()


def test_feed_lists_published_story(page, published) -> None:
    answer = page.request.get("/feed.atom")
    assert answer.ok and "atom" in answer.headers["content-type"]
    feed = ET.fromstring(answer.body())
    links = [link.get("href") or "" for entry in feed.iter(f"{ATOM}entry") for link in entry.iter(f"{ATOM}link")]
    assert any(h.endswith(f"/stories/{published['id']}") for h in links), links


def test_correction_shows_on_public_page(editor_page, page, published) -> None:
    editor_page.goto(f"/desk/stories/{published['id']}")
    new = 5
    editor_page.fill("input[name=rating]", str(new))
    editor_page.fill("textarea[name=note]", "A denial on record since publication.")
    with editor_page.expect_navigation():
        editor_page.click('button[name=action][value=save]')
    page.goto(f"/stories/{published['id']}")
    assert int(page.locator("svg.gauge").first.get_attribute("data-rating")) == new
    corrections = page.locator("section#corrections")
    text = corrections.inner_text()
    assert "A denial on record since publication." in text
    assert f"{published['rating']}/10" in text and f"{new}/10" in text
    assert _number(page.locator(".model-rating").first.inner_text()) == published["model"]
    # Every step the editor took is in the audit log, newest first.
    editor_page.goto("/desk/audit")
    rows = editor_page.locator("tr.audit-entry").filter(has_text=str(published["id"]))
    actions = [rows.nth(i).locator(".audit-action").inner_text() for i in range(rows.count())]
    assert actions == ["correction", "publish", "review"], actions


def test_hostile_article_cannot_run_script(page, editor_page) -> None:
    page.goto("/")
    assert page.get_by_text(HOSTILE_PERSON).count() >= 1  # the newest story is on the first page
    _assert_unharmed(page)
    story_id = _open_hostile_story(page)
    # The markup shows as text, proving it was kept and escaped rather than stripped.
    assert "<script>window.__pwned=1</script>" in page.locator("h1").first.inner_text()
    assert page.locator("#articles li.article-row a").count() == 0  # its only URL is javascript:, so no link
    _assert_unharmed(page)
    # Published, the story's title and text also go into the JSON-LD block and the feed.
    editor_page.goto(f"/desk/stories/{story_id}")
    _assert_unharmed(editor_page)
    publish(editor_page, check=_assert_unharmed)
    _assert_unharmed(editor_page)
    page.goto(f"/stories/{story_id}")
    _assert_unharmed(page)
    ld = json.loads(page.locator('script[type="application/ld+json"]').first.text_content())
    assert "__pwned" in json.dumps(ld)  # the title is there as data
    ET.fromstring(page.request.get("/feed.atom").body())  # still well-formed XML
    page.goto("/")
    _assert_unharmed(page)


def test_check_a_story_and_send_it_as_a_tip(page, editor_page) -> None:
    # Hostile, but unlike the ingested hostile article (sharing its markup would file both in one story).
    title = "Wilhelmina Strathmore Secretly Engaged?! \"><svg onload=alert(document.domain)>"
    page.goto("/")
    page.click("nav a[href='/check']")
    page.fill("form.check-form input[name=title]", title)
    page.fill("form.check-form textarea[name=text]",
              "Wilhelmina Strathmore is secretly engaged, a source claims! <iframe srcdoc='<script>alert(2)</script>'>"
              "</iframe> Insiders say a ring was "
              "spotted, and fans are stunned, according to a tipster who allegedly saw it.")
    with page.expect_navigation():
        page.click("form.check-form button[type=submit]")
    result = page.locator("section#result")
    assert 0 <= int(result.locator("svg.gauge").get_attribute("data-rating")) <= 10
    assert result.locator("li.signal").count() >= 1
    assert result.locator("h2").inner_text() == title
    _assert_unharmed(page)
    page.fill("form.tip-form textarea[name=note]", "Saw this shared everywhere today.")
    with page.expect_navigation():
        page.click("form.tip-form button[type=submit]")
    assert page.locator("[role=status]").inner_text() == "Thanks, your tip is in the editors' queue."
    _assert_unharmed(page)
    editor_page.goto("/desk")
    row = editor_page.locator("tr.queue-item").filter(has_text="Wilhelmina Strathmore")
    assert row.locator("td.tips").inner_text() == "1"
    _assert_unharmed(editor_page)


def test_logout_then_desk_redirects_to_login(page) -> None:
    login(page)
    page.goto("/desk")
    assert page.url.endswith("/desk")
    with page.expect_navigation():
        page.click('form[action="/logout"] button[type=submit]')
    page.goto("/desk")
    assert "/login" in page.url
    assert page.locator("tr.queue-item").count() == 0
