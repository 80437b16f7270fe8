"""Model: classifier (fit / predict_proba / save / load), training, calibration, explanations."""

from __future__ import annotations

from pathlib import Path

from truthmeter.model.classifier import TruthModel
from truthmeter.model.evaluate import Metrics, metrics
from truthmeter.model.train import TrainConfig, TrainResult, train  # sklearn itself loads only when training

__all__ = ["TruthModel", "TrainConfig", "TrainResult", "train", "Metrics", "metrics", "DEFAULT_MODEL_DIR"]

DEFAULT_MODEL_DIR = Path(__file__).parent / "default"
