"""PNG plots for the model card: reliability diagram, P(true) per class, largest signals.

matplotlib is an optional extra (`pip install 'truthmeter[plots]'`); without it `write_plots`
draws nothing and says so, and the card is still written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from truthmeter.features import make_doc
from truthmeter.model.classifier import TruthModel
from truthmeter.model.train import training_view
from truthmeter.types import Article

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["Plots", "PLOTS_MISSING", "PLOT_FILES", "plots_available", "reliability_bins", "signal_importance",
           "write_plots"]

PLOTS_MISSING = "plots skipped: pip install 'truthmeter[plots]'"
PLOT_FILES = {"reliability": "reliability.png", "scores": "scores.png", "importances": "importances.png"}
_DPI = 90
_REAL, _FAKE = "#2b7bb9", "#d7301f"


@dataclass(frozen=True)
class Plots:
    """What was drawn: `files` maps plot kind to a file name beside the card; `notes` say what was not."""

    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    source: str = ""


def plots_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def reliability_bins(p_true: np.ndarray, is_true: np.ndarray, bins: int = 10
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per equal-width bin (the ECE's bins): mean P(true), observed share true, count (NaN when empty)."""
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p_true, edges[1:-1]), 0, bins - 1)
    counts = np.bincount(idx, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(idx, weights=p_true, minlength=bins) / counts
        share = np.bincount(idx, weights=is_true.astype(float), minlength=bins) / counts
    return mean_p, share, counts


def signal_importance(model: TruthModel, articles: Sequence[Article]) -> list[tuple[str, float]]:
    """Each signal's mean contribution to the log-odds of true per article, by signal name, largest
    magnitude first. Signals are the model's own explanation units (a word with its char grams,
    a bigram, a cue), so hashed columns get the names of the text that actually hit them."""
    docs = [make_doc(a) for a in articles]
    if not docs:
        return []
    X = model.features(docs)
    total: dict[str, float] = defaultdict(float)
    for i, doc in enumerate(docs):
        for c in model.contributions(doc, X[i]):
            total[c.name] += c.weight
    means = ((name, w / len(docs)) for name, w in total.items())
    return sorted(means, key=lambda kv: (-abs(kv[1]), kv[0]))


def _figure(width: float = 6.0, height: float = 4.2) -> "Figure":
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)  # the Agg canvas, whatever pyplot's backend is: no display needed
    return fig


def _save(fig: "Figure", path: Path) -> None:
    # No timestamp or version metadata: the same model and data give the same bytes.
    fig.savefig(path, dpi=_DPI, format="png", metadata={"Software": None})


def _reliability(p_true: np.ndarray, is_true: np.ndarray, label: str, path: Path) -> None:
    from truthmeter.model.evaluate import ece

    mean_p, share, counts = reliability_bins(p_true, is_true)
    fig = _figure(5.2, 4.6)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect calibration")
    full = counts > 0
    ax.plot(mean_p[full], share[full], marker="o", color=_REAL, label="model")
    for x, y, n in zip(mean_p[full], share[full], counts[full]):
        ax.annotate(f"n={n}", (x, y), textcoords="offset points", xytext=(4, -12), fontsize=7)
    ax.set(xlim=(0, 1), ylim=(0, 1.05), xlabel="mean P(true) in bin (10 equal-width bins)",
           ylabel="observed share true", title=f"Reliability on {label} (ECE {ece(p_true, is_true):.3f})")
    ax.legend(loc="upper left", fontsize=8)
    _save(fig, path)


def _scores(p_true: np.ndarray, is_true: np.ndarray, label: str, path: Path) -> None:
    fig = _figure(6.0, 3.8)
    ax = fig.add_subplot()
    edges = np.linspace(0, 1, 21)
    for cls, name, colour in ((1, "real", _REAL), (0, "fake", _FAKE)):
        sel = p_true[is_true == cls]
        ax.hist(sel, bins=edges, alpha=0.55, color=colour, label=f"{name} (n={len(sel)})")
    ax.set(xlim=(0, 1), xlabel="P(true)", ylabel="articles", title=f"P(true) by class on {label}")
    ax.legend(fontsize=8)
    _save(fig, path)


def _importances(ranked: list[tuple[str, float]], label: str, path: Path, top: int = 12) -> None:
    fake = sorted((kv for kv in ranked if kv[1] < 0), key=lambda kv: kv[1])[:top]
    real = sorted((kv for kv in ranked if kv[1] > 0), key=lambda kv: -kv[1])[:top]
    rows = list(reversed(fake)) + real[::-1]
    fig = _figure(6.4, 0.22 * max(len(rows), 4) + 1.2)
    ax = fig.add_subplot()
    ax.barh(range(len(rows)), [w for _, w in rows], color=[_REAL if w > 0 else _FAKE for _, w in rows])
    ax.set_yticks(range(len(rows)), [n for n, _ in rows], fontsize=7)
    ax.axvline(0, color="black", lw=0.8)
    ax.set(xlabel="mean contribution to log-odds of true, per article",
           title=f"Largest signals on {label}: towards true (blue) and fake (red)")
    ax.title.set_fontsize(9)
    _save(fig, path)


def _labelled(articles: Sequence[Article] | None) -> tuple[list[Article], np.ndarray]:
    keep = [a for a in articles or () if a.label is not None]
    return keep, np.array([1 - int(a.label) for a in keep], dtype=int)  # type: ignore[arg-type]


def _held_out_p(model: TruthModel, val: Sequence[Article], is_true: np.ndarray) -> np.ndarray:
    """P(true) on val as the card's val metrics measure it: the model's own calibrator, or, when the
    calibrator was fitted on val, cross-fitted so that no article is judged by a calibrator that saw it."""
    if not str(model.meta.get("calibrated_on", "")).startswith("val"):
        return model.predict_proba([make_doc(a) for a in val])
    from truthmeter.model.train import cross_fitted

    scores = model.scores(model.features([make_doc(a) for a in val]))
    return cross_fitted(scores, is_true, int(model.meta.get("folds", 5)), int(model.meta.get("seed", 0)),
                        str(model.meta.get("calibration", "isotonic")))


def write_plots(model: TruthModel, out: str | Path, val_set: Sequence[Article] | None,
                train_set: Sequence[Article] | None = None) -> Plots:
    """Draw the card's PNGs into `out`. Calibration plots need held-out data: with no validation
    set they are skipped (in-sample P(true) would flatter the model); importances then use train."""
    if not plots_available():
        return Plots(notes=[PLOTS_MISSING])
    out = Path(out)
    val, is_true = _labelled(val_set)
    files: dict[str, str] = {}
    notes: list[str] = []
    if len(val):
        p_true = _held_out_p(model, val, is_true)
        _reliability(p_true, is_true, "val", out / PLOT_FILES["reliability"])
        _scores(p_true, is_true, "val", out / PLOT_FILES["scores"])
        files |= {k: PLOT_FILES[k] for k in ("reliability", "scores")}
    else:
        notes.append("reliability and score plots skipped: no --val data (in-sample P(true) is not a calibration check)")
    source, label = (val, "val") if len(val) else (training_view(train_set or [])[0], "train")
    if source:
        _importances(signal_importance(model, source), label, out / PLOT_FILES["importances"])
        files["importances"] = PLOT_FILES["importances"]
    return Plots(files=files, notes=notes, source=label if files else "")
