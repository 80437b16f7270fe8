"""An honest comparison protocol: a time-ordered development split, a stock baseline trained in the
same run, and bootstrap intervals, so a better model can be told from a luckier one.

- `time_split`: train's oldest share to fit, its newest to choose (val stays untouched for choosing).
- `StockBaseline`: the textbook scikit-learn pipeline every claim is a ratio against.
- `scored`: AUC, macro-F1 at the model's own threshold and ECE, each with a bootstrap 95% interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from truthmeter.model.evaluate import ece
from truthmeter.types import Article

__all__ = ["time_split", "StockBaseline", "Interval", "Scored", "scored", "auc", "macro_f1", "auc_difference"]


def time_split(articles: Sequence[Article], fit_share: float = 0.8) -> tuple[list[Article], list[Article]]:
    """The oldest `fit_share` of the labelled articles and the newest rest, by date then id (an
    article without a date counts as oldest, so it never lands in the part used to choose)."""
    if not 0 < fit_share < 1:
        raise ValueError(f"fit_share must be between 0 and 1, got {fit_share}")
    ordered = sorted((a for a in articles if a.label is not None), key=lambda a: (a.date or "", a.id))
    cut = int(round(len(ordered) * fit_share))
    return ordered[:cut], ordered[cut:]


def auc(is_true: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve by ranks (ties share their mean rank), fast enough to bootstrap."""
    from scipy.stats import rankdata

    pos = is_true == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if not n_pos or not n_neg:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def macro_f1(is_true: np.ndarray, pred_true: np.ndarray) -> float:
    f1s = []
    for cls in (1, 0):
        tp = np.sum((pred_true == cls) & (is_true == cls))
        fp = np.sum((pred_true == cls) & (is_true != cls))
        fn = np.sum((pred_true != cls) & (is_true == cls))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    return float(np.mean(f1s))


@dataclass(frozen=True)
class Interval:
    value: float
    lo: float
    hi: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.lo:.3f}, {self.hi:.3f}]"

    def to_dict(self) -> dict[str, float]:
        return {"value": round(self.value, 4), "lo": round(self.lo, 4), "hi": round(self.hi, 4)}

    def above(self, other: "Interval") -> bool:
        """Whether this interval lies wholly above the other (a difference outside the noise)."""
        return self.lo > other.hi


@dataclass(frozen=True)
class Scored:
    n: int
    n_fake: int
    auc: Interval
    macro_f1: Interval
    ece: Interval
    threshold: float

    def to_dict(self) -> dict[str, object]:
        return {"n": self.n, "n_fake": self.n_fake, "threshold": round(self.threshold, 4),
                "auc": self.auc.to_dict(), "macro_f1": self.macro_f1.to_dict(), "ece": self.ece.to_dict()}


def scored(is_true: np.ndarray, p_true: np.ndarray, threshold: float, *, rounds: int = 1000,
           seed: int = 0) -> Scored:
    """Point values and percentile bootstrap 95% intervals (resampling articles, stratified by class
    so every resample has both)."""
    is_true, p_true = np.asarray(is_true), np.asarray(p_true, dtype=float)
    fns = {"auc": lambda y, p: auc(y, p), "macro_f1": lambda y, p: macro_f1(y, (p >= threshold).astype(int)),
           "ece": lambda y, p: ece(p, y)}
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(is_true == 1), np.flatnonzero(is_true != 1)
    draws: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        idx = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        for k, fn in fns.items():
            draws[k].append(fn(is_true[idx], p_true[idx]))
    out = {k: Interval(fn(is_true, p_true), *np.percentile(draws[k], [2.5, 97.5])) for k, fn in fns.items()}
    return Scored(n=len(is_true), n_fake=int((is_true != 1).sum()), threshold=threshold, **out)


def auc_difference(is_true: np.ndarray, p_a: np.ndarray, p_b: np.ndarray, *, rounds: int = 1000,
                   seed: int = 0) -> Interval:
    """AUC of `p_a` minus AUC of `p_b` on the same articles, with a paired bootstrap 95% interval:
    both scored on each resample, so what the two models share does not widen it (two separate
    intervals that overlap can still hide a real difference, or two apart can be luck)."""
    is_true = np.asarray(is_true)
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(is_true == 1), np.flatnonzero(is_true != 1)
    diffs = []
    for _ in range(rounds):
        idx = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        diffs.append(auc(is_true[idx], p_a[idx]) - auc(is_true[idx], p_b[idx]))
    return Interval(auc(is_true, p_a) - auc(is_true, p_b), *np.percentile(diffs, [2.5, 97.5]))


class StockBaseline:
    """The stock scikit-learn pipeline: exact-vocabulary TF-IDF word 1-2-grams (min_df 2) and char_wb
    2-5-grams (min_df 3), sublinear tf, logistic regression C=1 with balanced class weights. Its own
    threshold is 0.5 (balanced weights put the cut there)."""

    threshold = 0.5

    def __init__(self, C: float = 1.0) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        self.pipeline = make_pipeline(
            make_union(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                       TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True)),
            LogisticRegression(C=C, class_weight="balanced", max_iter=5000))

    def fit(self, articles: Sequence[Article]) -> "StockBaseline":
        self.pipeline.fit([a.text for a in articles], [1 - int(a.label or 0) for a in articles])
        return self

    def p_true(self, articles: Sequence[Article]) -> np.ndarray:
        return self.pipeline.predict_proba([a.text for a in articles])[:, 1]
