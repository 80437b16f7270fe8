"""Model commands: `train` and `eval`. Thin click commands over truthmeter.model and the pipeline;
cli.py registers them on `main`."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Iterable

import click

from truthmeter import pipeline
from truthmeter.cli_options import echo_error, model_option, text_field_option
from truthmeter.errors import ParseError
from truthmeter.features import registry
from truthmeter.model.train import DEFAULT_FAMILIES, TrainConfig

__all__ = ["register"]


@click.command("train")
@click.option("--data", "data", multiple=True, required=True, help="Labelled training file(s) (1 = fake).")
@click.option("--val", "val", multiple=True, help="Labelled validation file(s): threshold and metrics.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory to write the model to.")
@click.option("--family", "families", multiple=True, type=click.Choice(sorted(registry())), metavar="FAMILY",
              help="A feature family to train, repeatable: " + ", ".join(sorted(registry()))
                   + " (default: " + ", ".join(DEFAULT_FAMILIES) + ").")
@click.option("--C", "C", default=TrainConfig.C, type=float, help="Inverse regularisation strength.")
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
    config = TrainConfig(families=families or defaults.families, C=C, seed=seed,
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
            echo_error(x)
        else:
            items.append(x)
    return items


@click.command("eval")
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


def register(main: click.Group) -> None:
    """Add the model commands to the `truthmeter` group."""
    for command in (train, eval_):
        main.add_command(command)
