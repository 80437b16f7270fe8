"""The newsroom web app: the site (pages), the REST API (/api), static files and the shared guards.

`create_app(WebConfig(...))` is what `truthmeter serve` runs (`served` in each worker process of
`serve --workers N`); `factory` is the same for `uvicorn --factory truthmeter.web.app:factory`,
configured from TRUTHMETER_* variables.
There is deliberately no module-level app: importing this module opens nothing.
"""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Iterable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from truthmeter import pipeline
from truthmeter.errors import ParseError, StoreError
from truthmeter.newsroom.auth import LoginThrottle
from truthmeter.newsroom.desk import UnknownStory
from truthmeter.store import open_store
from truthmeter.web import api, pages
from truthmeter.web.api_models import MANY_TAG, ONE_TAG
from truthmeter.web.config import WebConfig
from truthmeter.web.deps import LoginRequired
from truthmeter.web.batcher import Busy, RateBatcher
from truthmeter.web.limits import BodySizeLimit, RateLimiter

__all__ = ["create_app", "factory", "served", "SERVED_CONFIG", "SecurityHeaders", "HeadAsGet", "CSP", "DOCS_CSP"]

log = logging.getLogger("truthmeter.web")

STATIC_DIR = Path(__file__).parent / "static"
CSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
# Swagger UI 5 is served from the fastapi-offline package (no CDN: no network at run time) and booted by
# /static/docs.js, so no inline script runs on /docs either; its components set inline styles and draw
# icons from data: URLs, allowed there only.
DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
DOCS_ASSETS = "/docs-assets"
_DOCS_PATHS = ("/docs",)

_DESCRIPTION = """Rate celebrity news from 0 (false) to 10 (true), browse stories and outlets' track records,
and run the editorial desk. Reading is public; writes need `Authorization: Bearer <token>` (create one
with `truthmeter token create --user NAME`). Errors are `{"detail": "one line"}`. /openapi.json is the
complete description; /docs shows it with Swagger UI, served locally."""


class SecurityHeaders:
    """Pure-ASGI: CSP, nosniff and referrer policy on every response (the relaxed CSP on /docs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = (DOCS_CSP if scope["path"] in _DOCS_PATHS else CSP).encode()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"content-security-policy", csp),
                                      (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
            await send(message)

        await self.app(scope, receive, with_headers)


class HeadAsGet:
    """Pure-ASGI: HEAD is answered as GET is, without the body (FastAPI routes declare GET only, and
    link checkers and feed validators ask with HEAD). The headers, Content-Length included, are GET's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


def create_app(config: WebConfig) -> FastAPI:
    """Open the store and load the model once (closing the store at shutdown), and assemble the app.
    Raise ModelError / StoreError (one line) when either cannot be opened."""
    model = pipeline.load_model(config.model_dir)
    store = open_store(config.db)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Opened in create_app already (ASGI clients that send no lifespan events work too); an app
        # started again after a shutdown (a test client per request) opens a fresh store.
        if app.state.store_closed:
            app.state.store, app.state.store_closed = open_store(config.db), False
        try:
            yield
        finally:
            app.state.store.close()
            app.state.store_closed = True

    app = FastAPI(title="truthmeter newsroom", description=_DESCRIPTION, version=_version(), lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_tags=_TAGS)
    app.state.config, app.state.store, app.state.model, app.state.store_closed = config, store, model, False
    app.state.limiter = RateLimiter(config.rate_limit, config.burst)
    app.state.batcher = RateBatcher(model)
    app.state.login_throttle = LoginThrottle()
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _docs(app)
    _handlers(app)
    app.add_middleware(HeadAsGet)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodySizeLimit, limit=config.max_body_bytes)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">
</head>
<body>
<div id="swagger-ui" data-openapi-url="/openapi.json"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body>
</html>
"""


def _docs(app: FastAPI) -> None:
    import html

    import fastapi_offline

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=assets), name="docs-assets")
    page = _DOCS_PAGE.format(title=html.escape(f"{app.title} API"), assets=DOCS_ASSETS)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page)


def factory() -> FastAPI:
    """Zero-argument app factory for `uvicorn --factory truthmeter.web.app:factory`."""
    return create_app(WebConfig.from_env())


# The environment variable through which `truthmeter serve --workers N` hands its settings (built from
# its options and the environment, as JSON) to the worker processes: they are spawned, not forked, so
# they inherit the environment and nothing else.
SERVED_CONFIG = "TRUTHMETER_SERVED_CONFIG"


def served() -> FastAPI:
    """The app factory each worker process of `truthmeter serve --workers N` runs (without serve's
    settings in the environment, the same as `factory`)."""
    raw = os.environ.get(SERVED_CONFIG)
    return create_app(WebConfig.from_json(raw) if raw else WebConfig.from_env())


_TAGS = [{"name": "rating", "description": "Rate articles (no account needed; rate-limited per client)."},
         {"name": "articles", "description": "Stored articles."},
         {"name": "stories", "description": "Stories: articles grouped by the claim they report."},
         {"name": "outlets", "description": "Outlets' track records and stored fact-checks."},
         {"name": "desk",
          "description": "The editorial desk (Bearer token): queue, claims, ratings, publishing, audit."}]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("truthmeter")
    except PackageNotFoundError:
        return "0"


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_message(exc.errors())}, status_code=422)

    @app.exception_handler(ParseError)
    async def unreadable(request: Request, exc: ParseError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(UnknownStory)
    async def no_story(request: Request, exc: UnknownStory) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(StoreError)
    async def store_failed(request: Request, exc: StoreError) -> JSONResponse | HTMLResponse:
        # The message names the database file: logged for the operator, not shown to the client.
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return unavailable(request, "the database could not complete the request")

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy) -> JSONResponse | HTMLResponse:
        return unavailable(request, str(exc), retry_after=exc.retry_after)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='/')}", status_code=303)


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith(("/api/", "/openapi.json", "/docs"))


def unavailable(request: Request, message: str, *, retry_after: int | None = None) -> JSONResponse | HTMLResponse:
    """A 503: `{"detail": message}` for the API, the HTML error page for the site's pages. The page is
    rendered without the store (it may be what is unavailable): no editor is shown as logged in."""
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    if _is_api(request.url.path):
        return JSONResponse({"detail": message}, status_code=503, headers=headers)
    from truthmeter.web.templating import templates

    context = {"editor": None, "session_csrf": "", "form_csrf": "", "heading": "Service unavailable",
               "description": "Service unavailable", "og_type": "website", "noindex": True, "canonical": "",
               "message": message[:1].upper() + message[1:] + ": try again in a moment."}
    return templates.TemplateResponse(request, "error.html", context, status_code=503,
                                      headers={**headers, "Cache-Control": "no-store"})


def validation_message(errors: Iterable[Any]) -> str:
    """FastAPI's list of validation errors as one line: 'item 2: text: Field required; limit: ...'."""
    parts = []
    for e in errors:
        if e.get("type") == "json_invalid":
            parts.append(f"invalid JSON: {e.get('ctx', {}).get('error', e.get('msg'))}")
            continue
        source, *path = e.get("loc") or ("body",)
        shown = [f"item {x}" if isinstance(x, int) else str(x) for x in path if x not in (ONE_TAG, MANY_TAG)]
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{': '.join(shown) or source}: {msg}")
    return "; ".join(parts) or "invalid request"


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with the 422 body corrected to what validation_message answers."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes,
                         tags=app.openapi_tags)
    _cap_arrays(schema, ("/api/rate", "/api/articles"), app.state.config.max_articles)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("ValidationError", None)
    components["HTTPValidationError"] = {"title": "HTTPValidationError", "type": "object",
                                         "properties": {"detail": {"type": "string", "title": "Detail"}},
                                         "required": ["detail"]}
    app.openapi_schema = schema
    return schema


def _cap_arrays(schema: dict[str, Any], paths: Iterable[str], cap: int) -> None:
    """maxItems on the request bodies' arrays of articles: the server's cap, checked by the app
    (not by the models, so that it is declared once, in WebConfig)."""
    for path in paths:
        body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        for node in [body, *body.get("oneOf", []), *body.get("anyOf", [])]:
            if node.get("type") == "array":
                node["maxItems"] = cap
