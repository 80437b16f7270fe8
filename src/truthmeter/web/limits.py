"""Abuse limits: a cap on request body size (pure ASGI), a cap on articles per request, and a
per-client token-bucket rate limiter that charges a request for the articles it carries."""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from typing import Callable

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodySizeLimit", "RateLimiter", "rate_limited", "articles_limited", "article_cap", "client_key",
           "body_too_large"]


def body_too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"request body too large: the limit is {limit} bytes")


class BodySizeLimit:
    """Answer 413 to bodies over `limit` bytes: at once when Content-Length says so, and while
    streaming otherwise (a chunked body, or a Content-Length that lies), before the app buffers it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await _send_413(send, self.limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    # Raised inside the endpoint's body read, so FastAPI answers it like any HTTPException.
                    raise body_too_large(self.limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except HTTPException as exc:  # read outside FastAPI's handlers (another middleware)
            if exc.status_code != 413 or started:
                raise
            await _send_413(send, self.limit)


async def _send_413(send: Send, limit: int) -> None:
    body = json.dumps({"detail": body_too_large(limit).detail}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """Token buckets per client key: `rate` tokens a second, at most `burst` saved up.

    A request costs what it carries (one token per article). A cost larger than the burst is
    allowed on a full bucket and leaves it in debt, so the long-run rate holds whatever the batch
    size: a client sending 100-article batches at 20/s waits 5 s between them.

    Memory is bounded: a bucket idle long enough to be full again is the same as no bucket, so
    those are dropped; beyond `max_clients` the least recently seen go first.
    """

    def __init__(self, rate: float, burst: int, *, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.max_clients, self._clock = rate, burst, max_clients, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: str, cost: int = 1) -> float:
        """Spend `cost` tokens for `key`: 0 when allowed, else the seconds until it would be."""
        if self.rate <= 0:
            return 0.0
        now = self._clock()
        cost = max(int(cost), 1)
        need = min(float(cost), float(self.burst))
        with self._lock:
            tokens, at = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            wait = 0.0 if tokens >= need else (need - tokens) / self.rate
            self._buckets[key] = (tokens - cost if wait == 0 else tokens, now)
            self._evict(now)
        return wait

    def _evict(self, now: float) -> None:
        # Oldest first: stop at the first bucket not yet full again (most of the rest are newer).
        while self._buckets:
            key, (tokens, at) = next(iter(self._buckets.items()))
            if tokens + (now - at) * self.rate < self.burst and len(self._buckets) <= self.max_clients:
                break
            del self._buckets[key]


def client_key(request: HTTPConnection) -> str:
    """Who a request's budget belongs to: the peer address of the connection. X-Forwarded-For is
    never read here: behind a reverse proxy, `truthmeter serve --proxy-headers --forwarded-allow-ips
    ADDRS` makes uvicorn put the forwarded client in the connection's address, for those proxies only."""
    return request.client.host if request.client else "unknown"


def rate_limited(request: Request, cost: int = 1) -> None:
    """Dependency: 429 with Retry-After once a client spends its burst; a valid API token skips it.
    Called directly with `cost` for requests that carry several articles."""
    limiter: RateLimiter = request.app.state.limiter
    if limiter.rate <= 0:
        return
    _refuse_over_budget(request, limiter.take(client_key(request), cost))


def _refuse_over_budget(request: Request, wait: float) -> None:
    from truthmeter.web.deps import bearer_editor

    # The token is looked up (a database read) only once the client's budget is spent, so the
    # common case costs nothing; a token holder's requests do draw on its address's budget.
    if wait > 0 and bearer_editor(request) is None:
        seconds = max(1, math.ceil(wait))
        raise HTTPException(429, f"too many requests: try again in {seconds} s",
                            headers={"Retry-After": str(seconds)})


async def _article_count(request: Request) -> int:
    """How many articles the request's JSON body carries (the items of an array, else 1). FastAPI
    has parsed the body before dependencies run, so this reads its cached value."""
    kind = request.headers.get("content-type", "").lower()
    if kind and "json" not in kind:
        return 1
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):  # FastAPI answers it with 422
        return 1
    return len(body) if isinstance(body, list) else 1


async def article_cap(request: Request) -> int:
    """Dependency: 413 for a request carrying more than `max_articles` articles, checked before
    the items are validated; else the number it carries."""
    count = await _article_count(request)
    cap = request.app.state.config.max_articles
    if count > cap:
        raise HTTPException(413, f"too many articles in one request: {count}, the limit is {cap}")
    return count


async def articles_limited(request: Request) -> None:
    """Dependency of POST /api/rate: the cap on articles per request, then the rate limit charged
    one token per article (the token lookup, a database read, off the event loop)."""
    count = await article_cap(request)
    limiter: RateLimiter = request.app.state.limiter
    if limiter.rate <= 0:
        return
    wait = limiter.take(client_key(request), max(count, 1))
    if wait > 0:
        await run_in_threadpool(_refuse_over_budget, request, wait)
