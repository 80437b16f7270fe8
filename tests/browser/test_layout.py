"""Every page as a reader or an editor sees it, at a phone's width (390 px) and a laptop's (1280 px): no page
scrolls sideways, and a full-page screenshot of each is saved under the artifacts folder (layout/NAME-WIDTH.png)
for a person to look at. Also: /docs renders the API with Swagger UI 5, offline; links follow the served port."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest

from .conftest import OUTLET

WIDTHS = (390, 1280)
SEEDS_CLAIM = "Khloe Kardashian gives her first interview"


def _story_href(page, text: str) -> str:
    """The address of the story whose card shows `text`, found on the home page."""
    page.goto("/")
    href = page.locator("a.story-link", has_text=text).first.get_attribute("href")
    assert href and href.startswith("/stories/"), href
    return href


@pytest.fixture(scope="module")
def pages(browser, site, editor_page) -> dict[str, str]:
    """name -> path of every kind of page; the desk's story page is the fact-checked seeds story. First a
    reader sends a tip (its audit row carries a 64-character hash) and the editor rewrites the verdict in
    prose, so the audit log has what made it overflow."""
    story = _story_href(editor_page, SEEDS_CLAIM)
    reader = browser.new_context(base_url=site)
    try:
        tipper = reader.new_page()
        tipper.goto("/check")
        _check_a_story(tipper)
        with tipper.expect_navigation():
            tipper.click("form.tip-form button[type=submit]")
        assert tipper.locator("[role=status]").count() == 1
    finally:
        reader.close()
    editor_page.goto("/desk" + story)
    editor_page.fill("form.summary-form textarea[name=summary]",
                     "Gossip Cop rated this 10/10, and Khloe Kardashian said it on the record herself: the "
                     "interview was done before Lamar Odom's hospitalization, and she gave People a quote after it.")
    with editor_page.expect_navigation():
        editor_page.click("form.summary-form button[value=summary]")
    return {"home": "/", "search": "/?q=engaged", "story": story, "outlets": "/outlets",
            "outlet": f"/outlets/{quote(OUTLET.lower())}", "check": "/check", "login": "/login", "desk": "/desk",
            "desk-story": "/desk" + story, "audit": "/desk/audit"}


def _check_a_story(page) -> None:
    page.fill("form.check-form input[name=title]", "Marisol Vance Secretly Engaged To Her Backup Dancer?!")
    page.fill("form.check-form textarea[name=text]",
              "Marisol Vance is secretly engaged to her backup dancer, a source claims! An insider allegedly said the "
              "pair have been hiding their romance for months, and whispers are growing louder by the day.")
    with page.expect_navigation():
        page.click("form.check-form button[type=submit]")
    assert page.locator("section#result svg.gauge").count() == 1


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(browser, site, editor_page, pages: dict[str, str], artifacts: Path,
                                  width: int) -> None:
    out = artifacts / "layout"
    out.mkdir(exist_ok=True)
    editor = browser.new_context(base_url=site, viewport={"width": width, "height": 900})
    reader = browser.new_context(base_url=site, viewport={"width": width, "height": 900})
    try:
        editor.add_cookies(editor_page.context.cookies())  # the editor's session, for the desk pages
        as_editor, as_reader = editor.new_page(), reader.new_page()
        wide = []
        for name, path in pages.items():
            # The desk needs the editor; the login page is what a reader sees (an editor is sent on to the desk).
            page = as_editor if name.startswith(("desk", "audit")) else as_reader
            page.goto(path)
            assert page.url == site + path, (name, page.url)
            if name == "check":
                _check_a_story(page)  # the page with a result: gauge, reasons, the text as read, the tip form
            page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True)
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            if scroll > inner:
                wide.append(f"{name} ({path}) is {scroll} px wide in a {inner} px window")
        assert not wide, wide
        assert all((out / f"{name}-{width}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in pages)
    finally:
        editor.close()
        reader.close()


def test_story_page_shows_meter_scale_prose_and_sources(page, pages: dict[str, str]) -> None:
    page.goto(pages["story"])
    box = page.locator(".verdict-box")
    assert box.locator("svg.gauge").count() == 1
    scale = [li.inner_text().split() for li in box.locator("ol.scale li").all()]
    assert [s[0] for s in scale] == ["8-10", "6-7", "5", "3-4", "0-2"]  # beside the meter, not only in the footer
    assert box.locator("ol.scale li.current").inner_text().endswith("True")
    assert box.locator("p.summary").inner_text().startswith("Gossip Cop rated this 10/10.")
    sources = page.locator("#articles li.article-row")
    assert sources.count() == 2
    assert all(row.locator(".article-outlet").count() == 1 and row.locator(".article-date").count() == 1
               for row in sources.all())
    text = page.locator("main").inner_text()
    for internal in ("fact_check", "p_true", "lexical.v1", "outlet weight"):
        assert internal not in text


def test_a_zero_reads_red_not_empty(page) -> None:
    page.goto("/?verdict=false")
    zero = page.locator('svg.gauge[data-rating="0"]').first
    assert zero.count() == 1
    arc = zero.locator("path.gauge-arc")
    assert arc.count() == 1
    # The arc is drawn in the verdict's colour (False: red), and visibly so.
    color = arc.evaluate("e => getComputedStyle(e).stroke")
    r, g, b = (int(x) for x in re.findall(r"\d+", color)[:3])
    assert r > 150 and g < 80 and b < 80, color
    assert arc.evaluate("e => e.getTotalLength()") > 3


def test_links_follow_the_served_port(page, site: str, pages: dict[str, str]) -> None:
    """`serve --port N` without --site-url: canonical URLs, og:url and the feed point at this server."""
    page.goto(pages["story"])
    assert page.locator('link[rel="canonical"]').get_attribute("href") == site + pages["story"]
    assert page.locator('meta[property="og:url"]').get_attribute("content") == site + pages["story"]
    robots = page.request.get("/robots.txt").text()
    assert f"Sitemap: {site}/sitemap.xml" in robots
    assert f"<loc>{site}{pages['story']}</loc>" in page.request.get("/sitemap.xml").text()
    assert f'href="{site}/feed.atom"' in page.request.get("/feed.atom").text()


def test_docs_render_the_api_with_swagger_ui_5(page, artifacts: Path) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    page.goto("/docs")
    operation = page.locator(".opblock-summary-path", has_text="/api/stories/{story_id}/claim").first
    operation.wait_for(state="visible")
    assert page.locator(".opblock").count() >= 15
    assert "Unable to render this definition" not in page.locator("body").inner_text()
    assert page.locator(".info .title").inner_text().startswith("truthmeter newsroom")
    operation.click()  # an operation opens, with its parameters
    page.locator(".opblock.is-open .parameters, .opblock.is-open .opblock-section").first.wait_for()
    (artifacts / "layout").mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / "layout" / "docs-1280.png"))
    assert not [p for p in problems if "Content Security Policy" in p or p.startswith("failed:")], problems


def test_publishing_asks_first(editor_page, pages: dict[str, str]) -> None:
    """The desk's Publish shows what readers will get; leaving without confirming publishes nothing."""
    page = editor_page
    page.goto(pages["desk-story"])
    if page.locator("form.publish-form button[value=publish]").count() == 0:
        pytest.skip("the story is published already")
    with page.expect_navigation():
        page.click("form.publish-form button[value=publish]")
    assert page.locator("h1").first.inner_text() == "Publish this verdict?"
    assert page.locator(".confirm-box .summary").inner_text()
    with page.expect_navigation():
        page.click("form.confirm-form a")  # Cancel
    assert page.url.endswith(pages["desk-story"]) and page.locator(".review-status").inner_text() != "published"
