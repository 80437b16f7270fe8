"""Command line: thin click commands over the public API. Only this layer talks to people."""

from __future__ import annotations

import io
import json
import sys
from typing import TYPE_CHECKING, Callable, Generic, Iterable, Iterator, TypeVar

import click

from truthmeter import pipeline
from truthmeter._workers import Rendered, rate_files
from truthmeter.cli_options import (db_option, echo_error, format_option, model_option, text_field_option,
                                   workers_option)
from truthmeter.cli_progress import Progress, is_terminal
from truthmeter.errors import ParseError, TruthmeterError
from truthmeter.publish import writer_for
from truthmeter.publish.formats import out_of_ten, shorten, stream_encoding
from truthmeter.types import RatedArticle, Verdict

if TYPE_CHECKING:
    from truthmeter.engines import DaskEngine, Shard

T = TypeVar("T")


_PAGE = 500  # rows read at a time for --all
_SHOW_CHARS = 1500  # `show` cuts the text near this


class _Rows(Generic[T]):
    """The rows a listing shows (a page, or with `limit` None all of them, a page at a time), and
    after they are read, a note for stderr when more rows exist than were shown."""

    def __init__(self, fetch: Callable[[int, int], list[T]], limit: int | None, offset: int,
                 count: Callable[[], int] | None) -> None:
        self.fetch, self.limit, self.offset, self.count = fetch, limit, offset, count
        self.shown, self.more = 0, False

    def __iter__(self) -> Iterator[T]:
        if self.limit is None:
            offset = self.offset
            while True:
                page = self.fetch(_PAGE, offset)
                self.shown += len(page)
                yield from page
                if len(page) < _PAGE:
                    return
                offset += len(page)
        page = self.fetch(self.limit + 1, self.offset)  # one more: do more rows exist?
        self.more = len(page) > self.limit
        self.shown = min(len(page), self.limit)
        yield from page[: self.limit]

    def note(self) -> str | None:
        """"50 of 1,172 shown; --limit / --all" (the total when the listing is unfiltered), or None
        when nothing more exists."""
        if not self.shown and self.offset:
            return f"none shown: --offset {self.offset:,} is past the last one"
        if not self.more:
            return None
        shown = f"{self.shown:,}" if not self.offset else f"{self.offset + 1:,}-{self.offset + self.shown:,}"
        options = "--limit / --all" if not self.offset else "--offset / --limit / --all"
        if self.count is None:
            return f"{shown} shown, more match; {options}"
        return f"{shown} of {self.count():,} shown; {options}"


def _page_options(command: Callable[..., object]) -> Callable[..., object]:
    """--limit, --all and --offset."""
    command = click.option("--offset", default=0, show_default=True, type=click.IntRange(min=0),
                           help="Rows to skip first.")(command)
    command = click.option("--all", "show_all", is_flag=True, help="Every row (not with --limit).")(command)
    return click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1),
                         help="Rows to show; stderr says when more exist.")(command)


def _limit(ctx: click.Context, limit: int, show_all: bool) -> int | None:
    """The page size, None for --all."""
    if show_all and ctx.get_parameter_source("limit") is click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError("give --limit or --all, not both")
    return None if show_all else limit


class _Cli(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except TruthmeterError as e:
            echo_error(e)
            ctx.exit(1)


@click.group(cls=_Cli, context_settings={"show_default": True})
@click.version_option(package_name="truthmeter")
def main() -> None:
    """truthmeter: rate celebrity and entertainment news from 0 (false) to 10 (true)."""


engine_option = click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
                             help="local: processes on this machine; dask: a Dask cluster (pip install "
                                  "'truthmeter[dask]'), JSONL/CSV/Parquet split into parallel parts.")
scheduler_option = click.option("--scheduler", default=None, metavar="ADDRESS",
                                help="Dask scheduler, e.g. tcp://HOST:8786 (default: a local cluster of --workers "
                                     "processes).")
blocksize_option = click.option("--blocksize", default=None, type=click.IntRange(min=1), metavar="BYTES",
                                help="Dask engine: input bytes per task (default: by file size, up to 512 KB).")


def _local_only(**given: object) -> None:
    used = [f"--{name.replace('_', '-')}" for name, value in given.items() if value is not None]
    if used:
        raise click.UsageError(f"{', '.join(used)} only with --engine dask")


def _dask_engine(scheduler: str | None, workers: int, blocksize: int | None) -> DaskEngine:
    from truthmeter.engines import DaskEngine

    return DaskEngine(scheduler, workers=workers, blocksize=blocksize)


def _print_rated(stream: Iterable[RatedArticle | Rendered | ParseError], fmt: str, progress: Progress, *,
                 count: bool = False) -> int:
    """Rated articles (or articles rendered by workers, already in `fmt`) to stdout and errors to
    stderr, as they come; the number of errors. Where stdout is a terminal too, the progress line goes
    once the articles start coming. `count`: step the progress line here (each article one step)."""
    on_screen = is_terminal(sys.stdout)
    if on_screen:
        progress.clear()  # a table's header comes first, the progress line under it
    out = writer_for(fmt, sys.stdout)
    failed = 0
    for item in stream:
        if isinstance(item, ParseError):
            failed += 1
            progress.echo(f"error: {item}")
        else:
            if on_screen:
                progress.close()
            if isinstance(item, Rendered):
                out.write_rendered(item.data)
            else:
                out.write(item)
        if count:  # article by article where the line is drawn: it is drawn as it was before
            n = item.count if isinstance(item, Rendered) else 1
            if progress.live:
                for _ in range(n):
                    progress.step()
            else:
                progress.step(n)
    progress.close()
    out.close()
    return failed


def _in_stories(items: Iterable[RatedArticle | ParseError], progress: Progress, workers: int
                ) -> Iterator[RatedArticle | ParseError]:
    """pipeline.in_stories, the progress line following it: reading and rating (items counted as they go
    in), then, once all input is read, the rated articles coming out in their stories."""
    rated = 0

    def counted() -> Iterator[RatedArticle | ParseError]:
        nonlocal rated
        for item in progress.track(items):
            rated += isinstance(item, RatedArticle)
            yield item
        progress.phase("grouping into stories", rated)

    for item in pipeline.in_stories(counted(), workers=workers):
        if isinstance(item, RatedArticle):
            progress.step()
        yield item


def _write_shards(shards: Iterable[Shard], out_dir: str, progress: Progress) -> int:
    """Errors to stderr in input order, the progress line when stderr is a terminal; the number of errors."""
    failed = rated = written = 0
    for shard in shards:
        for error in shard.errors:
            progress.echo(f"error: {error}")
        failed, rated, written = failed + len(shard.errors), rated + shard.rated, written + bool(shard.url)
        progress.step(shard.rated + len(shard.errors))
    progress.close()
    click.echo(f"rated {rated} articles into {written} shards in {out_dir}; {failed} errors", err=True)
    return failed


@main.command()
@click.argument("paths", nargs=-1, required=True)
@format_option
@model_option
@text_field_option
@workers_option
@engine_option
@scheduler_option
@click.option("--out", "out_dir", default=None, metavar="DIR",
              help="Dask engine: write shards part-00000.jsonl... into DIR (a folder or fsspec URL), not stdout.")
@click.option("--out-format", type=click.Choice(["jsonl", "parquet"]), default=None,
              help="Shard format with --out (default: jsonl).")
@blocksize_option
@click.option("--stories/--no-stories", "grouped", default=True, show_default=True,
              help="Group the articles into stories as `ingest` would, adding each one's story_id, story_rating, "
                   "claim and stance (output comes once all input is read); --no-stories streams ratings as they "
                   "come. The dask engine never groups.")
@click.option("--signals", "n_signals", default=5, show_default=True, type=click.IntRange(min=0), metavar="N",
              help="The N contributions that moved each rating most, and the reasons; 0 computes no explanations "
                   "(faster; signals keep only the verdict gate's, reasons are empty). Local engine only.")
@click.pass_context
def rate(ctx: click.Context, paths: tuple[str, ...], fmt: str, model_dir: str | None, text_field: str | None,
         workers: int, engine: str, scheduler: str | None, out_dir: str | None, out_format: str | None,
         blocksize: int | None, grouped: bool, n_signals: int) -> None:
    """Rate articles in files, folders (recursive), '-' (stdin) or URLs; with --engine dask, on a Dask
    cluster, in the same order (or into shards with --out)."""
    if engine == "dask":
        if ctx.get_parameter_source("n_signals") is click.core.ParameterSource.COMMANDLINE:
            raise click.UsageError("--signals only with --engine local")
        if out_dir is None and out_format:
            raise click.UsageError("--out-format only with --out")
        if out_dir and ctx.get_parameter_source("fmt") is click.core.ParameterSource.COMMANDLINE:
            raise click.UsageError("--format is for stdout; with --out, use --out-format")
        model = pipeline.load_model(model_dir)
        with _dask_engine(scheduler, workers, blocksize) as dask, Progress.over("rating", paths) as progress:
            if out_dir:
                failed = _write_shards(dask.write(paths, out_dir, model, fmt=out_format or "jsonl",
                                                  text_field=text_field), out_dir, progress)
            else:
                failed = _print_rated(progress.track(dask.rate(paths, model, text_field=text_field)), fmt,
                                      progress)
        sys.exit(1 if failed else 0)
    _local_only(scheduler=scheduler, out=out_dir, out_format=out_format, blocksize=blocksize)
    model = pipeline.load_model(model_dir)
    with Progress.over("rating", paths) as progress:
        if grouped:
            stream = pipeline.rate_stream(pipeline.read(paths, text_field=text_field), model, workers=workers,
                                          signals=n_signals)
            failed = _print_rated(_in_stories(stream, progress, workers), fmt, progress)
        else:  # the workers read, rate and render; this process writes their bytes in order
            encoding, errors = stream_encoding(sys.stdout)
            rendered = rate_files(paths, writer_for(fmt, io.StringIO()), model, workers=workers, signals=n_signals,
                                  text_field=text_field, encoding=encoding, errors=errors)
            failed = _print_rated(rendered, fmt, progress, count=True)
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@model_option
@text_field_option
@workers_option
@engine_option
@scheduler_option
@blocksize_option
def ingest(paths: tuple[str, ...], db: str | None, model_dir: str | None, text_field: str | None,
           workers: int, engine: str, scheduler: str | None, blocksize: int | None) -> None:
    """Read, rate and store articles; the same article stored twice is kept once."""
    from truthmeter.store import open_store

    if engine == "local":
        _local_only(scheduler=scheduler, blocksize=blocksize)
    with open_store(db) as store, Progress.over("ingesting", paths) as progress:
        def stored(item: RatedArticle | ParseError) -> None:  # called once a batch is stored
            if isinstance(item, ParseError):
                progress.echo(f"error: {item}")
            progress.step()

        if engine == "dask":  # workers parse and rate; this process stores, in input order
            from truthmeter.engines import store_rated

            with _dask_engine(scheduler, workers, blocksize) as dask:
                rated = dask.rate(paths, pipeline.load_model(model_dir), text_field=text_field)
                report = store_rated(rated, store, on_item=stored)
        else:
            report = pipeline.ingest(paths, store, pipeline.load_model(model_dir), text_field=text_field,
                                     workers=workers, on_item=stored)
        progress.close()
        total, n_stories = store.count(), store.count_stories()
    click.echo(f"{report.new_stories} new stories, {report.updated_stories} updated; {n_stories} stories", err=True)
    click.echo(f"read {report.read} articles, {report.new} new, {len(report.errors)} errors; "
               f"{total} stored", err=True)
    sys.exit(1 if report.errors else 0)


@main.command("list")
@db_option
@_page_options
@click.option("--verdict", default=None, type=click.Choice([v.value for v in Verdict], case_sensitive=False),
              help="Only this verdict.")
@click.option("--outlet", default=None, help="Only articles from this outlet (its name, any case).")
@format_option
@click.pass_context
def list_(ctx: click.Context, db: str | None, limit: int, show_all: bool, offset: int, verdict: str | None,
          outlet: str | None, fmt: str) -> None:
    """Stored articles, newest first; ID (the start of the content hash) is what `show` takes."""
    from truthmeter.store import open_store

    page = _limit(ctx, limit, show_all)
    with open_store(db) as store:
        rows = _Rows(lambda n, skip: store.list(limit=n, offset=skip, verdict=verdict, outlet=outlet), page, offset,
                     store.count if verdict is None and outlet is None else None)
        out = writer_for(fmt, sys.stdout, ids=True)
        for item in rows:
            out.write(item)
        out.close()
        note = rows.note()
    if note:
        click.echo(note, err=True)


@main.command()
@click.argument("article_id")
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--full", is_flag=True, help=f"The whole text (else cut near {_SHOW_CHARS:,} characters).")
def show(article_id: str, db: str | None, fmt: str, full: bool) -> None:
    """One stored article with its rating and signals (by id or content-hash prefix)."""
    from truthmeter.store import open_store

    with open_store(db) as store:
        item = store.get(article_id)
    _echo_found(item, f"no stored article {article_id!r}", fmt, lambda x: x.to_dict(),
                lambda x: _describe(x, None if full else _SHOW_CHARS))


def _echo_found(found: T | None, missing: str, fmt: str, as_json: Callable[[T], object],
                as_text: Callable[[T], str]) -> None:
    """`show` and `story`: one stored thing as JSON or text, or a one-line error when there is none."""
    if found is None:
        raise click.ClickException(missing)
    click.echo(json.dumps(as_json(found), ensure_ascii=False, indent=2) if fmt == "json" else as_text(found))


def _describe(item: RatedArticle, cut: int | None = _SHOW_CHARS) -> str:
    a, r = item.article, item.rating
    head = [a.title, f"outlet: {a.outlet or '-'}   author: {a.author or '-'}   date: {a.date or '-'}",
            f"truth rating: {out_of_ten(r.truth_rating)} ({r.verdict.value}), p_true {r.p_true:.3f}, "
            f"label {r.label.value}"]
    if r.is_fact_check:
        head.append(f"fact-check: this article publishes a rating of {r.fact_check_rating}/10")
    sig = [f"  {s.weight:+.3f}  {s.name}" + (f"  «{s.text}»" if s.text else "") for s in r.signals]
    body = a.body if cut is None else shorten(a.body, cut)
    rest = len(a.body) - len(body) + 1  # shorten ends in "…"
    more = [f"[{rest:,} more characters: --full shows the whole text]"] if body != a.body else []
    return "\n".join([*head, "signals (log-odds towards true):", *sig, "", body, *more])


story_format_option = click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl", "csv"]),
                                   default="table", show_default=True)


@main.command()
@db_option
@click.option("--person", default=None, help="Only stories naming this person (a full name or part of one).")
@click.option("--outlet", default=None, help="Only stories with an article from this outlet (name or domain).")
@click.option("--verdict", default=None, type=click.Choice([v.value for v in Verdict], case_sensitive=False),
              help="Only stories with this verdict.")
@_page_options
@story_format_option
@click.pass_context
def stories(ctx: click.Context, db: str | None, person: str | None, outlet: str | None, verdict: str | None,
            limit: int, show_all: bool, offset: int, fmt: str) -> None:
    """Stories: articles grouped as they were ingested, each story rated as a whole; newest first. Where
    the desk has published a story, RATING is the published rating, marked (published)."""
    from truthmeter.publish.stories import write_stories
    from truthmeter.store import open_store

    page = _limit(ctx, limit, show_all)
    with open_store(db) as store:
        unfiltered = person is None and outlet is None and verdict is None
        rows = _Rows(lambda n, skip: store.list_stories(limit=n, offset=skip, person=person, outlet=outlet,
                                                        verdict=verdict), page, offset,
                     store.count_stories if unfiltered else None)
        found = list(rows)
        reviews = {s.id: store.desk.review(s.id) for s in found}
        note = rows.note()
    write_stories(found, fmt, sys.stdout, reviews)
    if note:
        click.echo(note, err=True)


@main.command()
@click.argument("story_id")
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def story(story_id: str, db: str | None, fmt: str) -> None:
    """One story: its articles with ratings and stances, fact-checks, quotes, denials and reasons; the
    desk's published rating first where it has published the story."""
    from truthmeter.publish.stories import describe_story, published_fields, story_detail
    from truthmeter.store import open_store

    with open_store(db) as store:
        found = store.get_story(story_id)
        review = store.desk.review(found.story.id) if found else None
    _echo_found(found, f"no stored story {story_id!r}", fmt,
                lambda x: {**story_detail(x), **published_fields(x.story, review)},
                lambda x: describe_story(x, review))


@main.command()
@db_option
@story_format_option
def outlets(db: str | None, fmt: str) -> None:
    """Each outlet's track record: stories told, share rated false, and its weight in story ratings."""
    from truthmeter.publish.stories import write_outlets
    from truthmeter.store import open_store
    from truthmeter.stories.outlets import TrackRecords

    with open_store(db) as store:
        records = TrackRecords.from_counts(store.outlet_counts())
    write_outlets(records.ranked(), fmt, sys.stdout)


from truthmeter import cli_model, cli_newsroom  # noqa: E402

cli_model.register(main)
cli_newsroom.register(main)

if __name__ == "__main__":  # pragma: no cover
    main()
