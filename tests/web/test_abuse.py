"""The web app under abuse (issue 15, items 7, 8, 10 and 11), through httpx on the ASGI app, and on a
real uvicorn server on loopback where the server's own behaviour (proxy headers) is the point:

- the rate limit charges each article of a batch, articles per request are capped, reading and
  rating run off the event loop, and the rating queue is bounded (503 when full);
- X-Forwarded-For is ignored unless `serve --proxy-headers` names the proxies to trust;
- failed logins are throttled per account and per client (429 with Retry-After);
- cookies are Secure on an https site, the bearer scheme is in the OpenAPI document, and pages
  answer an HTML 503 when the database is unavailable.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio.from_thread
import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from fastapi import FastAPI

from truthmeter import pipeline
from truthmeter.cli import main
from truthmeter.newsroom import auth
from truthmeter.store import Store
from truthmeter.web import api as api_module
from truthmeter.web import batcher as batcher_module
from truthmeter.web import deps
from truthmeter.web.batcher import RateBatcher

from .conftest import EDITOR_PASSWORD, RUMOUR, TEXT, SyncClient

def _portal_run(fn: Callable[[], Any]) -> Any:
    with anyio.from_thread.start_blocking_portal() as portal:
        return portal.call(fn)


@contextmanager
def _client(app: FastAPI, address: str = "testclient", base_url: str = "http://testserver") -> Iterator[SyncClient]:
    c = SyncClient(app, base_url=base_url, client_host=address)
    try:
        yield c
    finally:
        c.close()


# --- 7. articles, not requests; nothing heavy on the event loop ------------------------------------

def test_a_batch_costs_one_token_per_article(make_app: Callable[..., FastAPI]) -> None:
    with _client(make_app(rate_limit=0.01, burst=10)) as c:
        assert c.post("/api/rate", json=[{"text": TEXT}] * 6).status_code == 200  # 4 tokens left
        r = c.post("/api/rate", json=[{"text": TEXT}] * 5)
        assert (r.status_code, r.json(), r.headers["retry-after"]) == \
            (429, {"detail": "too many requests: try again in 100 s"}, "100")
        assert c.post("/api/rate", json=[{"text": TEXT}] * 4).status_code == 200  # exactly what is left
        assert c.post("/api/rate", json={"text": TEXT}).status_code == 429
    with _client(make_app(rate_limit=0.01, burst=10)) as c:
        # A batch larger than the burst passes on a full bucket, and leaves it in debt: 25 - 10 = 15
        # tokens owed, so the next article waits (15 + 1) / 0.01 s.
        assert c.post("/api/rate", json=[{"text": TEXT}] * 25).status_code == 200
        r = c.post("/api/rate", json={"text": TEXT})
        assert (r.status_code, r.json()) == (429, {"detail": "too many requests: try again in 1600 s"})


def test_articles_per_request_are_capped(make_app: Callable[..., FastAPI], auth_headers: dict[str, str]) -> None:
    app = make_app(max_articles=3)
    with _client(app) as c:
        detail = {"detail": "too many articles in one request: 4, the limit is 3"}
        r = c.post("/api/rate", json=[{"text": TEXT}] * 4)
        assert (r.status_code, r.json()) == (413, detail)
        # Counted before the items are validated: a long list of bad items is not looked at.
        r = c.post("/api/rate", json=[{"bogus": 1}] * 4)
        assert (r.status_code, r.json()) == (413, detail)
        assert len(c.post("/api/rate", json=[{"text": TEXT}] * 3).json()) == 3
        r = c.post("/api/articles", json=[{"text": TEXT}] * 4, headers=auth_headers)
        assert (r.status_code, r.json()) == (413, detail)
        schema = c.get("/openapi.json").json()
    rate_body = schema["paths"]["/api/rate"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    arrays = [n for n in rate_body.get("oneOf", []) + rate_body.get("anyOf", []) if n.get("type") == "array"]
    ingest_body = schema["paths"]["/api/articles"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert [a["maxItems"] for a in arrays] == [3] and ingest_body["maxItems"] == 3


def test_default_cap_is_100(client: SyncClient) -> None:
    r = client.post("/api/rate", json=[{"text": TEXT}] * 101)
    assert (r.status_code, r.json()) == (413, {"detail": "too many articles in one request: 101, the limit is 100"})


def test_reading_and_rating_run_off_the_event_loop(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a batch is being read (held here until released), the event loop still answers a GET."""
    real_submitted, real_rate = pipeline.submitted, pipeline.rate
    entered, release = threading.Event(), threading.Event()
    on_loop: list[str] = []

    def _on_loop() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def submitted(**kwargs: Any) -> Any:
        if _on_loop():
            on_loop.append("read")
        entered.set()
        release.wait(5)
        return real_submitted(**kwargs)

    def rate(*args: Any, **kwargs: Any) -> Any:
        if _on_loop():
            on_loop.append("rate")
        return real_rate(*args, **kwargs)

    monkeypatch.setattr(deps.pipeline, "submitted", submitted)
    monkeypatch.setattr(batcher_module.pipeline, "rate", rate)

    async def scenario() -> tuple[float, bool, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            post = asyncio.create_task(c.post("/api/rate", json=[{"text": TEXT}, {"text": RUMOUR}]))
            started = time.perf_counter()
            while not entered.is_set() and time.perf_counter() - started < 5:
                await asyncio.sleep(0.01)
            t = time.perf_counter()
            got = await c.get("/api/stories", params={"limit": 1})
            took, still_reading = time.perf_counter() - t, not release.is_set()
            release.set()
            rated = await post
            assert got.status_code == 200 and len(rated.json()) == 2
            return took, still_reading, rated.status_code

    took, still_reading, status = _portal_run(scenario)
    assert on_loop == []
    assert still_reading and took < 2.0 and status == 200


def test_a_full_rating_queue_answers_503(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """At most `max_waiting` articles are admitted (being read or waiting to be rated); past that a
    request is refused at once, before it is read."""
    app.state.batcher = RateBatcher(app.state.model, max_waiting=3)
    real = batcher_module._rate
    release = threading.Event()
    reads: list[int] = []
    real_articles = api_module._articles

    def counted(request: Any, items: list[Any], batch: bool) -> Any:
        reads.append(len(items))
        return real_articles(request, items, batch)

    def held(articles: list[Any], model: Any) -> Any:
        release.wait(5)
        return real(articles, model)

    monkeypatch.setattr(batcher_module, "_rate", held)
    monkeypatch.setattr(api_module, "_articles", counted)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            first = asyncio.create_task(c.post("/api/rate", json={"text": TEXT}))  # being rated, held
            await asyncio.sleep(0.3)
            queued = asyncio.create_task(c.post("/api/rate", json=[{"text": TEXT}, {"text": RUMOUR}]))  # waits
            await asyncio.sleep(0.3)
            refused = await c.post("/api/rate", json={"text": RUMOUR})  # 1 + 2 + 1 > 3 admitted
            release.set()
            return [await first, await queued, refused]

    first, queued, refused = _portal_run(scenario)
    assert (first.status_code, queued.status_code) == (200, 200)
    assert (refused.status_code, refused.json(), refused.headers["retry-after"]) == \
        (503, {"detail": "the server is busy rating other articles: try again in a moment"}, "1")
    assert reads == [1, 2]  # the refused request was never read


# --- 8. X-Forwarded-For only from proxies named to serve -----------------------------------------------

def _serve_options(*args: str, monkeypatch: pytest.MonkeyPatch) -> tuple[FastAPI, dict[str, Any]]:
    """What `truthmeter serve --workers 1 ARGS` hands uvicorn.run (the app and its options)."""
    calls: list[tuple[FastAPI, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    result = CliRunner().invoke(main, ["serve", "--workers", "1", *args])
    assert result.exit_code == 0, result.output
    return calls[0]


@contextmanager
def _uvicorn(app: FastAPI, options: dict[str, Any]) -> Iterator[str]:
    """A real uvicorn server on a free loopback port, with serve's options."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(app, **{**options, "host": "127.0.0.1", "port": port})
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def _statuses(base: str, forwarded: list[str]) -> list[int]:
    with httpx.Client(base_url=base) as c:
        return [c.post("/api/rate", json={"text": TEXT}, headers={"X-Forwarded-For": ip}).status_code
                for ip in forwarded]


def test_forwarded_for_from_loopback_is_ignored_by_default(db_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUTHMETER_BURST", "2")
    app, options = _serve_options("--db", str(db_path), "--rate-limit", "0.01", "--port", "8123",
                                  monkeypatch=monkeypatch)
    with _uvicorn(app, options) as base:
        assert _statuses(base, ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) == [200, 200, 429]
    assert options["proxy_headers"] is False


def test_forwarded_for_is_trusted_from_the_named_proxies(db_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUTHMETER_BURST", "2")
    app, options = _serve_options("--db", str(db_path), "--rate-limit", "0.01", "--proxy-headers",
                                  "--forwarded-allow-ips", "127.0.0.1", monkeypatch=monkeypatch)
    assert (options["proxy_headers"], options["forwarded_allow_ips"]) == (True, "127.0.0.1")
    with _uvicorn(app, options) as base:
        # Each forwarded client has its own budget; one client is still limited.
        assert _statuses(base, ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) == [200, 200, 200]
        assert _statuses(base, ["203.0.113.9"] * 3) == [200, 200, 429]
    app2, options2 = _serve_options("--db", str(db_path), "--proxy-headers", monkeypatch=monkeypatch)
    assert options2["forwarded_allow_ips"] == "127.0.0.1"
    for built in (app, app2):
        built.state.store.close()


def test_forwarded_allow_ips_needs_proxy_headers(db_path: Any) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", str(db_path), "--forwarded-allow-ips", "10.0.0.1"])
    assert result.exit_code == 2 and "--forwarded-allow-ips needs --proxy-headers" in result.stderr


def test_the_app_keys_clients_by_peer_address_only(make_app: Callable[..., FastAPI]) -> None:
    with _client(make_app(rate_limit=0.01, burst=2), "127.0.0.1") as c:
        codes = [c.post("/api/rate", json={"text": TEXT}, headers={"X-Forwarded-For": f"203.0.113.{i}",
                                                                    "X-Real-IP": f"203.0.113.{i}"}).status_code
                 for i in range(3)]
    assert codes == [200, 200, 429]


# --- 10. login throttling ---------------------------------------------------------------------------------

def _login(c: SyncClient, name: str, password: str) -> httpx.Response:
    if "tm_csrf" not in c.cookies:
        c.get("/login")
    return c.post("/login", data={"name": name, "password": password, "csrf_token": c.cookies["tm_csrf"]})


def test_failed_logins_are_throttled_per_account(app: FastAPI, editor: str) -> None:
    from truthmeter.newsroom.auth import LoginThrottle

    now = [1000.0]
    app.state.login_throttle = LoginThrottle(clock=lambda: now[0])
    with _client(app) as c, _client(app, "198.51.100.2") as other:
        assert [_login(c, editor, f"wrong {i}").status_code for i in range(5)] == [401] * 5
        locked = _login(c, editor, EDITOR_PASSWORD)  # the right password too: the account is locked
        assert (locked.status_code, locked.headers["retry-after"]) == (429, "900")
        assert '<p class="error" role="alert">Too many failed logins: try again in 900 s.</p>' in locked.text
        assert "tm_session" not in locked.headers.get("set-cookie", "")
        now[0] += 600
        assert _login(other, editor, EDITOR_PASSWORD).headers["retry-after"] == "300"  # from any client
        now[0] += 300  # 15 minutes after the first failure
        assert _login(other, editor, EDITOR_PASSWORD).status_code == 303


def test_failed_logins_are_throttled_per_client(app: FastAPI, editor: str) -> None:
    from truthmeter.newsroom.auth import LoginThrottle

    # A stopped clock: five real hashings may take over a second on a busy machine (899 s, not 900).
    app.state.login_throttle = LoginThrottle(clock=lambda: 1000.0)
    with _client(app) as c:
        assert [_login(c, f"guess{i}", EDITOR_PASSWORD).status_code for i in range(5)] == [401] * 5
        r = _login(c, editor, EDITOR_PASSWORD)  # another account, the same client
        assert (r.status_code, r.headers["retry-after"]) == (429, "900")
    with _client(app, "198.51.100.2") as other:
        assert _login(other, editor, EDITOR_PASSWORD).status_code == 303


def test_a_successful_login_resets_the_count(app: FastAPI, editor: str) -> None:
    with _client(app) as c:
        assert [_login(c, editor, f"wrong {i}").status_code for i in range(4)] == [401] * 4
        assert _login(c, editor, EDITOR_PASSWORD).status_code == 303
        c.cookies.delete("tm_session")
        assert [_login(c, editor, f"wrong {i}").status_code for i in range(6)] == [401] * 5 + [429]


def test_a_burst_of_logins_is_held_to_the_limit(app: FastAPI, editor: str) -> None:
    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=app, client=("198.51.100.3", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            await c.get("/login")
            data = {"name": editor, "csrf_token": c.cookies["tm_csrf"]}
            answers = await asyncio.gather(*[c.post("/login", data={**data, "password": f"x{i}"})
                                             for i in range(16)])
            return sorted(r.status_code for r in answers)

    assert _portal_run(burst) == [401] * 5 + [429] * 11


def test_hashing_busy_is_an_html_503(client: SyncClient, editor: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def busy(*args: Any, **kwargs: Any) -> Any:
        raise auth.HashingBusy("the server is busy checking other logins")

    monkeypatch.setattr(auth, "login", busy)
    r = _login(client, editor, EDITOR_PASSWORD)
    assert (r.status_code, r.headers["retry-after"]) == (503, "5")
    assert r.headers["content-type"].startswith("text/html")
    assert "the server is busy checking other logins: try again in a moment" in r.text


# --- 11. Secure cookies, the bearer scheme, HTML 503 ------------------------------------------------------

def _cookie_flags(response: httpx.Response, name: str) -> str:
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    assert found, f"no {name} cookie"
    return found[0]


@pytest.mark.parametrize("fields, secure", [
    ({"site_url": "https://news.example"}, True),
    ({"site_url": "http://127.0.0.1:8000"}, False),
    ({"site_url": "http://127.0.0.1:8000", "secure_cookies": True}, True),  # TRUTHMETER_SECURE_COOKIES
])
def test_cookies_are_secure_on_an_https_site(make_app: Callable[..., FastAPI], store: Store, editor: str,
                                             fields: dict[str, Any], secure: bool) -> None:
    with _client(make_app(**fields), base_url="https://testserver") as c:  # Secure cookies go over https only
        form = c.get("/login")
        logged_in = _login(c, editor, EDITOR_PASSWORD)
        assert logged_in.status_code == 303
        session = _cookie_flags(logged_in, "tm_session")
        page = c.get("/").text
        csrf = re.search(r'action="/logout">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page)
        assert csrf
        out = c.post("/logout", data={"csrf_token": csrf.group(1)})
    for cookie in (_cookie_flags(form, "tm_csrf"), session, _cookie_flags(out, "tm_session")):
        assert ("; Secure" in cookie or "; secure" in cookie) is secure, cookie


def test_openapi_declares_the_bearer_scheme(client: SyncClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"] == {"bearerAuth": {
        "type": "http", "scheme": "bearer", "bearerFormat": "tm_...",
        "description": "An API token: `truthmeter token create --user NAME` prints one."}}
    secured = {(m.upper(), p) for p, ops in schema["paths"].items() for m, op in ops.items()
               if op.get("security") == [{"bearerAuth": []}]}
    assert secured == {("POST", "/api/articles"), ("PUT", "/api/stories/{story_id}/rating"),
                       ("PUT", "/api/stories/{story_id}/claim"), ("PUT", "/api/stories/{story_id}/summary"),
                       ("POST", "/api/stories/{story_id}/publish"),
                       ("POST", "/api/stories/{story_id}/unpublish"), ("GET", "/api/queue"), ("GET", "/api/audit")}
    public = [op for ops in schema["paths"].values() for op in ops.values() if "security" not in op]
    assert len(public) == sum(len(ops) for ops in schema["paths"].values()) - len(secured)


def test_pages_get_an_html_503_when_the_database_is_unavailable(client: SyncClient, store: Store,
                                                                story_id: str) -> None:
    store.close()
    for path in ("/", f"/stories/{story_id}", "/outlets"):
        r = client.get(path)
        assert r.status_code == 503 and r.headers["content-type"].startswith("text/html"), path
        assert "<h1>Service unavailable</h1>" in r.text
        assert '<p class="error" role="alert">The database could not complete the request: try again in a moment.</p>' \
            in r.text
        assert "newsroom.db" not in r.text and r.headers["cache-control"] == "no-store"
    r = client.get("/api/stories")  # the API keeps its JSON
    assert (r.status_code, r.json()) == (503, {"detail": "the database could not complete the request"})
