"""Metrics a researcher can trust: macro-F1, accuracy, AUC, expected calibration error, per class."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["Metrics", "metrics", "ece", "best_threshold"]


@dataclass(frozen=True)
class Metrics:
    n: int
    macro_f1: float
    accuracy: float
    auc: float
    ece: float
    f1_real: float
    f1_fake: float
    threshold: float

    def to_dict(self) -> dict[str, float]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def ece(p_true: np.ndarray, is_true: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of P(true), 10 equal-width bins."""
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p_true, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        sel = idx == b
        if sel.any():
            total += sel.mean() * abs(p_true[sel].mean() - is_true[sel].mean())
    return float(total)


def metrics(p_true: np.ndarray, is_true: np.ndarray, threshold: float) -> Metrics:
    """`is_true` is 1 for real stories; an item is predicted real when p_true >= threshold."""
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
    pred = (p_true >= threshold).astype(int)
    per = f1_score(is_true, pred, average=None, labels=[1, 0], zero_division=0)
    auc = roc_auc_score(is_true, p_true) if len(set(is_true.tolist())) == 2 else float("nan")
    return Metrics(n=int(len(is_true)), macro_f1=float(per.mean()), accuracy=float(accuracy_score(is_true, pred)),
                   auc=float(auc), ece=ece(p_true, is_true), f1_real=float(per[0]), f1_fake=float(per[1]),
                   threshold=float(threshold))


def best_threshold(p_true: np.ndarray, is_true: np.ndarray) -> float:
    """The cut on P(true) that maximises macro-F1 (ties: the one closest to 0.5)."""
    from sklearn.metrics import f1_score
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    scores = [(f1_score(is_true, (p_true >= t).astype(int), average="macro"), -abs(t - 0.5), t) for t in grid]
    return float(max(scores)[2])
