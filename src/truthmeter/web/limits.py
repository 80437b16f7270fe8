"""Abuse limits: a cap on request body size (pure ASGI) and a per-client token-bucket rate limiter."""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from typing import Callable

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodySizeLimit", "RateLimiter", "rate_limited", "body_too_large"]


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

    def take(self, key: str) -> float:
        """Spend one token for `key`: 0 when allowed, else the seconds until one is available."""
        if self.rate <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[key] = (tokens - 1 if wait == 0 else tokens, now)
            self._evict(now)
        return wait

    def _evict(self, now: float) -> None:
        refill = self.burst / self.rate
        # Oldest first: stop at the first bucket still refilling, the rest are newer.
        while self._buckets:
            key, (_, at) = next(iter(self._buckets.items()))
            if now - at < refill and len(self._buckets) <= self.max_clients:
                break
            del self._buckets[key]


def rate_limited(request: Request) -> None:
    """Dependency: 429 with Retry-After once a client spends its burst; a valid API token skips it."""
    from truthmeter.web.deps import bearer_editor

    limiter: RateLimiter = request.app.state.limiter
    if limiter.rate <= 0:
        return
    wait = limiter.take(request.client.host if request.client else "unknown")
    # The token is looked up (a database read) only once the client's budget is spent, so the
    # common case costs nothing; a token holder's requests do draw on its address's budget.
    if wait > 0 and bearer_editor(request) is None:
        seconds = max(1, math.ceil(wait))
        raise HTTPException(429, f"too many requests: try again in {seconds} s",
                            headers={"Retry-After": str(seconds)})
