"""The only place the steps meet: ingest -> parse -> features -> model -> rating -> store."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

from truthmeter import settings
from truthmeter._ordered import can_fork, in_order, two_or_more
from truthmeter.errors import ParseError
from truthmeter.features import make_doc
from truthmeter.ingest import read_items
import numpy as np

from truthmeter.errors import DataError
from truthmeter.model import DEFAULT_MODEL_DIR, Metrics, TruthModel, metrics
from truthmeter.reasons import explain_batch, fact_check_reason, gate_reasons
from truthmeter.parse import parse, parse_each
from truthmeter.rating import fact_check_rating, make_rating
from truthmeter.types import (Article, FactCheck, Origin, RatedArticle, RawDocument, Stance, Story, StoryContext,
                              content_hash)


T = TypeVar("T")

__all__ = ["read", "submitted", "load_model", "rate", "rate_stream", "in_stories", "ingest", "ingest_articles", "store_rated",
           "IngestReport", "evaluate", "calibrated_on"]


def read(paths: str | os.PathLike | Iterable[str | os.PathLike], *, text_field: str | None = None
         ) -> Iterator[Article | ParseError]:
    """Articles from files, folders, '-' or URLs, in order; a bad item yields its ParseError."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    yield from parse_each(read_items([str(p) for p in paths], text_field=text_field))


def submitted(*, text: str | None = None, title: str | None = None, url: str | None = None,
              origin: str = "submitted") -> Article:
    """One article as a person hands it over (a web form, an API call): pasted text with an optional
    title, or a URL to fetch. Raise ParseError (FetchError for a URL) naming `origin` and why."""
    if url:
        first = next(iter(read([url])), None)
        if first is None:
            raise ParseError(url, None, "no article found at this URL")
        if isinstance(first, ParseError):
            raise first
        return first
    if not text or not text.strip():
        raise ParseError(origin, None, "no text given")
    where = Origin(origin)
    # Without a separate title, pasted text is read like a seed file: headline first, bylines and
    # footers kept out of the body.
    doc = (RawDocument(where, "record", text, {"title": title}) if title and title.strip()
           else RawDocument(where, "text", text))
    return parse(doc)


@lru_cache(maxsize=4)
def _load(path: str) -> TruthModel:
    return TruthModel.load(path)


def load_model(path: str | os.PathLike | None = None) -> TruthModel:
    """A model directory, else TRUTHMETER_MODEL, else the default model shipped in the package."""
    chosen = path or settings.get("model") or DEFAULT_MODEL_DIR
    return _load(str(Path(chosen).resolve()))


def rate(articles: Article | Sequence[Article], model: TruthModel | None = None, *, signals: int = 5,
         reasons: bool = True) -> list[RatedArticle]:
    """Rate articles: calibrated p_true, 0-10 rating (None when Unrated), verdict, label, the top
    `signals` and, when there are any and `reasons`, the reasons (reasons.py: the contributions by
    family; the store keeps signals only, so ingest skips them). With `signals=0` no explanation is
    computed at all: the signals hold only the verdict gate's (unrated, capped) or the published
    fact-check's, and there are no reasons. Ratings are the same whatever `signals` and however
    many articles one call gets."""
    batch = [articles] if isinstance(articles, Article) else list(articles)
    if not batch:
        return []
    model = model or load_model()
    if len(batch) > RATE_CHUNK:
        # Rated a chunk at a time (each article's rating does not depend on its batch): a batch's
        # explanations reuse the grams its features just built, which are kept for one chunk only.
        return [r for i in range(0, len(batch), RATE_CHUNK)
                for r in _rate_batch(batch[i:i + RATE_CHUNK], model, signals, reasons)]
    return _rate_batch(batch, model, signals, reasons)


# Articles rated at a time within one `rate` call (a bigger call is split): 10k articles rated as one
# batch took 1.9x the CPU of batches of 512, split they take the same (bench/rate_throughput.py --only api).
RATE_CHUNK = 512


def _rate_batch(batch: list[Article], model: TruthModel, signals: int, reasons: bool) -> list[RatedArticle]:
    docs = [make_doc(a) for a in batch]
    # Without signals nothing is explained: the features skip what only explanations need.
    X = model.features(docs, explain=signals > 0)
    probs = model.adjust(model.proba(X), docs)
    out = []
    for i, (a, (sig, why)) in enumerate(zip(batch, explain_batch(model, docs, X, signals, reasons=reasons))):
        if a.fact_check_rating is not None:
            r = fact_check_rating(a.fact_check_rating, sig, model.name)
            why = (fact_check_reason(a.fact_check_rating), *why) if signals > 0 and reasons else why
        else:
            # The doc built for the model also decides whether the text earns a rating (rating.py).
            r = make_rating(float(probs[i]), model.threshold, sig, model.name, docs[i])
            why = (*gate_reasons(r.signals, docs[i], r.truth_rating), *why) if signals > 0 and reasons else why
        out.append(RatedArticle(a, replace(r, reasons=why) if why else r))
    return out


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def rate_stream(items: Iterable[Article | ParseError], model: TruthModel | None = None, *,
                batch_size: int | None = None, workers: int = 1, reasons: bool = True, signals: int = 5
                ) -> Iterator[RatedArticle | ParseError]:
    """Rate a stream in batches, keeping input order and passing errors through in place; `signals`
    and `reasons` as in `rate` (0 signals: no explanations computed at all).

    With `workers` > 1, batches are rated in that many forked processes (same results, same order).
    """
    model = model or load_model()
    chunks = _batches(items, batch_size or int(settings.get("batch_size")))
    for chunk, rated in _rated_chunks(chunks, model, workers, reasons, signals):
        it = iter(rated)
        for x in chunk:
            yield x if isinstance(x, ParseError) else next(it)


def _articles(chunk: list[Article | ParseError]) -> list[Article]:
    return [x for x in chunk if isinstance(x, Article)]


_WORKER_MODEL: TruthModel | None = None


def _worker_init(model: TruthModel) -> None:
    global _WORKER_MODEL
    _WORKER_MODEL = model


def _worker_rate(articles: list[Article], reasons: bool = True, signals: int = 5) -> list[RatedArticle]:
    return rate(articles, _WORKER_MODEL, reasons=reasons, signals=signals)


def _rated_chunks(chunks: Iterator[list[Article | ParseError]], model: TruthModel, workers: int,
                  reasons: bool = True, signals: int = 5
                  ) -> Iterator[tuple[list[Article | ParseError], list[RatedArticle]]]:
    several, chunks = two_or_more(chunks)
    if workers <= 1 or not several or not can_fork():
        for chunk in chunks:
            yield chunk, rate(_articles(chunk), model, reasons=reasons, signals=signals)
        return
    import multiprocessing as mp  # imported here only: rating a few articles in-process starts faster

    with mp.get_context("fork").Pool(workers, initializer=_worker_init, initargs=(model,)) as pool:
        yield from in_order(chunks, lambda c: pool.apply_async(_worker_rate, (_articles(c), reasons, signals)),
                            2 * workers)


def in_stories(items: Iterable[RatedArticle | ParseError], *, workers: int | None = None
               ) -> Iterator[RatedArticle | ParseError]:
    """Rated articles grouped into stories, as `ingest` would group them, each with its story's verdict
    on the claim and its stance (RatedArticle.story); nothing is kept afterwards. The story facts of
    each article (people, evidence, claim) are read in `workers` processes (default: 2 where there are
    two cores); the grouping is the same with any number.

    A story's verdict can change with any later article, so errors pass through as they come and the
    rated articles follow, in input order, once all input is read. They wait in a temporary folder
    (a throwaway database and a spool file), not in memory.
    """
    import pickle
    import tempfile

    from truthmeter.store.sqlite import SQLiteStore
    from truthmeter.stories.prepare import default_workers, prepared_chunks, rated_articles
    from truthmeter.stories.service import StoryService

    size = int(settings.get("batch_size"))
    with tempfile.TemporaryDirectory(prefix="truthmeter-rate-") as tmp, \
            SQLiteStore(os.path.join(tmp, "stories.db")) as store, tempfile.TemporaryFile(dir=tmp) as spool:
        service, count = StoryService(store), 0
        chunks = prepared_chunks(_batches(items, size), rated_articles,
                                 default_workers() if workers is None else workers)
        for chunk, prepared in chunks:
            good = [x for x in chunk if isinstance(x, RatedArticle)]
            yield from (x for x in chunk if isinstance(x, ParseError))
            if good:
                store.add(good, stories=service.batch_planner(good, prepared))
            for x in good:
                pickle.dump(x, spool, protocol=pickle.HIGHEST_PROTOCOL)
            count += len(good)
        spool.seek(0)
        contexts = _StoryContexts(store)
        for _ in range(count):
            item: RatedArticle = pickle.load(spool)
            yield replace(item, story=contexts.of(item))


class _StoryContexts:
    """Each stored article's story context, reading each story once."""

    def __init__(self, store: "Store") -> None:  # noqa: F821
        from truthmeter.stories.context import claim_text, in_context

        self._store, self._claim, self._context = store, claim_text, in_context
        # Only the story and stance of each link: its signature and vector are kilobytes apiece.
        self._links = {link.content_hash: (link.story_id, link.stance) for link in store.story_links()}
        self._stories: dict[str, tuple[Story, tuple[FactCheck, ...]]] = {}

    def of(self, item: RatedArticle) -> StoryContext:
        story_id, stance_name = self._links[content_hash(item.article.title, item.article.body)]
        if story_id not in self._stories:
            stored = self._store.get_story(story_id)
            assert stored is not None  # its link was just read
            self._stories[story_id] = (stored.story, stored.fact_checks)
        story, checks = self._stories[story_id]
        stance, r = Stance(stance_name), item.rating
        return StoryContext(story_id=story.id, story_rating=story.story_rating, story_verdict=story.verdict,
                            claim=self._claim(story), stance=stance,
                            in_context=self._context(story, checks, r.truth_rating, stance, r.fact_check_rating))


@dataclass
class IngestReport:
    read: int = 0
    new: int = 0
    errors: list[ParseError] = field(default_factory=list)
    new_stories: int = 0
    updated_stories: int = 0


def ingest(paths: Iterable[str], store: "Store", model: TruthModel | None = None, *,  # noqa: F821
           text_field: str | None = None, workers: int = 1, on_item: Callable[[RatedArticle | ParseError], None] | None = None,
           stories: bool = True) -> IngestReport:
    """Read, rate and store; each batch is stored in one transaction, so a crash keeps whole articles.

    With `stories`, each new article joins a story (or opens one) in that same transaction, and the
    stories it touched are re-rated; stored articles in no story yet are placed first. `workers`
    processes rate, and as many read the articles' story facts (the same stories with any number).
    """
    return ingest_articles(read(paths, text_field=text_field), store, model, workers=workers, on_item=on_item,
                           stories=stories)


def ingest_articles(items: Iterable[Article | ParseError], store: "Store", model: TruthModel | None = None, *,  # noqa: F821
                    workers: int = 1, on_item: Callable[[RatedArticle | ParseError], None] | None = None,
                    stories: bool = True) -> IngestReport:
    """`ingest` for articles already read (a web submission, a notebook's list); errors pass through."""
    size = int(settings.get("batch_size"))
    # Reasons are for readers of a rating now; the store keeps the signals only.
    rated = rate_stream(items, model, batch_size=size, workers=workers, reasons=False)
    return store_rated(rated, store, on_item=on_item, stories=stories, workers=workers)


def store_rated(items: Iterable[RatedArticle | ParseError], store: "Store", *,  # noqa: F821
                on_item: Callable[[RatedArticle | ParseError], None] | None = None,
                stories: bool = True, workers: int = 1) -> IngestReport:
    """Store rated articles (rated here or by an engine) in input order, one transaction per batch of
    `batch_size` items, each new article joining its story in that transaction: the same batches, so
    the same stories, whoever rated them. Errors are counted and passed to `on_item` in place. The
    articles' story facts (people, evidence, claim) are read `workers` batches at a time in forked
    processes; only placing them in stories and storing is serial."""
    from truthmeter.stories.prepare import prepared_chunks, rated_articles
    from truthmeter.stories.service import StoryService  # only ingest needs the clusterer

    report = IngestReport()
    size = int(settings.get("batch_size"))
    service = StoryService(store) if stories else None
    if service:
        service.backfill(size)
    chunks = prepared_chunks(_batches(items, size), rated_articles, workers if service else 1)
    for chunk, prepared in chunks:
        good = [x for x in chunk if isinstance(x, RatedArticle)]
        report.errors.extend(x for x in chunk if isinstance(x, ParseError))
        report.read += len(good)
        # The story step runs inside the batch's write transaction: concurrent ingests take turns.
        plan = service.batch_planner(good, prepared) if service else None
        report.new += store.add(good, stories=plan) if good else 0
        if on_item:
            for x in chunk:
                on_item(x)
    if service:
        report.new_stories, report.updated_stories = service.report.new_stories, service.report.updated_stories
    return report


def evaluate(articles: Iterable[Article], model: TruthModel | None = None) -> Metrics:
    """Score labelled articles with the model's own probabilities and threshold.

    When these are exactly the articles the model's calibrator was fitted on, the probabilities
    are cross-fitted (each article's calibrator never saw it), as in the model card.
    """
    from truthmeter.model.train import cross_fitted

    model = model or load_model()
    labelled = [a for a in articles if a.label is not None]
    if not labelled:
        raise DataError("no labelled articles to evaluate (need a label field: 1 = fake, 0 = real)")
    is_true = np.array([1 - int(a.label) for a in labelled])  # type: ignore[arg-type]
    docs = [make_doc(a) for a in labelled]
    scores = np.concatenate([model.scores(model.features(chunk, explain=False)) for chunk in _batches(docs, 2048)])  # type: ignore
    if calibrated_on(labelled, model):
        p_true = cross_fitted(scores, is_true, int(model.meta.get("folds", 5)), int(model.meta.get("seed", 0)),
                              str(model.meta.get("calibration", "isotonic")))
    else:
        p_true = model.calibrator(scores) if model.calibrator else 1 / (1 + np.exp(-scores))
    p_true = model.adjust(p_true, docs)
    return metrics(p_true, is_true, model.threshold)


def calibrated_on(articles: Sequence[Article], model: TruthModel) -> bool:
    """Whether `articles` are the very set the model's calibrator was fitted on."""
    from truthmeter.model.train import fingerprint

    return model.meta.get("calibration_fingerprint") == fingerprint(articles)
