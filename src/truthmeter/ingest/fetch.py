"""Fetching a URL: bounded in time and size; every failure is one FetchError, never an exception.

A caller that must not let URLs reach certain hosts (the web app: nothing on the server's own
networks) installs a guard with `guarded(check)`; the guard sees every request the fetch makes,
redirect hops included, so a public page cannot redirect the fetch inward.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

import httpx

from .. import settings
from ..errors import FetchError

__all__ = ["fetch", "guarded", "UrlCheck"]

UrlCheck = Callable[[str], "str | None"]
"""A URL check: None to allow the request, else the reason it is refused."""

_GUARD: ContextVar[UrlCheck | None] = ContextVar("truthmeter_fetch_guard", default=None)


@contextmanager
def guarded(check: UrlCheck) -> Iterator[None]:
    """Within the block, every request a fetch makes (each redirect hop too) must pass `check`."""
    token = _GUARD.set(check)
    try:
        yield
    finally:
        _GUARD.reset(token)


class _Refused(Exception):
    def __init__(self, url: str, why: str) -> None:
        super().__init__(why)
        self.url, self.why = url, why


def _hooks() -> dict[str, list[Callable[[httpx.Request], None]]]:
    check = _GUARD.get()
    if check is None:
        return {}

    def on_request(request: httpx.Request) -> None:
        why = check(str(request.url))
        if why is not None:
            raise _Refused(str(request.url), why)

    return {"request": [on_request]}

_USER_AGENT = "truthmeter/0 (+https://example.invalid/truthmeter)"


def _limit_reason(limit: int) -> str:
    return f"could not fetch: response is over the {limit / 1e6:g} MB limit (set TRUTHMETER_FETCH_MAX_BYTES)"


def fetch(url: str) -> tuple[bytes, str]:
    """Return (body, content type) or raise FetchError(url, "could not fetch: <reason>")."""
    limit = int(settings.get("fetch_max_bytes"))  # type: ignore[call-overload]
    timeout = float(settings.get("fetch_timeout"))  # type: ignore[arg-type]
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, event_hooks=_hooks(),
                          headers={"User-Agent": _USER_AGENT}) as client, client.stream("GET", url) as response:
            if response.status_code >= 400:
                status = f"{response.status_code} {response.reason_phrase}".strip()
                raise FetchError(url, f"could not fetch: HTTP {status}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise FetchError(url, _limit_reason(limit))
            chunks, total = [], 0
            # Stop reading as soon as the limit is passed rather than trusting Content-Length.
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > limit:
                    raise FetchError(url, _limit_reason(limit))
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("content-type", "").lower()
    except FetchError:
        raise
    except _Refused as exc:
        hop = "" if exc.url == str(httpx.URL(url)) else f"redirected to {exc.url}: "
        raise FetchError(url, f"could not fetch: {hop}{exc.why}") from None
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        raise FetchError(url, f"could not fetch: {str(exc) or type(exc).__name__}") from exc
