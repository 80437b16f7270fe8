"""Storing articles already rated (by an engine): the write half of `pipeline.ingest_articles`."""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Callable, Iterable

from truthmeter import settings
from truthmeter.errors import ParseError
from truthmeter.pipeline import IngestReport
from truthmeter.types import RatedArticle

if TYPE_CHECKING:
    from truthmeter.store.base import Store

__all__ = ["store_rated"]


def store_rated(items: Iterable[RatedArticle | ParseError], store: "Store", *,
                on_item: Callable[[RatedArticle | ParseError], None] | None = None,
                stories: bool = True) -> IngestReport:
    """Store rated articles in input order, one transaction per batch of `batch_size` items, each new
    article joining its story in that transaction: the same batches, so the same stories, as a local
    ingest of the same input. Errors are counted and passed to `on_item` in place."""
    from truthmeter.stories.service import StoryService  # only ingest needs the clusterer

    report = IngestReport()
    size = int(settings.get("batch_size"))  # type: ignore[call-overload]
    service = StoryService(store) if stories else None
    if service:
        service.backfill(size)
    it = iter(items)
    while chunk := list(islice(it, size)):
        good = [x for x in chunk if isinstance(x, RatedArticle)]
        report.errors.extend(x for x in chunk if isinstance(x, ParseError))
        report.read += len(good)
        update = service.plan(service.new_items(good)) if service and good else None
        report.new += store.add(good, stories=update) if good else 0
        if on_item:
            for x in chunk:
                on_item(x)
    if service:
        report.new_stories, report.updated_stories = service.report.new_stories, service.report.updated_stories
    return report
