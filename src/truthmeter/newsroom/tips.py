"""Readers' tips: an article a reader checked and sent on to the editors' review queue."""

from __future__ import annotations

from truthmeter.model import TruthModel
from truthmeter.newsroom.records import Tip
from truthmeter.pipeline import ingest_articles
from truthmeter.store import Store
from truthmeter.types import Article, content_hash

__all__ = ["send_tip"]


def send_tip(store: Store, model: TruthModel | None, article: Article, note: str | None) -> Tip:
    """Store the article (rated, in a story like any ingested one; kept once if already stored)
    and record the tip against it, so its story gains weight in the queue. A blank note is none."""
    ingest_articles([article], store, model)
    note = note.strip() if note else None
    return store.desk.add_tip(content_hash(article.title, article.body), note or None)
