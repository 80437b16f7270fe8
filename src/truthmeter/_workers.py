"""`truthmeter rate --no-stories` over files, by worker processes that own their I/O (pipeline's
other half: read -> parse -> rate -> publish, in the workers).

This process only plans the input and writes what comes back in input order. A JSON Lines file is cut
into byte ranges at newlines (counting newlines is all this process does with it); each worker reads
its range, parses, rates and renders its articles to the exact bytes the output format's writer would
write, and sends back those bytes and its errors: no article object crosses between processes. Small
JSON Lines files (a folder of many) go whole, several to a task. Other inputs (stdin, URLs, CSV/TSV,
JSON, Parquet, text and HTML documents) are read here as before, and their raw documents sent to the
workers, which parse, rate and render them alike. `truthmeter rate` with stories (the default) needs
the rated articles themselves, so it keeps `pipeline.rate_stream`.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import Callable, Iterable, Iterator, Union

from truthmeter import settings
from truthmeter._ordered import Pending, Ready, can_fork, in_order, two_or_more
from truthmeter.errors import ParseError
from truthmeter.ingest import guarded, plan_items
from truthmeter.ingest.ranges import LineRange, read_range
from truthmeter.model import TruthModel
from truthmeter.parse import parse_each
from truthmeter.pipeline import load_model, rate
from truthmeter.publish.formats import Writer
from truthmeter.types import Article, RawDocument

__all__ = ["Rendered", "rate_files", "range_size"]

# What a malformed or unreadable input can raise while being read, as ingest's readers catch it.
@dataclass(frozen=True)
class Rendered:
    """`count` rated articles, in order, as the output format's writer writes them (`Writer.render`),
    encoded as the output stream encodes."""

    data: bytes
    count: int


@dataclass(frozen=True)
class _Job:
    """What every worker needs: inherited when it forks, never pickled."""

    model: TruthModel
    renderer: Writer
    signals: int
    reasons: bool
    text_field: str | None
    encoding: str
    errors: str


# A range of a JSON Lines file cut in several, or a list of what to rate in a batch: documents (and errors
# in their places) read by this process and whole small JSON Lines files for the worker to read.
_Part = Union[RawDocument, ParseError, LineRange]
_Task = Union[LineRange, list[_Part]]
_Result = list[Union[Rendered, ParseError]]
_JOB: _Job | None = None


# Bytes of JSON Lines rated as one task (about 135 ARG GossipCop articles): small enough that the last
# tasks leave no worker idle for long and memory stays low, large enough that a task's fixed cost
# does not show (bench/rate_throughput.py --only ranges: 64 KB to 1 MB within 10% of one another and of
# batches of 512, on a shared machine).
_TASK_BYTES = 1 << 18


def range_size(workers: int) -> Callable[[int], int]:
    """Bytes per range of a JSON Lines file, given its size: _TASK_BYTES, less for a smaller file so
    that each of the workers gets a few ranges (never under 64 KB: a task has a fixed cost)."""
    def size(file_bytes: int) -> int:
        return max(1 << 16, min(_TASK_BYTES, file_bytes // (4 * workers)))

    return size


def rate_files(paths: Iterable[str], renderer: Writer, model: TruthModel | None = None, *, workers: int = 1,
               signals: int = 5, reasons: bool = True, text_field: str | None = None, encoding: str = "utf-8",
               errors: str = "strict", range_bytes: int | None = None) -> Iterator[Rendered | ParseError]:
    """The rated articles of `paths` rendered by `renderer` (a writer of the output format; nothing is
    written to its stream) and encoded with `encoding` and `errors`, with the errors in their places, in
    input order: the bytes `renderer.write` would write for `rate_stream(read(paths))`.

    With `workers` > 1 (and more than one task), forked workers read, parse, rate and render.
    `range_bytes` sets the bytes per range of a JSON Lines file (default: `range_size(workers)`)."""
    model = model or load_model()
    job = _Job(model, renderer, signals, reasons, text_field, encoding, errors)
    size = range_size(workers) if range_bytes is None else (lambda _: range_bytes)
    planned = plan_items(paths, text_field=text_field, range_size=size)  # type: ignore[arg-type]
    tasks = _tasks(planned, int(settings.get("batch_size")), _TASK_BYTES)  # type: ignore[call-overload]
    return _checked(_ordered(tasks, job, workers))


def _tasks(planned: Iterable[_Part], size: int, max_bytes: int) -> Iterator[_Task]:
    """Each range of a file cut in several as a task of its own; the rest (documents, errors, whole
    small files: a folder of many) in lists of up to `size` items and `max_bytes` bytes of files."""
    chunk: list[_Part] = []
    n_bytes = 0
    for item in planned:
        if isinstance(item, LineRange) and not item.whole:
            if chunk:
                yield chunk
                chunk, n_bytes = [], 0
            yield item
            continue
        chunk.append(item)
        n_bytes += item.length if isinstance(item, LineRange) else 0
        if len(chunk) >= size or n_bytes >= max_bytes:
            yield chunk
            chunk, n_bytes = [], 0
    if chunk:
        yield chunk


def _checked(done: Iterator[tuple[_Task, _Result]]) -> Iterator[Rendered | ParseError]:
    """The results in order, and "empty file" for a file cut into ranges none of which held a line
    (a whole-file range says so itself)."""
    seen = False
    for task, result in done:
        yield from result
        if isinstance(task, LineRange) and not task.whole:
            # Each non-blank line gives one item: an article rendered, or its error.
            seen = bool(result) or (seen and task.offset > 0)
            if task.last and not seen:
                yield ParseError(task.path, None, "empty file")


def _ordered(tasks: Iterator[_Task], job: _Job, workers: int) -> Iterator[tuple[_Task, _Result]]:
    several, tasks = two_or_more(tasks)
    if workers <= 1 or not several or not can_fork():  # one task: forking would cost more than it saves
        for task in tasks:
            yield task, _run(task, job)
        return
    import multiprocessing as mp  # imported here only: rating a few articles in-process starts faster

    with mp.get_context("fork").Pool(workers, initializer=_init, initargs=(job,)) as pool:
        def submit(task: _Task) -> Pending[_Result]:
            if isinstance(task, list) and all(isinstance(x, ParseError) for x in task):
                return Ready(list(task))  # errors only: nothing to rate
            return pool.apply_async(_work, (task,))  # type: ignore[arg-type]

        yield from in_order(tasks, submit, 2 * workers)


def _init(job: _Job) -> None:
    global _JOB
    _JOB = job


def _work(task: _Task) -> _Result:
    assert _JOB is not None  # set by _init when the worker started
    return _run(task, _JOB)


def _run(task: _Task, job: _Job) -> _Result:
    """One task, read, parsed, rated and rendered: the articles between two errors in one Rendered."""
    parts = [task] if isinstance(task, LineRange) else task
    docs = chain.from_iterable(guarded(x.path, read_range(x, job.text_field)) if isinstance(x, LineRange) else (x,)
                               for x in parts)
    items = list(parse_each(docs))
    rated = iter(rate([x for x in items if isinstance(x, Article)], job.model, signals=job.signals,
                      reasons=job.reasons))
    out: _Result = []
    run: list = []
    for x in chain(items, [None]):
        if isinstance(x, Article):
            run.append(next(rated))
            continue
        if run:
            out.append(Rendered(job.renderer.render(run).encode(job.encoding, job.errors), len(run)))
            run = []
        if x is not None:
            out.append(x)
    return out
