"""truthmeter: read celebrity news, rate each story 0 (false) to 10 (true), with the reasons.

    import truthmeter
    for item in truthmeter.rate(list(truthmeter.read("examples/"))):
        print(item.article.title, item.rating.truth_rating, item.rating.verdict.value)
"""

from __future__ import annotations

from truthmeter.errors import DataError, FetchError, ModelError, ParseError, StoreError, TruthmeterError
from truthmeter.pipeline import IngestReport, evaluate, in_stories, ingest, load_model, rate, rate_stream, read
from truthmeter.types import (Article, Claim, ClaimBasis, Label, Origin, Quote, RatedArticle, Rating, Signal, Stance,
                              StoryContext, Verdict)

__all__ = [
    "read", "rate", "rate_stream", "in_stories", "ingest", "evaluate", "load_model", "open_store", "IngestReport",
    "Article", "Rating", "RatedArticle", "Signal", "Quote", "Origin", "Verdict", "Label", "Stance", "StoryContext",
    "Claim", "ClaimBasis",
    "TruthmeterError", "ParseError", "FetchError", "ModelError", "StoreError", "DataError",
]


def open_store(target: str | None = None):  # type: ignore[no-untyped-def]
    """Open (and migrate) the article database: a SQLite path, ':memory:', or the default."""
    from truthmeter.store import open_store as _open

    return _open(target)
