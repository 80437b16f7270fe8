"""Evidence cue families: who says it (sourcing), how sure (hedging), how loud (sensational),
and denials. Each cue is a count of pattern matches, log-scaled and standardised on training data.

Patterns allow ARG-style spacing around punctuation, so tokenised and raw text count the same.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from truthmeter.features._base import Doc, Span, register

__all__ = ["CueFamily", "CUES"]

_I = re.I
# A cue is a pattern, or a function giving the spans it found.
Matcher = "re.Pattern[str] | Callable[[Doc], list[tuple[int, int]]]"
Cue = tuple[str, Matcher]

CUES: dict[str, list[Cue]] = {
    "sourcing.v1": [
        ("anonymous source", re.compile(
            r"\b(?:a|an|one|another)\s+(?:\w+\s+)?(?:source|insider|pal|tipster)s?\b|"
            r"\b(?:friend|source|insider)s?\s+close\s+to\b|\bsources?\s+(?:say|said|tell|told|claim|reveal)", _I)),
        ("told a named outlet", re.compile(r"\b(?:told|tells|telling)\s+(?:[A-Z][A-Za-z!.]+|E\s*!)")),
        ("representative on record", re.compile(
            r"\b(?:rep|representative|spokes(?:person|man|woman)|publicist|attorney|lawyer)s?\s+for\b|"
            r"\bin\s+a\s+(?:joint\s+)?statement\b", _I)),
        ("own social post", re.compile(r"\btook\s+to\s+(?:twitter|instagram|facebook)\b|\b(?:tweeted|instagram\s+story)\b", _I)),
        ("interview", re.compile(r"\b(?:interview|cover\s+story|podcast|appearance\s+on)\b", _I)),
        ("named quote", lambda d: [(q.start, q.end) for q in d.quotes if q.on_record]),
        ("anonymous quote", lambda d: [(q.start, q.end) for q in d.quotes if not q.on_record]),
    ],
    "hedging.v1": [
        ("hedge word", re.compile(
            r"\b(?:reportedly|allegedly|rumou?r(?:s|ed)?|supposedly|apparently|speculat\w*|whispers?)\b", _I)),
        ("maybe", re.compile(r"\b(?:may|might|could)\s+(?:be|have)\b|\bit\s+seems\b|\bis\s+said\s+to\b", _I)),
        ("claims", re.compile(r"\bclaim(?:s|ed)?\b", _I)),
    ],
    "sensational.v1": [
        ("exclamation", re.compile(r"!")),
        ("question", re.compile(r"\?")),
        ("loud word", re.compile(
            r"\b(?:shock\w*|bombshell|stunn\w*|explosive|heartbreak\w*|devastat\w*|furious|meltdown|slams?|"
            r"feud\w*|desperate|jaw\W+dropping|scandal\w*|secret\w*|exclusive|insane|crazy|omg)\b", _I)),
        ("capitals", re.compile(r"\b[A-Z]{4,}\b")),
    ],
    "denial.v1": [
        ("denial", re.compile(
            r"\b(?:den(?:y|ied|ies|ying)|untrue|not\s+true|fabricat\w*|made\s+up|baseless|no\s+truth|"
            r"false(?:ly)?|debunk\w*|shut\s+down)\b", _I)),
        ("confirmation", re.compile(r"\bconfirm(?:s|ed|ing)?\b", _I)),
    ],
}


def _count(cue: Matcher, doc: Doc) -> int:  # type: ignore[valid-type]
    return len(cue(doc)) if callable(cue) else len(cue.findall(doc.text))


def _spans(cue: Matcher, doc: Doc) -> list[tuple[int, int]]:  # type: ignore[valid-type]
    return cue(doc) if callable(cue) else [m.span() for m in cue.finditer(doc.text)]


class CueFamily:
    def __init__(self, name: str, scale: float = 1.0) -> None:
        # `scale` < 1 makes the L2 penalty dearer for cue weights: at unit scale a handful of dense
        # cue columns outweighed thousands of sparse n-grams and overfitted (bench/baseline_gap.py).
        self.name, self.scale = name, float(scale)
        self.cues = CUES[name]
        self.std = np.ones(len(self.cues), dtype=np.float32)

    @property
    def n_features(self) -> int:
        return len(self.cues)

    def _raw(self, docs: Sequence[Doc]) -> np.ndarray:
        counts = [[_count(c, d) for _, c in self.cues] for d in docs]
        return np.log1p(np.array(counts, dtype=np.float32).reshape(len(docs), len(self.cues)))

    def fit(self, docs: Sequence[Doc]) -> "CueFamily":
        # Scaled but not centred: an absent cue is exactly 0, so it contributes nothing and
        # never shows up as a reason (the intercept carries the baseline).
        self.std = self._raw(docs).std(axis=0)
        self.std[self.std == 0] = 1
        return self

    def transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        return sp.csr_matrix(self._raw(docs) * (self.scale / self.std))


    def attribute(self, doc: Doc, cols: np.ndarray, vals: np.ndarray, top: int | None = None
                  ) -> list[tuple[str, float, Span | None]]:
        out = []
        for col, weight in zip(cols.tolist(), vals.tolist()):
            label, cue = self.cues[col]
            found = _spans(cue, doc)
            span = Span(found[0][0], found[0][1], doc.text[found[0][0]:found[0][1]]) if found else None
            out.append((f"{self.name}:{label}", weight, span))
        return out

    def params(self) -> dict[str, object]:
        return {} if self.scale == 1.0 else {"scale": self.scale}

    def state(self) -> dict[str, np.ndarray]:
        return {"std": self.std}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.std = state["std"]


for _name in CUES:
    register(_name)(lambda _n=_name, **params: CueFamily(_n, **params))
