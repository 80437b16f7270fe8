"""The truth model: registered feature families -> logistic regression -> isotonic calibration.

Saved as `model.json` (feature family names and versions, settings, metrics) beside `weights.npz`,
so a model reloads by registry name without pickling code objects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from truthmeter.errors import ModelError
from truthmeter.features import Doc, FeatureFamily, Span, create
from truthmeter.features.outlet import NAME as OUTLET, OutletPrior
from truthmeter.model.calibrate import Calibrator, SigmoidCalibrator

__all__ = ["TruthModel", "Contribution", "FORMAT"]

FORMAT = "truthmeter-model/1"


@dataclass(frozen=True)
class Contribution:
    name: str
    weight: float
    span: Span | None


@dataclass
class TruthModel:
    families: list[FeatureFamily]
    C: float = 2.0
    coef: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    intercept: float = 0.0
    calibrator: Calibrator | SigmoidCalibrator | None = None
    threshold: float = 0.5
    meta: dict[str, object] = field(default_factory=dict)
    outlets: OutletPrior | None = None

    @classmethod
    def from_names(cls, names: Sequence[str], C: float = 2.0,
                   params: dict[str, dict[str, object]] | None = None) -> "TruthModel":
        return cls(families=[create(n, (params or {}).get(n)) for n in names], C=C)

    @property
    def name(self) -> str:
        return str(self.meta.get("name", "truthmeter"))

    def features(self, docs: Sequence[Doc], *, explain: bool = True) -> sp.csr_matrix:
        """The feature rows of `docs`. `explain=False` when these docs' contributions will not be
        asked for (rating without signals): families that keep per-batch state for explaining
        (lexical.v1's gram owners) skip building it; the matrix is the same."""
        if explain:
            return sp.hstack([f.transform(docs) for f in self.families], format="csr")
        return sp.hstack([f.transform(docs, explain=False) if getattr(f, "lean_transform", False)
                          else f.transform(docs) for f in self.families], format="csr")

    def fit_features(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        for f in self.families:
            f.fit(docs)
        return self.features(docs, explain=False)  # training never explains its own rows

    def fit_weights(self, X: sp.csr_matrix, is_true: np.ndarray) -> "TruthModel":
        from sklearn.linear_model import LogisticRegression  # training only: keeps rating start-up light

        lr = LogisticRegression(C=self.C, max_iter=5000, solver="liblinear").fit(X, is_true)
        self.coef = lr.coef_[0].astype(np.float32)
        self.intercept = float(lr.intercept_[0])
        return self

    def scores(self, X: sp.csr_matrix) -> np.ndarray:
        """Raw log-odds that the story is true."""
        return np.asarray(X @ self.coef64(), dtype=np.float64).ravel() + self.intercept

    def coef64(self) -> np.ndarray:
        """The weights as float64, converted once per weight vector (2 x 2^21 columns: converting on
        every batch cost ~30 us an article)."""
        cached = self.__dict__.get("_coef64")
        if cached is None or cached[0] is not self.coef:
            cached = (self.coef, self.coef.astype(np.float64))
            self.__dict__["_coef64"] = cached
        return cached[1]

    def proba(self, X: sp.csr_matrix) -> np.ndarray:
        s = self.scores(X)
        return self.calibrator(s) if self.calibrator else 1 / (1 + np.exp(-s))

    def predict_proba(self, docs: Sequence[Doc]) -> np.ndarray:
        """Calibrated P(true) for each doc, with its outlet's track record when known."""
        return self.adjust(self.proba(self.features(docs, explain=False)), docs)

    def outlet_shifts(self, docs: Sequence[Doc]) -> list[float | None]:
        return [self.outlets.lookup(d.outlet) if self.outlets else None for d in docs]

    def adjust(self, p_true: np.ndarray, docs: Sequence[Doc]) -> np.ndarray:
        """Add each known outlet's log-odds shift to the calibrated probability."""
        shift = np.array([s or 0.0 for s in self.outlet_shifts(docs)])
        if not shift.any():
            return p_true
        p = np.clip(p_true, 1e-6, 1 - 1e-6)
        return 1 / (1 + np.exp(-(np.log(p / (1 - p)) + shift)))

    def contributions(self, doc: Doc, row: sp.csr_matrix | None = None, top: int | None = None
                      ) -> list[Contribution]:
        """Every feature's share of this doc's raw log-odds, grouped by the text behind it.

        The weights plus `intercept` sum exactly to the score (the explanation is the model). With
        `top`, each family returns only its `top` largest, which contain the overall `top` largest.
        """
        return self._family_contributions([doc], self.features([doc]) if row is None else row, top)[0]

    def explain_batch(self, docs: Sequence[Doc], X: sp.csr_matrix, top: int) -> list[list[Contribution]]:
        """`contributions(doc, top=top)` for every doc of a batch whose features `X` were just computed,
        plus each known outlet's shift (applied to the calibrated log-odds, see `adjust`)."""
        out = self._family_contributions(docs, X, top)
        for parts, doc, shift in zip(out, docs, self.outlet_shifts(docs)):
            if shift:
                parts.append(Contribution(f"{OUTLET}:{doc.outlet}", shift, None))
        return out

    def _family_contributions(self, docs: Sequence[Doc], X: sp.csr_matrix, top: int | None
                              ) -> list[list[Contribution]]:
        contrib = sp.csr_matrix(X, copy=True)
        contrib.data = contrib.data * self.coef[contrib.indices]
        out: list[list[Contribution]] = [[] for _ in docs]
        offset = 0
        for fam in self.families:
            block = contrib[:, offset: offset + fam.n_features].tocsr()
            offset += fam.n_features
            batch = getattr(fam, "attribute_batch", None)
            ptr = block.indptr
            per_doc = batch(docs, block, top) if batch else [
                fam.attribute(d, block.indices[ptr[i]:ptr[i + 1]], block.data[ptr[i]:ptr[i + 1]], top)
                for i, d in enumerate(docs)]
            for parts, found in zip(out, per_doc):
                parts.extend(Contribution(n, w, s) for n, w, s in found if w != 0.0)
        return out

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {"coef": self.coef, "intercept": np.array([self.intercept])}
        if isinstance(self.calibrator, SigmoidCalibrator):
            arrays |= {"cal_sigmoid": np.array([self.calibrator.a, self.calibrator.b])}
        elif self.calibrator:
            arrays |= {"cal_x": self.calibrator.x, "cal_y": self.calibrator.y}
        for i, fam in enumerate(self.families):
            arrays |= {f"f{i}.{k}": v for k, v in fam.state().items()}
        if self.outlets:
            arrays |= {f"outlets.{k}": v for k, v in self.outlets.state().items()}
        np.savez_compressed(path / "weights.npz", **arrays)
        config = {"format": FORMAT, "C": self.C, "threshold": self.threshold, "meta": self.meta,
                  "families": [{"name": f.name, "params": f.params()} for f in self.families]}
        (path / "model.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "TruthModel":
        path = Path(path)
        try:
            config = json.loads((path / "model.json").read_text())
            weights = np.load(path / "weights.npz")
        except (OSError, ValueError) as e:
            raise ModelError(f"{path}: not a truthmeter model ({e})") from None
        if config.get("format") != FORMAT:
            raise ModelError(f"{path}: unknown model format {config.get('format')!r}, expected {FORMAT}")
        families = [create(f["name"], f["params"]) for f in config["families"]]
        for i, fam in enumerate(families):
            prefix = f"f{i}."
            fam.load_state({k[len(prefix):]: weights[k] for k in weights.files if k.startswith(prefix)})
        cal: Calibrator | SigmoidCalibrator | None = None
        if "cal_sigmoid" in weights.files:
            cal = SigmoidCalibrator(*(float(v) for v in weights["cal_sigmoid"]))
        elif "cal_x" in weights.files:
            cal = Calibrator(weights["cal_x"], weights["cal_y"])
        outlet_state = {k[len("outlets."):]: weights[k] for k in weights.files if k.startswith("outlets.")}
        return cls(families=families, C=config["C"], coef=weights["coef"], intercept=float(weights["intercept"][0]),
                   calibrator=cal, threshold=config["threshold"], meta=config["meta"],
                   outlets=OutletPrior.from_state(outlet_state) if outlet_state else None)
