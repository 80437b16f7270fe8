"""Command line: thin click commands over the public API. Only this layer talks to people."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, TypeVar

import click

from truthmeter import pipeline
from truthmeter.errors import ParseError, TruthmeterError
from truthmeter.publish import FORMATS, writer_for
from truthmeter.publish.formats import out_of_ten
from truthmeter.types import RatedArticle, Verdict

if TYPE_CHECKING:
    from truthmeter.engines import DaskEngine, Shard

T = TypeVar("T")

db_option = click.option("--db", envvar="TRUTHMETER_DB", default=None,
                         help="SQLite file or postgresql:// URL (default: a per-user SQLite file; env TRUTHMETER_DB).")
model_option = click.option("--model", "model_dir", envvar="TRUTHMETER_MODEL", default=None,
                            type=click.Path(file_okay=False), help="Model directory (default: the shipped model).")
format_option = click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="table", show_default=True)
workers_option = click.option("--workers", default=min(2, os.cpu_count() or 1), show_default=True,
                              type=click.IntRange(min=1), help="Processes rating in parallel (large inputs).")
text_field_option = click.option("--text-field", default=None,
                                 help="Dataset column holding the text (e.g. synthetic_misinformation).")


def _error(e: ParseError | TruthmeterError) -> None:
    click.echo(f"error: {e}", err=True)


def _progress(items: Iterable[T], label: str) -> Iterator[T]:
    """A live count on stderr when it is a terminal; silent in pipes and CI."""
    if not sys.stderr.isatty():
        yield from items
        return
    n = 0
    for n, item in enumerate(items, 1):
        if n % 100 == 0:
            click.echo(f"\r{label} {n}", err=True, nl=False)
        yield item
    click.echo(f"\r{label} {n}", err=True)


class _Cli(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except TruthmeterError as e:
            _error(e)
            ctx.exit(1)


@click.group(cls=_Cli)
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


def _print_rated(stream: Iterable[RatedArticle | ParseError], fmt: str) -> int:
    """Rated articles to stdout and errors to stderr, as they come; the number of errors."""
    out = writer_for(fmt, click.get_text_stream("stdout"))
    failed = 0
    for item in _progress(stream, "rated"):
        if isinstance(item, ParseError):
            failed += 1
            _error(item)
        else:
            out.write(item)
    out.close()
    return failed


def _write_shards(shards: Iterable[Shard], out_dir: str) -> int:
    """Errors to stderr in input order, a live count when stderr is a terminal; the number of errors."""
    failed = rated = written = 0
    live = sys.stderr.isatty()
    for shard in shards:
        for error in shard.errors:
            _error(error)
        failed, rated, written = failed + len(shard.errors), rated + shard.rated, written + bool(shard.url)
        if live:
            click.echo(f"\rrated {rated}", err=True, nl=False)
    click.echo(("\r" if live else "") + f"rated {rated} articles into {written} shards in {out_dir}; "
               f"{failed} errors", err=True)
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
@click.pass_context
def rate(ctx: click.Context, paths: tuple[str, ...], fmt: str, model_dir: str | None, text_field: str | None,
         workers: int, engine: str, scheduler: str | None, out_dir: str | None, out_format: str | None,
         blocksize: int | None, grouped: bool) -> None:
    """Rate articles in files, folders (recursive), '-' (stdin) or URLs; with --engine dask, on a Dask
    cluster, in the same order (or into shards with --out)."""
    if engine == "dask":
        if out_dir is None and out_format:
            raise click.UsageError("--out-format only with --out")
        if out_dir and ctx.get_parameter_source("fmt") is click.core.ParameterSource.COMMANDLINE:
            raise click.UsageError("--format is for stdout; with --out, use --out-format")
        model = pipeline.load_model(model_dir)
        with _dask_engine(scheduler, workers, blocksize) as dask:
            if out_dir:
                failed = _write_shards(dask.write(paths, out_dir, model, fmt=out_format or "jsonl",
                                                  text_field=text_field), out_dir)
            else:
                failed = _print_rated(dask.rate(paths, model, text_field=text_field), fmt)
        sys.exit(1 if failed else 0)
    _local_only(scheduler=scheduler, out=out_dir, out_format=out_format, blocksize=blocksize)
    model = pipeline.load_model(model_dir)
    stream = pipeline.rate_stream(pipeline.read(paths, text_field=text_field), model, workers=workers)
    sys.exit(1 if _print_rated(pipeline.in_stories(stream) if grouped else stream, fmt) else 0)


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
    with open_store(db) as store:
        if engine == "dask":  # workers parse and rate; this process stores, in input order
            from truthmeter.engines import store_rated

            with _dask_engine(scheduler, workers, blocksize) as dask:
                rated = dask.rate(paths, pipeline.load_model(model_dir), text_field=text_field)
                report = store_rated(_progress(rated, "rated"), store,
                                     on_item=lambda x: _error(x) if isinstance(x, ParseError) else None)
        else:
            report = pipeline.ingest(paths, store, pipeline.load_model(model_dir), text_field=text_field,
                                     workers=workers, on_item=lambda x: _error(x) if isinstance(x, ParseError) else None)
        total, n_stories = store.count(), store.count_stories()
    click.echo(f"{report.new_stories} new stories, {report.updated_stories} updated; {n_stories} stories", err=True)
    click.echo(f"read {report.read} articles, {report.new} new, {len(report.errors)} errors; "
               f"{total} stored", err=True)
    sys.exit(1 if report.errors else 0)


@main.command("list")
@db_option
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=0))
@click.option("--offset", default=0, type=click.IntRange(min=0))
@click.option("--verdict", default=None, type=click.Choice([v.value for v in Verdict], case_sensitive=False),
              help="Only this verdict.")
@click.option("--outlet", default=None)
@format_option
def list_(db: str | None, limit: int, offset: int, verdict: str | None, outlet: str | None, fmt: str) -> None:
    """Stored articles, newest first."""
    from truthmeter.store import open_store

    with open_store(db) as store:
        out = writer_for(fmt, click.get_text_stream("stdout"))
        for item in store.list(limit=limit, offset=offset, verdict=verdict, outlet=outlet):
            out.write(item)
        out.close()


@main.command()
@click.argument("article_id")
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show(article_id: str, db: str | None, fmt: str) -> None:
    """One stored article with its rating and signals (by id or content-hash prefix)."""
    from truthmeter.store import open_store

    with open_store(db) as store:
        item = store.get(article_id)
    _echo_found(item, f"no stored article {article_id!r}", fmt, lambda x: x.to_dict(), _describe)


def _echo_found(found: T | None, missing: str, fmt: str, as_json: Callable[[T], object],
                as_text: Callable[[T], str]) -> None:
    """`show` and `story`: one stored thing as JSON or text, or a one-line error when there is none."""
    if found is None:
        raise click.ClickException(missing)
    click.echo(json.dumps(as_json(found), ensure_ascii=False, indent=2) if fmt == "json" else as_text(found))


def _describe(item: RatedArticle) -> str:
    a, r = item.article, item.rating
    head = [a.title, f"outlet: {a.outlet or '-'}   author: {a.author or '-'}   date: {a.date or '-'}",
            f"truth rating: {out_of_ten(r.truth_rating)} ({r.verdict.value}), p_true {r.p_true:.3f}, "
            f"label {r.label.value}"]
    if r.is_fact_check:
        head.append(f"fact-check: this article publishes a rating of {r.fact_check_rating}/10")
    sig = [f"  {s.weight:+.3f}  {s.name}" + (f"  «{s.text}»" if s.text else "") for s in r.signals]
    return "\n".join([*head, "signals (log-odds towards true):", *sig, "", a.body[:1500]])


story_format_option = click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl"]), default="table",
                                   show_default=True)


@main.command()
@db_option
@click.option("--person", default=None, help="Only stories naming this person (a full name or part of one).")
@click.option("--outlet", default=None, help="Only stories with an article from this outlet (name or domain).")
@click.option("--verdict", default=None, type=click.Choice([v.value for v in Verdict], case_sensitive=False),
              help="Only stories with this verdict.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=0))
@click.option("--offset", default=0, type=click.IntRange(min=0))
@story_format_option
def stories(db: str | None, person: str | None, outlet: str | None, verdict: str | None, limit: int, offset: int,
            fmt: str) -> None:
    """Stories: articles grouped as they were ingested, each story rated as a whole; newest first."""
    from truthmeter.publish.stories import write_stories
    from truthmeter.store import open_store

    with open_store(db) as store:
        found = store.list_stories(limit=limit, offset=offset, person=person, outlet=outlet, verdict=verdict)
    write_stories(found, fmt, click.get_text_stream("stdout"))


@main.command()
@click.argument("story_id")
@db_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def story(story_id: str, db: str | None, fmt: str) -> None:
    """One story: its articles with ratings and stances, fact-checks, quotes, denials and reasons."""
    from truthmeter.publish.stories import describe_story, story_detail
    from truthmeter.store import open_store

    with open_store(db) as store:
        found = store.get_story(story_id)
    _echo_found(found, f"no stored story {story_id!r}", fmt, story_detail, describe_story)


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
    write_outlets(records.ranked(), fmt, click.get_text_stream("stdout"))


@main.command()
@click.option("--data", "data", multiple=True, required=True, help="Labelled training file(s) (1 = fake).")
@click.option("--val", "val", multiple=True, help="Labelled validation file(s): threshold and metrics.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory to write the model to.")
@click.option("--family", "families", multiple=True, help="Feature families (default: the default set).")
@click.option("--C", "C", default=None, type=float, help="Inverse regularisation strength.")
@click.option("--params", "params", default=None, metavar="JSON",
              help='Per-family settings, e.g. \'{"lexical.v1": {"word_bits": 21}}\'; saved in the model config.')
@click.option("--seed", default=0, show_default=True)
@click.option("--tried", "tried", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="JSON list of rejected experiments, merged into OUT/tried.json and shown in the card.")
@click.option("--calibrate-on", type=click.Choice(["train", "val"]), default="train", show_default=True,
              help="Fit the probability calibration on out-of-fold train scores or on the val scores.")
@click.option("--calibration", type=click.Choice(["isotonic", "sigmoid"]), default="isotonic", show_default=True,
              help="Isotonic steps, or a sigmoid (Platt) that keeps the score's order.")
@click.option("--outlets", "outlet_files", multiple=True, metavar="PATH[=fake|real]",
              help="Labelled articles with URLs/outlets for the outlet track record; =fake/=real labels "
                   "rows that carry no label.")
@click.option("--augment", "augment", multiple=True, metavar="PATH",
              help="Add the rewritten versions of the fakes in PATH (column --augment-field) to training.")
@click.option("--augment-field", default="synthetic_misinformation", show_default=True)
@click.option("--robustness", "robustness", type=click.Path(dir_okay=False, exists=True), default=None,
              help="JSON of measured robustness figures (bench/robustness.py) for the model card.")
@click.option("--baseline", "baseline", type=click.Path(dir_okay=False, exists=True), default=None,
              help="JSON of bench/baseline_gap.py (the model against the stock pipeline) for the model card.")
@text_field_option
def train(data: tuple[str, ...], val: tuple[str, ...], out: str, families: tuple[str, ...], C: float | None,
          params: str | None, seed: int, tried: tuple[str, ...], calibrate_on: str, calibration: str,
          outlet_files: tuple[str, ...],
          augment: tuple[str, ...], augment_field: str, robustness: str | None, baseline: str | None,
          text_field: str | None) -> None:
    """Train a model from labelled files and write it with its model card and plots."""
    from truthmeter.model import TrainConfig
    from truthmeter.model import train as fit
    from truthmeter.model.card import write_card
    from truthmeter.model.plots import write_plots
    from truthmeter.model.tried import load_tried, merge_tried

    for path in tried:  # a bad tried file fails before the training, not after
        load_tried(path)
    defaults = TrainConfig()
    config = TrainConfig(families=families or defaults.families, C=C if C is not None else defaults.C, seed=seed,
                         calibrate_on=calibrate_on, calibration=calibration, params=_params(params))
    train_set, val_set = _labelled(data, text_field), _labelled(val, text_field) if val else None
    extra = _augmentation(augment, augment_field, val_set or [])
    result = fit(train_set, val_set, config, outlet_set=_outlet_articles(outlet_files), augment=extra)
    if robustness:
        result.model.meta["robustness"] = json.loads(Path(robustness).read_text())
    if baseline:
        result.model.meta["baseline"] = json.loads(Path(baseline).read_text())
    result.model.meta["leans_on"] = _leans_on(result.model, val_set or train_set)
    result.model.save(out)
    plots = write_plots(result.model, out, val_set, train_set + extra)
    write_card(result.model, out, data, val, "truthmeter " + shlex.join(sys.argv[1:]), plots=plots,
               tried=merge_tried(out, tried))
    for note in plots.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"trained on {result.n_train} articles ({result.n_excluded} fact-check pages left out) -> {out}")
    for name, m in (("out-of-fold train", result.oof), ("val", result.val)):
        if m:
            click.echo(f"{name}: " + "  ".join(f"{k} {v}" for k, v in m.to_dict().items()))


def _leans_on(model: pipeline.TruthModel, articles: list, top: int = 10) -> dict[str, list[list[object]]]:
    """The signals with the largest mean contribution per article, each way: what the card says the
    model leans on."""
    from truthmeter.model.plots import signal_importance
    from truthmeter.model.train import training_view

    ranked = signal_importance(model, training_view(articles)[0])
    pick = lambda sign: [[n, round(w, 4)] for n, w in ranked if w * sign > 0][:top]  # noqa: E731
    return {"towards_true": pick(1), "towards_fake": pick(-1)}


def _params(text: str | None) -> dict[str, dict[str, object]]:
    if not text:
        return {}
    try:
        params = json.loads(text)
    except ValueError as e:
        raise click.UsageError(f"--params: not JSON: {e}") from None
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise click.UsageError('--params: expected {"family": {"setting": value}}')
    return params


def _augmentation(paths: Iterable[str], field: str, val_set: list) -> list:
    from truthmeter.model.train import rewrites_of_fakes

    paths = list(paths)
    return rewrites_of_fakes(_labelled(paths, None), _labelled(paths, field), val_set) if paths else []


def _outlet_articles(specs: Iterable[str]) -> list:
    from dataclasses import replace

    out = []
    for spec in specs:
        path, _, label = spec.rpartition("=") if spec.endswith(("=fake", "=real")) else (spec, "", "")
        default = {"fake": 1, "real": 0}.get(label)
        out.extend(a if a.label is not None or default is None else replace(a, label=default)
                   for a in _labelled([path], None))
    return out


def _labelled(paths: Iterable[str], text_field: str | None) -> list:
    items = []
    for x in pipeline.read(paths, text_field=text_field):
        if isinstance(x, ParseError):
            _error(x)
        else:
            items.append(x)
    return items


@main.command("eval")
@click.argument("paths", nargs=-1, required=True)
@model_option
@text_field_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--pairs", "pairs_field", default=None, metavar="TEXT_FIELD",
              help="Compare with variants: the same rows read through this column (LLMFake: synthetic_misinformation).")
@click.option("--pairs-file", "pairs_files", multiple=True, metavar="FILE",
              help="Compare with variants in this file, matched by article id.")
@click.option("--tone", is_flag=True, help="Also measure how tone-only edits move the real articles' ratings.")
def eval_(paths: tuple[str, ...], model_dir: str | None, text_field: str | None, fmt: str,
          pairs_field: str | None, pairs_files: tuple[str, ...], tone: bool) -> None:
    """Macro-F1, accuracy, AUC, ECE and per-class F1 of the model on labelled files; with --pairs,
    --pairs-file or --tone, how well its ratings survive a change of style."""
    if pairs_field and pairs_files:
        raise click.UsageError("give --pairs or --pairs-file, not both")
    model = pipeline.load_model(model_dir)
    articles = _labelled(paths, text_field)
    m = pipeline.evaluate(articles, model).to_dict()
    if pipeline.calibrated_on(articles, model):
        click.echo("note: the model was calibrated on these articles; probabilities are cross-fitted", err=True)
    extra = _style_reports(articles, model, paths, pairs_field, pairs_files, text_field, tone)
    if fmt == "json":
        click.echo(json.dumps({**m, **extra}))
        return
    for k, v in m.items():
        click.echo(f"{k:>10}  {v}")
    for name, report in extra.items():
        click.echo("")
        _echo_report(name, report)


def _style_reports(articles: list[pipeline.Article], model: pipeline.TruthModel, paths: tuple[str, ...],
                   pairs_field: str | None, pairs_files: tuple[str, ...], text_field: str | None,
                   tone: bool) -> dict[str, dict[str, object]]:
    """The robustness reports eval was asked for, by name ("pairs", "tone")."""
    from truthmeter.model import robustness as rb  # only eval needs it: keeps other commands' start fast

    out: dict[str, dict[str, object]] = {}
    if pairs_field:  # the same rows through another column: pair by file and line, not by id
        variants = _labelled(paths, pairs_field)
        out["pairs"] = rb.pair_robustness(articles, variants, model, key=rb.by_origin).to_dict()
    elif pairs_files:
        variants = _labelled(pairs_files, text_field)
        out["pairs"] = rb.pair_robustness(articles, variants, model, key=rb.by_id).to_dict()
    if tone:
        out["tone"] = rb.tone_robustness(articles, model).to_dict()
    return out


def _echo_report(name: str, report: dict[str, object]) -> None:
    d = dict(report)
    effects: dict[str, dict[str, object]] = d.pop("effects", {})  # type: ignore[assignment]
    click.echo(f"{name}:")
    for k, v in d.items():
        click.echo(f"  {k:>24}  {v}")
    if effects:
        cols = [c for c in next(iter(effects.values())) if c != "edit"]
        click.echo(f"  {'edit':>24}  " + "  ".join(f"{c:>{len(c)}}" for c in cols))
        for e, row in effects.items():
            click.echo(f"  {e:>24}  " + "  ".join(f"{str(row[c]):>{len(c)}}" for c in cols))


from truthmeter import cli_newsroom; cli_newsroom.register(main)  # noqa: E402, E702

if __name__ == "__main__":  # pragma: no cover
    main()
