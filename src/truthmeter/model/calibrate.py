"""Turn raw scores into calibrated probabilities: isotonic regression fitted on held-out folds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Calibrator", "fit_isotonic"]

# Never claim certainty from text alone: the ends of the curve are clipped.
_EPS = 0.005


@dataclass(frozen=True)
class Calibrator:
    x: np.ndarray
    y: np.ndarray

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return np.clip(np.interp(scores, self.x, self.y), _EPS, 1 - _EPS)


def fit_isotonic(scores: np.ndarray, y_true: np.ndarray) -> Calibrator:
    from sklearn.isotonic import IsotonicRegression  # training only: keeps rating start-up light

    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(scores, y_true)
    return Calibrator(np.asarray(iso.X_thresholds_, dtype=np.float64), np.asarray(iso.y_thresholds_, dtype=np.float64))
