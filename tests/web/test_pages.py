"""The HTML site through httpx over the ASGI app: pages, filters, login, the desk workflow, CSRF, the
feed, and that untrusted article text is only ever rendered escaped."""

from __future__ import annotations

import html
import json
import re
from urllib.parse import unquote

import feedparser

from truthmeter import pipeline
from truthmeter.store import Store
from truthmeter.stories.outlets import TrackRecords
from truthmeter.types import Article, Signal, Verdict
from truthmeter.web.templating import gauge, highlight, http_url, when

from .conftest import EDITOR_PASSWORD, SyncClient

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')
HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_URL = "javascript:alert(1)"


def _csrf(page: str, action: str = "/check") -> str:
    """The csrf_token of the page's form posting to `action` (the nav's logout form has its own)."""
    form = re.search(rf'<form[^>]* action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert form, f"no form posting to {action}"
    found = CSRF_FIELD.search(form.group(1))
    assert found and found.group(1), f"no csrf_token in the form posting to {action}"
    return found.group(1)


def _story_ids(page: str) -> list[str]:
    return re.findall(r'<a class="story-link" href="/stories/([^"]+)"', page)


def _gauge_rating(page: str) -> int:
    found = re.search(r'<svg class="gauge[^"]*" data-rating="(\d+)"', page)
    assert found, "no gauge"
    return int(found.group(1))


def _model_rating(page: str) -> int:
    found = re.search(r'<span class="model-rating">(\d+)/10</span>', page)
    assert found, "no model rating"
    return int(found.group(1))


def _section(page: str, section_id: str) -> str:
    found = re.search(rf'<section id="{section_id}">(.*?)</section>', page, re.S)
    assert found, f"no section {section_id}"
    return found.group(1)


def _ingest(store: Store, *articles: Article) -> None:
    report = pipeline.ingest_articles(list(articles), store, pipeline.load_model())
    assert report.new == len(articles) and not report.errors, report


# --- helpers of the templates ---------------------------------------------------------------------------

def test_gauge_geometry_follows_the_rating() -> None:
    empty, half, full = gauge(0), gauge(5), gauge(10)
    assert (empty.needle_x, empty.needle_y) == (18.0, 62.0)  # needle flat left
    # A 0 shows a short stub of red, not an empty grey track.
    assert empty.arc and empty.arc.startswith("M 10 62 A 50 50 0 0 1 ") and empty.arc != empty.track
    assert (half.needle_x, half.needle_y) == (60.0, 20.0)  # straight up
    assert (full.needle_x, full.needle_y) == (102.0, 62.0) and full.arc.endswith("110 62")  # type: ignore[union-attr]
    assert gauge(14).rating == 10 and gauge(-3).rating == 0


def test_only_http_urls_become_links() -> None:
    assert http_url("https://example.com/a?b=1") == "https://example.com/a?b=1"
    assert http_url(" http://example.com/ ") == "http://example.com/"
    for bad in (HOSTILE_URL, " JavaScript:alert(1)", "data:text/html,x", "//example.com", "/local", "http://",
                "https://example.com/\"onmouseover=x", None, ""):
        assert http_url(bad) is None, bad


def test_dates_and_highlighted_spans() -> None:
    assert when("2024-05-01T12:30:00+02:00") == "2024-05-01 10:30 UTC"
    assert when("2024-05-01") == "2024-05-01" and when("last spring") == "last spring" and when(None) == ""
    text = "An insider said it. A rep confirmed."
    parts = highlight(text, [Signal("rep", 1.0, "rep", 22, 25), Signal("insider", -1.0, "insider", 3, 10),
                             Signal("overlap", 1.0, "x", 5, 12), Signal("outside", 1.0, "x", 30, 99)])
    assert "".join(p.text for p in parts) == text
    assert [(p.text, p.signal.name) for p in parts if p.signal] == [("insider", "insider"), ("rep", "rep")]


# --- public pages -----------------------------------------------------------------------------------------

def test_home_lists_story_cards_with_gauges_and_the_layout(client: SyncClient, store: Store) -> None:
    answer = client.get("/")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert len(_story_ids(page)) == store.count_stories() > 0
    assert page.count('<article class="story-card">') == store.count_stories()
    assert '<link rel="alternate" type="application/atom+xml" title="truthmeter verdicts" href="/feed.atom">' in page
    for nav in ('href="/">Home', 'href="/outlets">Outlets', 'href="/check">Check a story', 'href="/login">Login'):
        assert nav in page
    ratings = [int(x) for x in re.findall(r'<svg class="gauge[^"]*" data-rating="(\d+)"', page)]
    verdicts = re.findall(r'<span class="verdict [^"]+">([^<]+)</span>', page)
    assert len(ratings) == len(verdicts) == store.count_stories()
    assert all(0 <= r <= 10 for r in ratings) and set(verdicts) <= {v.value for v in Verdict}
    assert client.get("/static/site.css").status_code == 200


def test_filters_and_search_narrow_the_list(client: SyncClient, store: Store) -> None:
    everything = set(_story_ids(client.get("/").text))
    person = next(p for s in store.list_stories(limit=100) for p in s.people)
    by_person = set(_story_ids(client.get("/", params={"person": person}).text))
    assert by_person and by_person < everything
    assert by_person == {s.id for s in store.list_stories(limit=100, person=person)}

    false_ones = {s.id for s in store.list_stories(limit=100) if s.verdict is Verdict.FALSE}
    page = client.get("/", params={"verdict": "false"}).text
    assert set(_story_ids(page)) == false_ones and false_ones < everything
    assert '<option value="false" selected>' in page

    outlet = next(o for s in store.list_stories(limit=100) for o in s.outlets)
    by_outlet = set(_story_ids(client.get("/", params={"outlet": outlet}).text))
    assert by_outlet and by_outlet < everything

    found = set(_story_ids(client.get("/", params={"q": "engaged"}).text))
    assert found and found < everything
    assert found == {s.id for s in store.desk.search("engaged")}
    verdict = store.desk.search("engaged")[0].verdict
    both = set(_story_ids(client.get("/", params={"q": "engaged", "verdict": verdict.name.lower()}).text))
    assert both == {s.id for s in store.desk.search("engaged") if s.verdict is verdict}
    nothing = client.get("/", params={"q": "zzzzunheardofword"}).text
    assert not _story_ids(nothing) and "No stories match." in nothing
    assert client.get("/", params={"q": '"unbalanced AND ( NEAR *'}).status_code == 200


def test_bad_filters_are_a_400_page(client: SyncClient) -> None:
    answer = client.get("/", params={"verdict": "maybe"})
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("text/html")
    assert "unknown verdict &#39;maybe&#39;: expected one of false, mostly_false, mixed, mostly_true, true" in answer.text
    answer = client.get("/", params={"page": "two"})
    assert answer.status_code == 400 and "page must be a whole number from 1" in answer.text


def test_pagination(client: SyncClient, store: Store) -> None:
    first = ["Marisol", "Teodor", "Linnea", "Dashiell", "Kestra", "Ivo", "Nerys", "Quillon", "Odalys", "Bramwell",
             "Saoirse", "Thaddeus", "Yselle", "Corvin", "Delphine", "Eero", "Astrid", "Benedikt", "Calla", "Dorian"]
    last = ["Vantreece", "Orlby", "Maskelyne", "Penhallow", "Strubel", "Ackerly", "Quennell", "Dravik", "Halloway",
            "Fenwright", "Ostrander", "Bellweather", "Carraway", "Dunstan", "Everleigh", "Fairweather", "Goodacre",
            "Hartigan", "Ingleby", "Jessop"]
    things = ["a bakery", "a vineyard", "a record label", "a bookshop", "a gym", "a theatre", "a ferry",
              "a racehorse", "a castle", "a newspaper", "a radio station", "a football club", "a circus",
              "a lighthouse", "a brewery", "a ski resort", "a zoo", "an island", "a museum", "a cinema"]
    _ingest(store, *(Article(id=f"p{i}", title=f"{a} {b} Buys {c.title()}",
                             body=f"{a} {b} bought {c} this week, a spokesperson said.")
                     for i, (a, b, c) in enumerate(zip(first, last, things))))
    total = store.count_stories()
    assert total > 20
    first = client.get("/").text
    second = client.get("/", params={"page": 2}).text
    assert len(_story_ids(first)) == 20 and 'rel="next" href="?page=2"' in first
    assert len(_story_ids(second)) == min(20, total - 20) and 'rel="prev"' in second
    assert not set(_story_ids(first)) & set(_story_ids(second))
    assert not _story_ids(client.get("/", params={"page": 99}).text)


def test_story_page_shows_rating_reasons_articles_and_claim_review(client: SyncClient, store: Store,
                                                                   story_id: str) -> None:
    stored = store.get_story(story_id)
    assert stored is not None
    page = client.get(f"/stories/{story_id}").text
    assert stored.story.claim is not None
    assert f'<h1 class="claim">Claim: {html.escape(stored.story.claim.text, quote=False)}</h1>' in page
    assert _gauge_rating(page) == _model_rating(page) == stored.story.story_rating
    assert page.count('<li class="article-row">') == len(stored.members) >= 1
    assert len(re.findall(r'<li class="signal ', _section(page, "reasons"))) == len(stored.story.signals)
    for section in ("fact-checks", "quotes", "denials", "corrections"):
        _section(page, section)
    assert "application/ld+json" not in page  # no review until the desk publishes one
    store.desk.publish(story_id, editor="ada")
    page = client.get(f"/stories/{story_id}").text
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))  # type: ignore
    assert ld["@type"] == "ClaimReview" and ld["claimReviewed"] == stored.story.claim.text
    assert ld["reviewRating"]["ratingValue"] == stored.story.story_rating
    assert ld["url"] == f"http://127.0.0.1:8000/stories/{story_id}"


def test_unknown_story_and_outlet_are_404_pages(client: SyncClient) -> None:
    for path, heading in (("/stories/nosuchstory", "Story not found"), ("/outlets/no.such.outlet", "Outlet not found")):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
        assert f"<h1>{heading}</h1>" in answer.text


def test_outlets_leaderboard_and_outlet_page(client: SyncClient, store: Store) -> None:
    page = client.get("/outlets").text
    links = re.findall(r'<a class="outlet-link" href="/outlets/([^"]+)">', page)
    assert links and page.count('<tr class="outlet-row">') == len(links)
    records = TrackRecords.from_counts(store.outlet_counts()).ranked()
    assert [r.key for r in records] == [unquote(k) for k in links]
    top = records[0]
    outlet = client.get(f"/outlets/{links[0]}")
    assert outlet.status_code == 200 and f"<h1>{html.escape(top.name)}</h1>" in outlet.text
    assert f"Told {top.told} stor" in outlet.text and f"{top.rated_false} rated false" in outlet.text
    assert set(_story_ids(outlet.text)) == {s.id for s in store.list_stories(limit=100, outlet=top.key)} != set()


# --- check a story, tips ------------------------------------------------------------------------------

def test_check_form_rates_pasted_text_with_signals(client: SyncClient) -> None:
    form = client.get("/check").text
    for field in ('name="title"', 'name="text"', 'name="url"', 'name="csrf_token"'):
        assert field in form
    text = ("Sources say the star is devastated and insiders claim the drama could explode any day! "
            "An insider said it is over, allegedly.")
    answer = client.post("/check", data={"title": "SHOCK! Star Split?!", "text": text, "url": "",
                                         "csrf_token": _csrf(form)})
    assert answer.status_code == 200
    page = answer.text
    rated = pipeline.rate(pipeline.submitted(text=text, title="SHOCK! Star Split?!", origin="check"))[0]
    assert _gauge_rating(page) == rated.rating.truth_rating
    assert f'<span class="verdict {"v-" + rated.rating.verdict.value.lower().replace(" ", "-")}">' in page
    spans = [s for s in rated.rating.signals if s.text]
    assert spans and all(html.escape(s.text, quote=False) in page for s in spans)  # type: ignore[arg-type]
    assert "<mark class=" in page and 'action="/check/tip"' in page and 'name="note"' in page


def test_check_page_shows_reasons_in_reader_words(client: SyncClient) -> None:
    title, text = "Jennifer Aniston secretly engaged, insider says", (
        "Jennifer Aniston is secretly engaged, an insider says. The actress was seen on Wednesday with a ring, "
        "and sources claim the wedding is set for June!")
    answer = client.post("/check", data={"title": title, "text": text, "url": "",
                                         "csrf_token": _csrf(client.get("/check").text)})
    assert answer.status_code == 200
    page = answer.text
    rated = pipeline.rate(pipeline.submitted(text=text, title=title, origin="check"))[0]
    items = re.findall(r'<li class="signal reason reason-(\w+) ', page)
    assert items == [x.kind.value for x in rated.rating.reasons] and "subject_prior" in items
    assert "topic: stories about Jennifer Aniston in our data were often " in page
    titles = re.findall(r'<mark class="\w+" title="([^"]*)"', page)
    assert titles and not any(".v1" in t or "Wednesday" in t for t in titles)
    assert "lexical.v1" not in page and "sourcing.v1" not in page


def test_story_pages_show_reasons_in_reader_words(client: SyncClient, store: Store) -> None:
    stories = store.list_stories(limit=100)
    assert stories
    for story in stories:
        reasons = _section(client.get(f"/stories/{story.id}").text, "reasons")
        names = re.findall(r'<span class="signal-name">(.*?)</span>', reasons, re.S)
        assert len(names) == len(story.signals)
        for name in names:
            assert "lexical.v1" not in name and "p_true" not in name and "fact_check" not in name, name


def test_check_errors_are_shown_in_the_page(client: SyncClient) -> None:
    token = _csrf(client.get("/check").text)
    cases = [({"text": " ", "url": ""}, 400, "paste the article&#39;s text or give its URL"),
             ({"text": "Some text here.", "url": "https://example.com/a"}, 400, "not both"),
             ({"text": "", "url": HOSTILE_URL}, 422, "only http:// and https:// URLs can be fetched"),
             ({"text": "", "url": "http://127.0.0.1:9/a"}, 422, "the address is not on the public internet")]
    for data, status, message in cases:
        answer = client.post("/check", data={**data, "title": "", "csrf_token": token})
        assert answer.status_code == status, data
        assert message in answer.text and '<p class="error" role="alert">' in answer.text
        assert "Traceback" not in answer.text


def test_anonymous_forms_need_the_csrf_token(client: SyncClient) -> None:
    token = _csrf(client.get("/check").text)
    for path, data in (("/check", {"text": "Some text."}), ("/check/tip", {"text": "Some text."}),
                       ("/login", {"name": "editor", "password": EDITOR_PASSWORD})):
        assert client.post(path, data=data).status_code == 403, path
        answer = client.post(path, data={**data, "csrf_token": token + "x"})
        assert answer.status_code == 403 and "did not come from this site" in answer.text
    client.cookies.clear()  # a forged form carries a token but not the cookie
    assert client.post("/check", data={"text": "Some text.", "csrf_token": token}).status_code == 403


def test_check_is_rate_limited_per_client(make_app) -> None:  # type: ignore[no-untyped-def]
    client = SyncClient(make_app(burst=2, rate_limit=0.01))
    try:
        token = _csrf(client.get("/check").text)
        statuses = [client.post("/check", data={"text": "A source says so.", "csrf_token": token}).status_code
                    for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = client.post("/check/tip", data={"text": "A source says so.", "csrf_token": token})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert limited.headers["content-type"].startswith("text/html") and "too many requests" in limited.text
    finally:
        client.close()


def test_a_tip_lands_in_the_queue(client: SyncClient, store: Store, editor_session: tuple[str, str]) -> None:
    form = client.get("/check").text
    data = {"title": "Quillon Dravik Secretly Bought A Lighthouse?!",
            "text": "Insiders claim Quillon Dravik bought a lighthouse in secret, a source says.", "url": ""}
    answer = client.post("/check/tip", data={**data, "note": "Saw this on a forum", "csrf_token": _csrf(form)})
    assert answer.status_code == 303 and answer.headers["location"] == "/check?tip=sent"
    assert "Thanks, your tip is in the editors' queue" in client.get(answer.headers["location"]).text
    tips = store.desk.tips()
    assert len(tips) == 1 and tips[0].note == "Saw this on a forum" and tips[0].story_id
    queue = client.get("/desk").text
    row = next(r for r in re.findall(r'<tr class="queue-item">(.*?)</tr>', queue, re.S) if tips[0].story_id in r)
    assert "Lighthouse" in row and '<td class="tips" data-label="Tips">1</td>' in row
    assert "Saw this on a forum" in client.get(f"/desk/stories/{tips[0].story_id}").text


# --- login, the desk ------------------------------------------------------------------------------------

def test_login_wrong_and_right(client: SyncClient, store: Store, editor: str) -> None:
    form = client.get("/login").text
    for field in ('name="name"', 'name="password"', 'type="submit"'):
        assert field in form
    token = _csrf(form, "/login")
    for name, password in ((editor, "wrong password!"), ("nobody", EDITOR_PASSWORD)):
        answer = client.post("/login", data={"name": name, "password": password, "csrf_token": token})
        assert answer.status_code == 401 and "Wrong name or password." in answer.text
        assert "tm_session" not in answer.headers.get("set-cookie", "")
    answer = client.post("/login", data={"name": editor, "password": EDITOR_PASSWORD, "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/desk"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("tm_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Path=/" in cookie
    assert client.get("/desk").status_code == 200
    assert f"Log out {editor}" in client.get("/").text


def test_login_redirects_back_only_to_this_site(client: SyncClient, editor: str) -> None:
    page = client.get("/login", params={"next": "/desk/audit"}).text
    assert 'name="next" value="/desk/audit"' in page
    for target, expected in (("/desk/audit", "/desk/audit"), ("//evil.example/x", "/desk"),
                             ("https://evil.example/", "/desk")):
        client.cookies.clear()
        token = _csrf(client.get("/login").text, "/login")
        answer = client.post("/login", data={"name": editor, "password": EDITOR_PASSWORD, "csrf_token": token,
                                             "next": target})
        assert answer.headers["location"] == expected


def test_desk_pages_redirect_to_login_without_a_session(client: SyncClient, story_id: str) -> None:
    for path in ("/desk", f"/desk/stories/{story_id}", "/desk/audit"):
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=/desk"), path
    answer = client.post(f"/desk/stories/{story_id}", data={"action": "publish", "csrf_token": "x"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_desk_forms_need_the_session_csrf_token(client: SyncClient, store: Store, story_id: str,
                                                editor_session: tuple[str, str]) -> None:
    for data in ({"action": "publish"}, {"action": "publish", "csrf_token": "wrong"},
                 {"action": "publish", "csrf_token": _csrf(client.get("/check").text)}):  # the anonymous token
        answer = client.post(f"/desk/stories/{story_id}", data=data)
        assert answer.status_code == 403 and "did not come from this site" in answer.text
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert store.desk.review(story_id) is None  # nothing happened


def test_queue_and_review_page(client: SyncClient, store: Store, story_id: str,
                               editor_session: tuple[str, str]) -> None:
    queue = client.get("/desk").text
    rows = re.findall(r'<tr class="queue-item">(.*?)</tr>', queue, re.S)
    assert len(rows) == store.count_stories()
    assert all(re.search(r'href="/desk/stories/[^"]+"', r) for r in rows)
    page = client.get(f"/desk/stories/{story_id}").text
    for field in ('name="rating"', 'type="number"', 'min="0" max="10"', '<textarea name="note"',
                  'name="action" value="save"', 'name="action" value="publish"', f'action="/desk/stories/{story_id}"'):
        assert field in page
    assert _csrf(page, f"/desk/stories/{story_id}") == _csrf(page, "/logout") == editor_session[1]
    assert client.get("/desk/stories/nosuchstory").status_code == 404


def test_override_publish_correct_unpublish(client: SyncClient, store: Store, story_id: str,
                                            editor_session: tuple[str, str]) -> None:
    csrf = editor_session[1]
    model = store.get_story(story_id).story.story_rating  # type: ignore[union-attr]
    final = 9 if model < 5 else 1
    url = f"/desk/stories/{story_id}"

    answer = client.post(url, data={"action": "save", "rating": str(final), "note": "Two named sources.",
                                    "csrf_token": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == url
    desk_page = client.get(url).text
    assert f'<span class="final-rating">{final}/10</span>' in desk_page and _model_rating(desk_page) == model
    public = client.get(f"/stories/{story_id}").text
    assert _gauge_rating(public) == model  # a draft is not public yet
    assert "Two named sources." not in public

    asked = client.post(url, data={"action": "publish", "csrf_token": csrf})  # publishing asks first
    assert asked.status_code == 200 and "Publish this verdict?" in asked.text
    assert store.desk.review(story_id).status.value == "reviewed"  # type: ignore[union-attr]
    assert client.post(url, data={"action": "publish", "confirm": "yes", "csrf_token": csrf}).status_code == 303
    public = client.get(f"/stories/{story_id}").text
    assert _gauge_rating(public) == final and _model_rating(public) == model
    assert "Two named sources." in public
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', public, re.S).group(1))  # type: ignore
    assert ld["reviewRating"]["ratingValue"] == final
    feed = feedparser.parse(client.get("/feed.atom").content)
    assert client.get("/feed.atom").headers["content-type"].startswith("application/atom+xml")
    assert [e.link for e in feed.entries] == [f"http://127.0.0.1:8000/stories/{story_id}"]
    assert f"{final}/10" in feed.entries[0].title

    answer = client.post(url, data={"action": "save", "rating": "5", "note": "A denial on record <since>.",
                                    "csrf_token": csrf})
    assert answer.status_code == 303
    public = client.get(f"/stories/{story_id}").text
    corrections = _section(public, "corrections")
    assert f'<span class="previous-rating">{final}/10</span>' in corrections
    assert '<span class="new-rating">5/10</span>' in corrections
    assert "A denial on record &lt;since&gt;." in corrections
    assert _gauge_rating(public) == 5

    assert client.post(url, data={"action": "unpublish", "csrf_token": csrf}).status_code == 303
    assert not feedparser.parse(client.get("/feed.atom").content).entries
    assert _gauge_rating(client.get(f"/stories/{story_id}").text) == model

    audit = client.get("/desk/audit").text
    actions = re.findall(r'<td class="audit-action" data-label="Action">([a-z_]+)</td>', audit)
    assert actions[:4] == ["unpublish", "correction", "publish", "review"]


def test_bad_review_input_is_shown_on_the_review_page(client: SyncClient, store: Store, story_id: str,
                                                      editor_session: tuple[str, str]) -> None:
    url, csrf = f"/desk/stories/{story_id}", editor_session[1]
    cases = [({"action": "save", "rating": "11", "note": "x"}, 400, "the rating must be a whole number from 0 to 10"),
             ({"action": "save", "rating": "", "note": "x"}, 400, "the rating must be a whole number"),
             ({"action": "save", "rating": "3", "note": "  "}, 400, "a note is required"),
             ({"action": "delete"}, 400, "unknown action &#39;delete&#39;")]
    for data, status, message in cases:
        answer = client.post(url, data={**data, "csrf_token": csrf})
        assert answer.status_code == status and message in answer.text, data
    assert client.post("/desk/stories/nosuchstory", data={"action": "publish", "csrf_token": csrf}).status_code == 404
    assert store.desk.review(story_id) is None


def test_logout_ends_the_session(client: SyncClient, store: Store, editor_session: tuple[str, str]) -> None:
    answer = client.post("/logout", data={"csrf_token": editor_session[1]})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert 'tm_session=""' in answer.headers["set-cookie"] or "Max-Age=0" in answer.headers["set-cookie"]
    client.cookies.set("tm_session", editor_session[0])  # the old cookie no longer opens anything
    assert client.get("/desk").status_code == 303
    assert [e.action.value for e in store.desk.audit(limit=1)] == ["logout"]


# --- untrusted text -----------------------------------------------------------------------------------

def _assert_escaped(page: str) -> None:
    assert HOSTILE_SCRIPT not in page and HOSTILE_IMG not in page
    assert "<img" not in page.lower()  # as text it is "&lt;img ... onerror=alert(1)&gt;": inert
    assert 'href="javascript:' not in page.lower() and "href=javascript" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_hostile_article_text_is_only_ever_escaped(client: SyncClient, store: Store) -> None:
    title = f"Zorvath Quillane Feud {HOSTILE_SCRIPT} {HOSTILE_IMG}"
    body = (f"Zorvath Quillane was seen {HOSTILE_SCRIPT} at a party. An insider said {HOSTILE_IMG} "
            f'"it is over" and <a href="{HOSTILE_URL}">click</a>.')
    _ingest(store, Article(id="hostile", title=title, body=body, url=HOSTILE_URL, outlet=f"Evil {HOSTILE_IMG}"))
    story = store.list_stories(limit=1)[0]
    assert "Zorvath" in story.title

    home = client.get("/").text
    _assert_escaped(home)
    page = client.get(f"/stories/{story.id}").text
    _assert_escaped(page)
    store.desk.publish(story.id, editor="ada")  # published, its claim goes into the JSON-LD too
    page = client.get(f"/stories/{story.id}").text
    _assert_escaped(page)
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)  # type: ignore
    assert story.claim is not None and "alert(1)" in story.claim.text  # the claim keeps the markup, as text
    assert "<" not in script and json.loads(script)["claimReviewed"] == story.claim.text

    checked = client.post("/check", data={"title": title, "text": body, "url": "",
                                          "csrf_token": _csrf(client.get("/check").text)})
    assert checked.status_code == 200
    _assert_escaped(checked.text)
    assert f'value="{html.escape(title)}"' in checked.text  # the tip form's hidden field, attribute-escaped
