"""The model card, generated from the model's own saved config and metrics (never written by hand)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from truthmeter.model import card_sections as sec
from truthmeter.model.classifier import TruthModel
from truthmeter.model.plots import Plots
from truthmeter.model.tried import DASH, tried_rows
from truthmeter.rating import FALSE_FLOOR, MIN_WORDS, TRUE_CAP

__all__ = ["render_card", "write_card"]

_TERMS = """GossipCop data from FakeNewsNet (Shu et al.), as redistributed by ARG (Hu et al., AAAI 2024):
research use only. The upstream authors state the complete dataset cannot be redistributed, so it is
not shipped; this model's weights are derived from it and carry the same research-use terms."""


def _metric_rows(metrics: dict[str, dict[str, float]]) -> list[str]:
    keys = ["n", "macro_f1", "accuracy", "auc", "ece", "f1_real", "f1_fake", "threshold"]
    rows = ["| split | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for split, m in metrics.items():
        rows.append(f"| {split} | " + " | ".join(str(m.get(k, "")) for k in keys) + " |")
    return rows


def _plot_lines(plots: Plots | None) -> list[str]:
    if plots is None:
        return ["Not drawn."]
    src = plots.source or "val"
    captions = {
        "reliability": ("Reliability on val", "Reliability diagram on val: mean P(true) in each of 10 equal-width "
                        "bins against the observed share of true stories (n per bin marked); the dashed "
                        "diagonal is perfect calibration."),
        "scores": ("P(true) by class on val", "P(true) of the real and the fake val articles."),
        "importances": (f"Largest signals on {src}", "Largest signals: each signal's mean contribution to the "
                        f"log-odds of true per {src} article, towards true and towards fake. A signal is a word "
                        "with its char n-grams, a word pair or a cue: the names `rate` reports."),
    }
    lines: list[str] = []
    for kind, file in plots.files.items():
        alt, text = captions[kind]
        lines += ["", text, "", f"![{alt}]({file})"]
    if plots.notes:
        lines += ["", *(f"- {note}" for note in plots.notes)]
    return lines[1:] or ["Not drawn."]


def _value(v: object) -> str:
    if v is None:
        return DASH
    return str(v) if isinstance(v, (str, int, float)) else json.dumps(v, sort_keys=True, ensure_ascii=False)


def _robustness_lines(robustness: object) -> list[str]:
    if not isinstance(robustness, dict) or not robustness:
        return ["Not measured."]
    rows = ["| measure | value |", "|---|---|"]
    # Older robustness files called the signed change a "drop", though negative meant recall rose.
    named = ((k.replace("recall drop (points)", "recall change, original -> ChatGPT version (points)"),
              -v if "recall drop" in k and isinstance(v, (int, float)) else v) for k, v in robustness.items())
    return rows + [f"| {name} | {_value(v)} |".replace("\n", " ") for name, v in named]


def _calibration(meta: dict[str, object]) -> str:
    on = str(meta.get("calibrated_on") or "")
    if on.startswith("val"):
        return f"calibration on {on}"
    return f"{meta.get('calibration', 'isotonic')} calibration on {meta.get('folds')}-fold out-of-fold scores"


def _model_lines(model: TruthModel, data: Sequence[str], val: Sequence[str]) -> list[str]:
    meta = model.meta
    return [
        "## Model",
        f"- Feature families (registry names): {', '.join(f.name for f in model.families)}",
        f"- Logistic regression, C={model.C}; {_calibration(meta)}",
        f"- Decision threshold on P(true): {model.threshold} (chosen on {meta.get('threshold_chosen_on')})",
        f"- Each article is cut to its first {meta.get('window_tokens', 160)} tokens, as ARG's texts are.", "",
        "## Data", *[f"- train: `{d}`" for d in data], *[f"- val: `{v}`" for v in val],
        f"- {meta.get('n_train')} training articles; {meta.get('n_excluded_fact_checks')} fact-check pages left out "
        "(pages naming a fact-checker are its debunks, not rumours: the GossipCop trap)", "",
        *sec.split_lines(meta), "",
    ]


def render_card(model: TruthModel, data: Sequence[str], val: Sequence[str], command: str, *,
                plots: Plots | None = None, tried: Sequence[dict[str, object]] = ()) -> str:
    """The card's markdown: a pure function of the model, its data paths, command, plots and tried rows."""
    lines = [
        f"# Model card: {model.name}", "",
        "Rates how likely a celebrity/entertainment news article tells a true story. Output: calibrated",
        "P(true), a 0-10 truth rating, a verdict and the signals behind it.", "",
        *_model_lines(model, data, val),
        "## Terms", _TERMS, "",
        "## Metrics", *_metric_rows(model.meta.get("metrics", {})), "",
        "ECE: expected calibration error of P(true), 10 equal-width bins. Threshold-dependent scores use the",
        "threshold above; AUC and ECE do not.", "",
        *sec.interval_lines(model.meta), "",
        "### Confusion matrix", *sec.confusion_lines(model.meta), "",
        "### Verdicts by class", *sec.verdict_lines(model.meta), "",
        "### Results by text length", *sec.length_lines(model.meta), "",
        "## Against the stock baseline", *sec.baseline_lines(model.meta), "",
        "## When there is not enough to judge", *sec.unrated_lines(model.meta, MIN_WORDS, TRUE_CAP, FALSE_FLOOR), "",
        "## What the model leans on", *sec.leans_on_lines(model.meta), "",
        "## Plots", *_plot_lines(plots), "",
        "## Style robustness", *_robustness_lines(model.meta.get("robustness")), "",
        "## Tried",
        "Experiments and their verdicts. dev: the time-ordered development split of `bench/baseline_gap.py`",
        "(train's newest 20%), where choices are made; val: scored once per candidate (– = not measured;",
        "rows before the protocol were chosen on val, so their val figures are optimistic).", "",
        *tried_rows(tried), "",
        "## Limits",
        "- Text only, English, celebrity news 2000-2018: judges how a story is told, not whether it happened.",
        "- Learns outlet and celebrity priors from its data; a true story about a rumour-prone subject can rate low.",
        "- On GossipCop text it ranks stories no better than the stock TF-IDF pipeline (paired AUC differences inside",
        "  noise on dev and val, above); every linear variant in the Tried table was level with it too. What it adds",
        "  is calibration, the rewritten-fake robustness and the evidence gate; a better ranking needs another view",
        "  of the text (e.g. a transformer), which the CPU speed budget of the default model does not allow.",
        "- A fact-check's own published rating overrides the model (see the README).",
        "- Models trained with `--augment` (the shipped one is) saw ChatGPT versions of fakes but no LLM-written",
        "  true stories (the data has none): they catch rewritten fakes, and may also rate LLM-written true news low.",
        "- ARG val articles carry no outlet, so the outlet track record is measured on LLMFake stories only.", "",
        "## Reproduce", f"    {command}", "",
    ]
    return "\n".join(lines)


def write_card(model: TruthModel, out: str | Path, data: Sequence[str], val: Sequence[str], command: str, *,
               plots: Plots | None = None, tried: Sequence[dict[str, object]] = ()) -> Path:
    path = Path(out) / "MODEL_CARD.md"
    path.write_text(render_card(model, data, val, command, plots=plots, tried=tried), encoding="utf-8")
    return path
