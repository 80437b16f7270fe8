"""Request dependencies shared by the API and the pages: the store, the model, who is asking.

Editors prove who they are with an API token (`Authorization: Bearer tm_...`, for scripts) or the
`tm_session` cookie (browsers). A cookie rides along on cross-site requests, so every state-changing
request made with it must also carry the session's CSRF token: a form field on pages
(`check_csrf`), an `X-CSRF-Token` header on the API.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from truthmeter import pipeline
from truthmeter.errors import ParseError
from truthmeter.ingest.fetch import guarded, refuse_non_public
from truthmeter.model import TruthModel
from truthmeter.newsroom import auth
from truthmeter.newsroom.records import Session
from truthmeter.store import Store
from truthmeter.types import Article
from truthmeter.web.config import WebConfig

__all__ = ["SESSION_COOKIE", "CSRF_HEADER", "BEARER_SCHEME", "LoginRequired", "store", "model", "config",
           "bearer_editor", "current_session", "editor_from_session", "require_editor_page", "require_api_editor",
           "check_csrf", "submitted_article", "url_shape_error"]

SESSION_COOKIE = "tm_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_UNSET = object()
BEARER_SCHEME = "bearerAuth"
# Declares the scheme in OpenAPI (components.securitySchemes, and `security` on each operation that
# depends on require_api_editor); it decides nothing: require_api_editor reads the header itself.
_bearer_scheme = HTTPBearer(scheme_name=BEARER_SCHEME, auto_error=False, bearerFormat="tm_...",
                            description="An API token: `truthmeter token create --user NAME` prints one.")


class LoginRequired(Exception):
    """Raised by require_editor_page; the app answers it with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def store(request: Request) -> Store:
    return request.app.state.store


def model(request: Request) -> TruthModel:
    return request.app.state.model


def config(request: Request) -> WebConfig:
    return request.app.state.config


def _bearer(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header, '' for any other or empty Authorization,
    None without the header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def bearer_editor(request: Request) -> str | None:
    """The editor a valid Bearer token acts for, else None (looked up once per request)."""
    cached = getattr(request.state, "bearer_editor", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    token = _bearer(request)
    editor = auth.token_editor(store(request).desk, token) if token else None
    request.state.bearer_editor = editor
    return editor


def current_session(request: Request) -> Session | None:
    """The live session of the `tm_session` cookie, else None (looked up once per request)."""
    cached = getattr(request.state, "editor_session", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    secret = request.cookies.get(SESSION_COOKIE)
    found = auth.session_editor(store(request).desk, secret) if secret else None
    request.state.editor_session = found
    return found


def editor_from_session(request: Request) -> str | None:
    found = current_session(request)
    return found.user if found else None


def require_editor_page(request: Request) -> str:
    """Pages: the logged-in editor, or a redirect to /login (LoginRequired)."""
    editor = editor_from_session(request)
    if editor is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return editor


def require_api_editor(request: Request,
                       _declared: HTTPAuthorizationCredentials | None = Depends(_bearer_scheme)) -> str:
    """API: the editor of a Bearer token or of a session cookie (with X-CSRF-Token on writes).
    401 without credentials, 403 with wrong ones."""
    token = _bearer(request)
    if token is not None:
        editor = bearer_editor(request) if token else None
        if editor is None:
            if not token:
                raise HTTPException(401, "expected an Authorization: Bearer <token> header",
                                    headers={"WWW-Authenticate": "Bearer"})
            raise HTTPException(403, "invalid or revoked API token")
        return editor
    if request.cookies.get(SESSION_COOKIE) is None:
        raise HTTPException(401, "an API token is required (Authorization: Bearer <token>)",
                            headers={"WWW-Authenticate": "Bearer"})
    found = current_session(request)
    if found is None:
        raise HTTPException(403, "the session has expired: log in again")
    if request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), found.csrf.encode()):
            raise HTTPException(403, f"missing or wrong {CSRF_HEADER} header")
    return found.user


def check_csrf(request: Request, form_token: str | None) -> None:
    """Pages: 403 unless `form_token` is the logged-in session's CSRF token."""
    found = current_session(request)
    if found is None or not form_token or not hmac.compare_digest(form_token.encode(), found.csrf.encode()):
        raise HTTPException(403, "the form has expired or did not come from this site: reload it and try again")


def submitted_article(request: Request, *, text: str | None = None, title: str | None = None,
                      url: str | None = None, origin: str = "submitted") -> Article:
    """An article a person handed over (form or API), with the web's rules first: text length
    capped, URLs only http(s) and, unless allowed, neither they nor any page they redirect to may
    point into the server's own networks. Raise ParseError (FetchError for a URL) with a one-line reason."""
    cfg = config(request)
    if not url:
        if text and len(text) > cfg.max_text_chars:
            raise ParseError(origin, None, f"text is longer than {cfg.max_text_chars} characters")
        return pipeline.submitted(text=text, title=title, origin=origin)
    why = url_shape_error(url)
    if why is not None:
        raise ParseError(url, None, why)
    if cfg.fetch_private:
        return pipeline.submitted(url=url, origin=origin)
    # The guard sees the first request and every redirect hop; each host is resolved once, and the
    # fetch connects to the address that was vetted (no second lookup for DNS rebinding to answer).
    with guarded(url_shape_error, addresses=refuse_non_public):
        return pipeline.submitted(url=url, origin=origin)


def url_shape_error(url: str) -> str | None:
    """Why `url` is not one the web app fetches at all (not http(s), malformed), or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 (raises ValueError on a port out of range)
    except ValueError:
        return "not a valid URL"
    if parts.scheme.lower() not in ("http", "https") or not host:
        return "only http:// and https:// URLs can be fetched"
    return None
