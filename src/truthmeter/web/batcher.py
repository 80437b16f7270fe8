"""Reading and micro-batched rating for POST /api/rate, all of it off the event loop.

Rating one article costs ~4 ms, most of it fixed per call (lexical.v1's weighting multiplies by a
diagonal sparse matrix, ~1.2 ms a call whatever the rows); a batch costs ~1 ms per article. While one
batch is being rated in a worker thread, new requests queue up and go in the next batch, so an idle
server adds no waiting and a busy one rates more per call. Results do not depend on the batch an
article lands in (each article's features and rating are its own).

Reading the submitted articles (parsing pasted text: CPU; fetching URLs: waiting on the network)
runs in worker threads too, under limiters of their own, so a flood of submissions neither blocks
the event loop nor takes every thread of the pool that the other endpoints run in. Turning the
results into the API's dicts happens in the rating thread.

Work is admitted, not queued without end: past `max_waiting` articles being read or waiting to be
rated, a request gets `Busy` at once (the app answers 503 with Retry-After), before anything of it is
read, instead of memory and latency growing without limit.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Callable

import anyio
import anyio.to_thread

from truthmeter import pipeline
from truthmeter.model import TruthModel
from truthmeter.types import Article

__all__ = ["RateBatcher", "Busy"]

Rated = dict[str, Any]


class Busy(Exception):
    """Too many articles are already admitted: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int = 1) -> None:
        super().__init__("the server is busy rating other articles: try again in a moment")
        self.retry_after = retry_after


def _rate(articles: list[Article], model: TruthModel) -> list[Rated]:
    return [r.to_dict() for r in pipeline.rate(articles, model)]


class RateBatcher:
    """Read and rate articles for many concurrent callers on one event loop, one rating batch at a
    time; each caller gets its articles' `RatedArticle.to_dict()`s, in order.

    `max_articles`: articles per model call; `max_waiting`: articles admitted at once (read or
    waiting to be rated); `readers`: threads parsing pasted text at once; `fetchers`: threads
    fetching URLs at once.
    """

    def __init__(self, model: TruthModel, max_articles: int = 64, max_waiting: int = 1000, *,
                 readers: int = 2, fetchers: int = 8) -> None:
        self._model = model
        self._max = max_articles
        self._max_waiting = max_waiting
        self._readers, self._fetchers = readers, fetchers
        self._limiters: dict[bool, anyio.CapacityLimiter] = {}
        self._waiting: deque[tuple[list[Article], asyncio.Future[list[Rated]]]] = deque()
        self._admitted = 0  # articles between admission and their ratings
        self._running = False

    async def rate(self, read: Callable[[], list[Article]], count: int, *, fetches: bool = False) -> list[Rated]:
        """Admit `count` articles, `read()` them in a worker thread (a fetching one when `fetches`)
        and rate them in the next batch. Busy when admitting them would pass `max_waiting` (a single
        request larger than that is still taken when nothing else is admitted); read()'s exceptions
        are the caller's."""
        if self._admitted and self._admitted + count > self._max_waiting:
            raise Busy()
        self._admitted += count
        try:
            articles = await anyio.to_thread.run_sync(read, limiter=self._limiter(fetches))
            return await self._rated(articles)
        finally:
            self._admitted -= count

    def _limiter(self, fetches: bool) -> anyio.CapacityLimiter:
        # Made on first use: a CapacityLimiter belongs to the event loop that runs the app.
        if fetches not in self._limiters:
            self._limiters[fetches] = anyio.CapacityLimiter(self._fetchers if fetches else self._readers)
        return self._limiters[fetches]

    async def _rated(self, articles: list[Article]) -> list[Rated]:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[list[Rated]] = loop.create_future()
        self._waiting.append((articles, done))
        if not self._running:
            self._running = True
            loop.create_task(self._drain())
        return await done

    def _next_batch(self) -> list[tuple[list[Article], asyncio.Future[list[Rated]]]]:
        batch = [self._waiting.popleft()]
        size = len(batch[0][0])
        while self._waiting and size + len(self._waiting[0][0]) <= self._max:
            size += len(self._waiting[0][0])
            batch.append(self._waiting.popleft())
        return batch

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = self._next_batch()
                flat = [a for articles, _ in batch for a in articles]
                try:
                    rated = await anyio.to_thread.run_sync(_rate, flat, self._model)
                except Exception as exc:  # each caller gets the error its own request caused
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                    continue
                start = 0
                for articles, done in batch:
                    if not done.done():  # a caller that went away has a cancelled future
                        done.set_result(rated[start:start + len(articles)])
                    start += len(articles)
        finally:
            self._running = False
