"""The REST API end to end: httpx over the ASGI app, a real SQLite database with examples/ ingested."""

from __future__ import annotations

import re

import http.server
import json
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import anyio
import anyio.from_thread
import httpx
import pytest

from fastapi import FastAPI

from truthmeter import pipeline
from truthmeter.errors import StoreError, TruthmeterError
from truthmeter.store import Store
from truthmeter.web import WebConfig, factory
from truthmeter.web.app import CSP, validation_message
from truthmeter.web.limits import RateLimiter

from .conftest import EXAMPLES, RUMOUR, TEXT, SyncClient

T = TypeVar("T")



def _library(text: str, title: str | None = None) -> dict[str, object]:
    """What `truthmeter rate --format jsonl` prints for the same submission, through JSON."""
    article = pipeline.submitted(text=text, title=title, origin="api")
    return json.loads(json.dumps(pipeline.rate(article, pipeline.load_model())[0].to_dict()))


def _run(fn: Callable[[], Awaitable[T]]) -> T:
    """Run async test code on an event loop of its own thread: another test's loop (Playwright's
    sync API) may be running in this one."""
    with anyio.from_thread.start_blocking_portal() as portal:
        return portal.call(fn)


# --- POST /api/rate -----------------------------------------------------------------------------

def test_rate_answers_exactly_the_jsonl_fields(client: SyncClient) -> None:
    r = client.post("/api/rate", json={"title": "Vance back on stage", "text": TEXT})
    assert r.status_code == 200, r.text
    expected = _library(TEXT, "Vance back on stage")
    assert list(r.json()) == list(expected)
    assert r.json() == expected


def test_rate_a_list_answers_a_list_in_order(client: SyncClient) -> None:
    texts = [RUMOUR, TEXT, (EXAMPLES / "03_harrow_secret_baby.txt").read_text()]
    r = client.post("/api/rate", json=[{"text": t} for t in texts])
    assert r.status_code == 200, r.text
    assert r.json() == [_library(t) for t in texts]
    assert client.post("/api/rate", json=[]).json() == []


@pytest.mark.parametrize("body, detail", [
    ({"text": TEXT, "url": "https://example.com/a"}, "body: give exactly one of text or url"),
    ({}, "body: give exactly one of text or url"),
    ({"title": "only a title"}, "body: give exactly one of text or url"),
    ({"text": TEXT, "extra": 1}, "extra: Extra inputs are not permitted"),
    ({"text": 5}, "text: Input should be a valid string"),
    ([{"text": TEXT}, {"text": TEXT, "url": "https://example.com"}], "item 1: give exactly one of text or url"),
    ("just a string", "body: Input should be a valid dictionary or object to extract fields from"),
    ({"text": "   "}, "api: no text given"),
    ([{"text": TEXT}, {"text": " "}], "item 1: api: no text given"),
])
def test_rate_rejects_bad_input_in_one_line(client: SyncClient, body: object, detail: str) -> None:
    r = client.post("/api/rate", json=body)
    assert r.status_code == 422
    assert r.json() == {"detail": detail}


def test_rate_rejects_invalid_json_and_lone_surrogates(client: SyncClient) -> None:
    r = client.post("/api/rate", content=b'{"text": ', headers={"content-type": "application/json"})
    assert (r.status_code, r.json()) == (422, {"detail": "invalid JSON: Expecting value"})
    r = client.post("/api/rate", content=b'{"text": "bad \\ud800 text"}', headers={"content-type": "application/json"})
    assert (r.status_code, r.json()) == (422, {"detail": "text: contains invalid Unicode (a lone surrogate)"})


def test_rate_caps_text_length(make_app: Callable[..., FastAPI]) -> None:
    c = SyncClient(make_app(max_text_chars=100))
    try:
        r = c.post("/api/rate", json={"text": "x" * 101})
        assert (r.status_code, r.json()) == (422, {"detail": "api: text is longer than 100 characters"})
        assert c.post("/api/rate", json={"text": TEXT[:100]}).status_code == 200
    finally:
        c.close()


@pytest.mark.parametrize("url, why", [
    ("file:///etc/passwd", "only http:// and https:// URLs can be fetched"),
    ("/etc/passwd", "only http:// and https:// URLs can be fetched"),
    ("http://127.0.0.1:9/story", "could not fetch: the address is not on the public internet"),
    ("http://[::1]/story", "could not fetch: the address is not on the public internet"),
    ("http://10.1.2.3/story", "could not fetch: the address is not on the public internet"),
    ("http://224.0.0.1/story", "could not fetch: the address is not on the public internet"),
    ("http://[ff02::1]/story", "could not fetch: the address is not on the public internet"),
    ("http://[::ffff:127.0.0.1]/story", "could not fetch: the address is not on the public internet"),
    ("http://0.0.0.0/story", "could not fetch: the address is not on the public internet"),
    ("http://[::1/story", "not a valid URL"),
    ("http://example.com:99999/story", "not a valid URL"),
])
def test_rate_fetches_only_public_http_urls(client: SyncClient, url: str, why: str) -> None:
    r = client.post("/api/rate", json={"url": url})
    assert (r.status_code, r.json()) == (422, {"detail": f"{url}: {why}"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def page_server() -> Iterator[str]:
    """A loopback HTTP server serving examples/ (for fetching with fetch_private=True)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: Quiet(*a, directory=str(EXAMPLES)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_rate_fetches_a_url_and_names_fetch_failures(make_app: Callable[..., FastAPI], page_server: str) -> None:
    c = SyncClient(make_app(fetch_private=True))
    try:
        url = f"{page_server}/06_harrow_film.html"
        r = c.post("/api/rate", json={"url": url})
        assert r.status_code == 200, r.text
        expected = pipeline.rate(pipeline.submitted(url=url), pipeline.load_model())[0].to_dict()
        assert r.json() == json.loads(json.dumps(expected)) and r.json()["url"] == url
        missing = f"{page_server}/nope.html"
        r = c.post("/api/rate", json={"url": missing})
        assert (r.status_code, r.json()) == (422, {"detail": f"{missing}: could not fetch: HTTP 404 File not found"})
        closed = f"http://127.0.0.1:{_free_port()}/story"
        r = c.post("/api/rate", json=[{"text": TEXT}, {"url": closed}])
        assert r.status_code == 422 and r.json()["detail"].startswith(f"item 1: {closed}: could not fetch: ")
    finally:
        c.close()


# --- limits -------------------------------------------------------------------------------------

def test_bodies_over_the_limit_get_413(make_app: Callable[..., FastAPI]) -> None:
    c = SyncClient(make_app(max_body_bytes=2000))
    detail = {"detail": "request body too large: the limit is 2000 bytes"}
    try:
        r = c.post("/api/rate", json={"text": "x" * 3000})
        assert (r.status_code, r.json()) == (413, detail)

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while streaming
            yield b'{"text": "'
            for _ in range(30):
                yield b"y" * 100
            yield b'"}'

        r = c.post("/api/rate", content=chunks(), headers={"content-type": "application/json"})
        assert "content-length" not in r.request.headers
        assert (r.status_code, r.json()) == (413, detail)
        assert c.post("/api/rate", json={"text": TEXT}).status_code == 200
    finally:
        c.close()


def test_rate_limit_answers_429_after_the_burst(make_app: Callable[..., FastAPI], token: str) -> None:
    c = SyncClient(make_app(rate_limit=0.01, burst=3))  # the same database as `token`'s
    try:
        for _ in range(3):
            assert c.post("/api/rate", json={"text": TEXT}).status_code == 200
        r = c.post("/api/rate", json={"text": TEXT})
        assert r.status_code == 429
        assert r.json() == {"detail": "too many requests: try again in 100 s"}
        assert r.headers["retry-after"] == "100"
        assert c.post("/api/tips", json={"text": TEXT}).status_code == 429  # one bucket per client
        # A valid token skips the limiter; a wrong one does not.
        good = {"Authorization": f"Bearer {token}"}
        assert c.post("/api/rate", json={"text": TEXT}, headers=good).status_code == 200
        assert c.post("/api/rate", json={"text": TEXT}, headers={"Authorization": "Bearer tm_wrong"}).status_code == 429
    finally:
        c.close()


def test_rate_limiter_refills_and_forgets_idle_clients() -> None:
    now = [0.0]
    limiter = RateLimiter(2.0, 2, max_clients=3, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.5]
    now[0] = 0.5
    assert limiter.take("a") == 0.0  # one token back after half a second
    for client in "bcdef":
        limiter.take(client)
    assert len(limiter) == 3  # bounded: the least recently seen went first
    now[0] = 100.0
    limiter.take("z")
    assert len(limiter) == 1  # the others had refilled: the same as no bucket
    assert RateLimiter(0, 1).take("a") == 0.0  # 0 turns it off


# --- reading: articles, stories, outlets, fact-checks -------------------------------------------

def test_articles_paginate_and_filter(client: SyncClient, store: Store) -> None:
    total = store.count()
    first = client.get("/api/articles", params={"limit": 3}).json()
    second = client.get("/api/articles", params={"limit": 3, "offset": 3}).json()
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (total, 3, 0, 3)
    assert second["offset"] == 3 and not {a["id"] for a in first["items"]} & {a["id"] for a in second["items"]}
    everything = client.get("/api/articles", params={"limit": 200}).json()["items"]
    assert [a["id"] for a in everything] == [a.article.id for a in store.list(limit=200)]
    false = client.get("/api/articles", params={"verdict": "False"}).json()
    assert false["total"] is None and false["items"]
    assert {a["verdict"] for a in false["items"]} == {"False"}
    outlet = everything[0]["outlet"]
    assert {a["outlet"] for a in client.get("/api/articles", params={"outlet": outlet}).json()["items"]} == {outlet}


@pytest.mark.parametrize("params, detail", [
    ({"limit": 0}, "limit: Input should be greater than or equal to 1"),
    ({"limit": 201}, "limit: Input should be less than or equal to 200"),
    ({"offset": -1}, "offset: Input should be greater than or equal to 0"),
    ({"limit": "many"}, "limit: Input should be a valid integer, unable to parse string as an integer"),
    ({"verdict": "Fake"}, "verdict: Input should be 'False', 'Mostly false', 'Mixed', 'Mostly true', 'True' or "
                          "'Unrated'"),
])
def test_bad_query_parameters_get_422(client: SyncClient, params: dict[str, object], detail: str) -> None:
    r = client.get("/api/articles", params=params)
    assert (r.status_code, r.json()) == (422, {"detail": detail})


def test_article_by_id_and_404(client: SyncClient, store: Store) -> None:
    stored = store.list(limit=1)[0]
    r = client.get(f"/api/articles/{stored.article.id}")
    assert r.status_code == 200 and r.json() == json.loads(json.dumps(stored.to_dict()))
    assert client.get(f"/api/articles/{stored.content_hash[:12]}").json()["id"] == stored.article.id
    r = client.get("/api/articles/nope")
    assert (r.status_code, r.json()) == (404, {"detail": "no article nope"})


def test_stories_list_filter_and_search(client: SyncClient, store: Store) -> None:
    page = client.get("/api/stories", params={"limit": 2}).json()
    assert page["total"] == store.count_stories() and len(page["items"]) == 2
    harrow = client.get("/api/stories", params={"person": "Dex Harrow"}).json()
    assert harrow["items"] and all("dex harrow" in s["people"] for s in harrow["items"])
    assert len(harrow["items"]) < page["total"]
    false = client.get("/api/stories", params={"verdict": "False"}).json()["items"]
    assert false and {s["verdict"] for s in false} == {"False"}
    outlet = client.get("/api/stories", params={"outlet": "Glitz Daily"}).json()["items"]
    assert outlet and all("Glitz Daily" in s["outlets"] for s in outlet)
    found = client.get("/api/stories", params={"q": "lighthouse"}).json()
    assert found["total"] == len(found["items"]) >= 1
    assert any("Lighthouse" in s["title"] for s in found["items"])
    hostile = client.get("/api/stories", params={"q": '"NEAR( * -'})
    assert hostile.status_code == 200
    r = client.get("/api/stories", params={"q": "vance", "verdict": "False"})
    assert (r.status_code, r.json()) == (422, {"detail": "q cannot be combined with person, outlet or verdict"})


def test_story_detail_and_404(client: SyncClient, store: Store, story_id: str) -> None:
    from truthmeter.publish.stories import story_detail

    r = client.get(f"/api/stories/{story_id[:8]}")
    assert r.status_code == 200
    body = r.json()
    assert body["review"] is None and body["corrections"] == []
    detail = json.loads(json.dumps(story_detail(store.get_story(story_id))))
    assert {k: body[k] for k in detail} == detail
    r = client.get("/api/stories/nope")
    assert (r.status_code, r.json()) == (404, {"detail": "no story nope"})


def test_outlets_and_fact_checks(client: SyncClient, store: Store) -> None:
    from truthmeter.stories.outlets import TrackRecords

    records = [r.to_dict() for r in TrackRecords.from_counts(store.outlet_counts()).ranked()]
    page = client.get("/api/outlets").json()
    assert page["items"] == json.loads(json.dumps(records)) and page["total"] == len(records)
    assert client.get("/api/outlets", params={"limit": 1, "offset": 1}).json()["items"] == page["items"][1:2]
    key = records[0]["key"]
    one = client.get(f"/api/outlets/{key.upper()}").json()
    assert one["outlet"] == page["items"][0]
    assert one["stories"]["items"] and all(records[0]["outlet"] in s["outlets"] for s in one["stories"]["items"])
    r = client.get("/api/outlets/nowhere.example")
    assert (r.status_code, r.json()) == (404, {"detail": "no outlet nowhere.example"})
    checks = client.get("/api/fact-checks").json()
    assert checks["total"] == len(checks["items"]) >= 1
    assert checks["items"][0]["rating"] == 1 and checks["items"][0]["basis"] == "rating"


# --- the app ------------------------------------------------------------------------------------

def test_security_headers_and_docs(client: SyncClient) -> None:
    for path in ("/api/stories", "/api/nope"):
        r = client.get(path)
        assert r.headers["content-security-policy"] == CSP
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "same-origin"
    docs = client.get("/docs")
    assert docs.status_code == 200 and "script-src 'self';" in docs.headers["content-security-policy"]
    assert "http" not in docs.headers["content-security-policy"]  # nothing fetched from elsewhere
    assert "<script>" not in docs.text  # Swagger UI boots from /static/docs.js: no inline script even here
    # The page's assets are served by the app itself: /docs works with no network.
    assets = re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', docs.text)
    assert len(assets) >= 2 and not re.search(r'(?:src|href)="(?:https?:)?//', docs.text)
    assert all(client.get(a).status_code == 200 for a in [*assets, "/static/docs.js"])
    # Swagger UI 5: the first to render OpenAPI 3.1, which FastAPI emits (4.x says "Unable to render").
    bundle = client.get("/docs-assets/swagger-ui-bundle.js").text
    assert re.search(r'PACKAGE_VERSION:"5\.\d+\.\d+"', bundle)
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert "script-src 'self';" in client.get("/api/queue").headers["content-security-policy"]


def test_openapi_documents_every_endpoint(client: SyncClient) -> None:
    schema = client.get("/openapi.json").json()
    operations = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert operations == {
        ("POST", "/api/rate"), ("GET", "/api/articles"), ("POST", "/api/articles"),
        ("GET", "/api/articles/{article_id}"),
        ("GET", "/api/stories"), ("GET", "/api/stories/{story_id}"), ("PUT", "/api/stories/{story_id}/rating"),
        ("PUT", "/api/stories/{story_id}/claim"), ("PUT", "/api/stories/{story_id}/summary"),
        ("POST", "/api/stories/{story_id}/publish"), ("POST", "/api/stories/{story_id}/unpublish"),
        ("GET", "/api/outlets"), ("GET", "/api/outlets/{key}"), ("GET", "/api/fact-checks"), ("GET", "/api/queue"),
        ("GET", "/api/audit"), ("POST", "/api/tips")}
    for path, ops in schema["paths"].items():
        for op in ops.values():
            assert op["summary"] and op["tags"], path
            ok = op["responses"].get("200") or op["responses"]["201"]
            assert "$ref" in json.dumps(ok["content"]), path
            assert op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
                ("/Problem", "/HTTPValidationError")), path
    assert schema["components"]["schemas"]["HTTPValidationError"]["properties"] == \
        {"detail": {"type": "string", "title": "Detail"}}
    rated = schema["components"]["schemas"]["RatedOut"]["properties"]
    assert list(rated) == list(_library(TEXT))


def test_desk_pages_redirect_to_login(client: SyncClient) -> None:
    r = client.get("/desk", params={"page": "2"})
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=/desk%3Fpage%3D2")


def test_store_errors_answer_503_without_the_path(client: SyncClient, store: Store) -> None:
    store.close()
    r = client.get("/api/stories")
    assert (r.status_code, r.json()) == (503, {"detail": "the database could not complete the request"})


def test_lifespan_closes_the_store_and_a_restart_reopens_it(app: FastAPI) -> None:
    first = app.state.store

    async def run() -> None:
        async with app.router.lifespan_context(app):
            assert app.state.store.count() > 0

    _run(run)
    with pytest.raises(StoreError, match="the store is closed"):
        first.count()
    _run(run)  # a test client per request starts and stops the app each time
    assert app.state.store is not first


def test_concurrent_requests_share_the_store_safely(app: FastAPI, auth_headers: dict[str, str], story_id: str) -> None:
    async def run() -> list[int]:
        codes: list[int] = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            async def one(i: int) -> None:
                if i % 3 == 0:
                    r = await c.post("/api/rate", json={"text": f"{TEXT} {i}"})
                elif i % 3 == 1:
                    r = await c.get("/api/stories")
                else:
                    r = await c.put(f"/api/stories/{story_id}/rating", json={"rating": i % 11, "note": f"n{i}"},
                                    headers=auth_headers)
                codes.append(r.status_code)

            async with anyio.create_task_group() as tg:
                for i in range(30):
                    tg.start_soon(one, i)
        return codes

    assert _run(run) == [200] * 30


# --- configuration ------------------------------------------------------------------------------

def test_config_from_environment(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> None:
    monkeypatch.setenv("TRUTHMETER_DB", str(db_path))
    monkeypatch.setenv("TRUTHMETER_RATE_LIMIT", "2.5")
    monkeypatch.setenv("TRUTHMETER_SECURE_COOKIES", "true")
    monkeypatch.setenv("TRUTHMETER_SITE_URL", "https://news.example/")
    config = WebConfig.from_env()
    assert (config.db, config.rate_limit, config.secure_cookies, config.site_url, config.burst) == \
        (str(db_path), 2.5, True, "https://news.example", 40)
    app = factory()
    try:
        assert app.state.config == config and app.state.store.count() > 0
    finally:
        app.state.store.close()
    monkeypatch.setenv("TRUTHMETER_BURST", "lots")
    with pytest.raises(TruthmeterError, match=r"^TRUTHMETER_BURST: expected an integer, got 'lots'$"):
        WebConfig.from_env()


@pytest.mark.parametrize("fields, message", [
    ({"burst": 0}, "burst must be at least 1, got 0"),
    ({"rate_limit": -1}, "rate limit must be at least 0, got -1"),
    ({"site_url": "news.example"}, "site url must start with http:// or https://, got 'news.example'"),
])
def test_config_rejects_bad_values(fields: dict[str, object], message: str) -> None:
    with pytest.raises(TruthmeterError) as e:
        WebConfig(**fields)  # type: ignore[arg-type]
    assert str(e.value) == message


def test_validation_message_is_one_line() -> None:
    errors = [{"type": "missing", "loc": ("body", "array", 2, "text"), "msg": "Field required"},
              {"type": "int_parsing", "loc": ("query", "limit"), "msg": "Input should be a valid integer"},
              {"type": "missing", "loc": ("body",), "msg": "Field required"}]
    assert validation_message(errors) == \
        "item 2: text: Field required; limit: Input should be a valid integer; body: Field required"
