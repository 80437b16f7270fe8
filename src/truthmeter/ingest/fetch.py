"""Fetching a URL: bounded in time and size; every failure is one FetchError, never an exception."""

from __future__ import annotations

import httpx

from .. import settings
from ..errors import FetchError

__all__ = ["fetch"]

_USER_AGENT = "truthmeter/0 (+https://example.invalid/truthmeter)"


def _limit_reason(limit: int) -> str:
    return f"could not fetch: response is over the {limit / 1e6:g} MB limit (set TRUTHMETER_FETCH_MAX_BYTES)"


def fetch(url: str) -> tuple[bytes, str]:
    """Return (body, content type) or raise FetchError(url, "could not fetch: <reason>")."""
    limit = int(settings.get("fetch_max_bytes"))  # type: ignore[call-overload]
    timeout = float(settings.get("fetch_timeout"))  # type: ignore[arg-type]
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True,
                          headers={"User-Agent": _USER_AGENT}) as response:
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
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        raise FetchError(url, f"could not fetch: {str(exc) or type(exc).__name__}") from exc
