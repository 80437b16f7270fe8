"""Turn raw scores into calibrated probabilities, fitted on held-out scores: isotonic regression, or a
sigmoid (Platt scaling). Isotonic steps give many articles the same probability, which costs ranking
(AUC) on new data; a sigmoid is strictly increasing and keeps the score's order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Calibrator", "SigmoidCalibrator", "fit_isotonic", "fit_sigmoid", "fit_calibrator", "METHODS"]

METHODS = ("isotonic", "sigmoid")

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


@dataclass(frozen=True)
class SigmoidCalibrator:
    a: float
    b: float

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return np.clip(1 / (1 + np.exp(-(self.a * np.asarray(scores, dtype=np.float64) + self.b))), _EPS, 1 - _EPS)


def fit_sigmoid(scores: np.ndarray, y_true: np.ndarray) -> SigmoidCalibrator:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, max_iter=1000).fit(np.asarray(scores, dtype=np.float64)[:, None], y_true)
    return SigmoidCalibrator(float(lr.coef_[0, 0]), float(lr.intercept_[0]))


def fit_calibrator(scores: np.ndarray, y_true: np.ndarray, method: str = "isotonic"
                   ) -> Calibrator | SigmoidCalibrator:
    if method not in METHODS:
        raise ValueError(f"unknown calibration {method!r} (known: {', '.join(METHODS)})")
    return fit_sigmoid(scores, y_true) if method == "sigmoid" else fit_isotonic(scores, y_true)
