"""Ingest rate into SQLite vs PostgreSQL: the same rated articles stored, with stories, into each.

    python bench/ingest_backends.py [--n 20000] [--repeat 3] [--workers 2] [--data FILE...] [--pg postgresql://...]

The input is the data files (default ../shared/data/arg_gossipcop val.jsonl and train.jsonl, 5158
articles) repeated until --n articles, each copy's titles numbered so that every article is new
(copies join their originals' stories, as syndicated articles do), or synthetic articles when the
files are absent. It is rated once with the shipped model (rating is the same work whatever the
database); then, --repeat times per backend, a fresh database receives it the way `truthmeter ingest`
stores: batches of TRUTHMETER_BATCH_SIZE (512) articles, each clustered into stories and written in
one transaction, the articles' story facts read in --workers processes (as `truthmeter ingest` does).
Reported: articles/s of that storing (median), of storing without stories (the
database alone), and the whole ingest (rating + storing). SQLite is a file in a temp dir (WAL,
synchronous=NORMAL, as truthmeter opens it); PostgreSQL a throwaway server started here (initdb +
pg_ctl on loopback, durable defaults: fsync on, synchronous_commit on), or the server at --pg, a new
schema per run. Both on the same machine and disk, one client thread.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import pg  # noqa: E402  (tests/pg.py: the throwaway server the tests use too)

from truthmeter import pipeline  # noqa: E402
from truthmeter.engines.store import store_rated  # noqa: E402
from truthmeter.store import open_store  # noqa: E402
from truthmeter.types import Article, RatedArticle  # noqa: E402

DATA = [ROOT.parent / "shared" / "data" / "arg_gossipcop" / name for name in ("val.jsonl", "train.jsonl")]


def articles(n: int, data: list[Path]) -> tuple[list[Article], str]:
    """`n` distinct articles: those of the data files, then numbered copies of them; synthetic without data."""
    files = [f for f in data if f.exists()]
    if files:
        base = [a for a in pipeline.read([str(f) for f in files]) if isinstance(a, Article)]
        source = f"{' + '.join(f.name for f in files)} ({len(base)} articles), numbered copies up to {n}"
    else:
        from conftest import bulk_rows  # the synthetic rows the store tests use

        base = [Article(id=str(r["id"]), title=str(r["title"]), body=str(r["content"])) for r in bulk_rows(n)]
        source = "synthetic (tests/conftest.bulk_rows)"
    out = []
    for i in range(n):
        a, copy = base[i % len(base)], i // len(base)
        out.append(a if copy == 0 else replace(a, id=f"{a.id}~{copy}", title=f"{a.title} [{copy}]"))
    return out, source


def timed_store(rated: list[RatedArticle], target: str, stories: bool, server: str, workers: int) -> float:
    with open_store(target) as store:
        started = time.perf_counter()
        report = store_rated(rated, store, stories=stories, workers=workers)
        took = time.perf_counter() - started
        assert report.new == len(rated) == store.count(), (report.new, len(rated))
    if target.startswith("postgresql://"):
        pg.drop_schema(target, server)
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2, help="processes reading the story facts")
    ap.add_argument("--data", type=Path, nargs="+", default=DATA)
    ap.add_argument("--pg", default=None, help="Use this PostgreSQL server instead of starting one.")
    args = ap.parse_args()
    items, source = articles(args.n, args.data)
    model = pipeline.load_model()
    started = time.perf_counter()
    rated = [x for x in pipeline.rate_stream(items, model) if isinstance(x, RatedArticle)]
    rate_s = time.perf_counter() - started
    print(f"input: {source}: {len(rated)} articles; rated once in {rate_s:.1f} s ({len(rated) / rate_s:.0f}/s)")
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        server = args.pg or stack.enter_context(pg.throwaway_cluster(durable=True))
        count = iter(range(10**6))
        targets: dict[str, Callable[[], str]] = {
            "SQLite": lambda: f"{tmp}/run{next(count)}.db",
            "PostgreSQL": lambda: pg.fresh_schema_url(server, "bench"),
        }
        runs: dict[tuple[str, bool], list[float]] = {(name, st): [] for name in targets for st in (True, False)}
        # Interleaved (SQLite, PostgreSQL, SQLite, ...): a machine busier in one minute than the next
        # then slows both alike.
        for _ in range(args.repeat):
            for name, fresh in targets.items():
                for stories in (True, False):
                    runs[name, stories].append(timed_store(rated, fresh(), stories, server, args.workers))
        results: dict[str, tuple[float, float]] = {}
        for name in targets:
            with_stories, bare = statistics.median(runs[name, True]), statistics.median(runs[name, False])
            results[name] = with_stories, bare
            print(f"{name:<10}  store with stories {len(rated) / with_stories:5.0f} articles/s ({with_stories:.1f} s)"
                  f"   without stories {len(rated) / bare:5.0f}/s ({bare:.1f} s)"
                  f"   whole ingest (rate + store) {len(rated) / (rate_s + with_stories):4.0f}/s")
    (sq, sq_bare), (pq, pq_bare) = results["SQLite"], results["PostgreSQL"]
    print(f"medians of {args.repeat}; PostgreSQL/SQLite time: with stories {pq / sq:.2f}x, "
          f"without stories {pq_bare / sq_bare:.2f}x, whole ingest {(rate_s + pq) / (rate_s + sq):.2f}x")


if __name__ == "__main__":
    main()
