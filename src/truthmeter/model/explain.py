"""Signals: the few contributions that moved one article's rating most, each with its text span."""

from __future__ import annotations

import scipy.sparse as sp

from truthmeter.features import Doc
from truthmeter.model.classifier import TruthModel
from truthmeter.types import Signal

__all__ = ["top_signals"]


def top_signals(model: TruthModel, doc: Doc, row: sp.csr_matrix | None = None, k: int = 5) -> list[Signal]:
    """The k largest contributions by size; positive weights push towards true."""
    parts = sorted(model.contributions(doc, row, top=k), key=lambda c: abs(c.weight), reverse=True)[:k]
    return [Signal(name=c.name, weight=c.weight, text=c.span.text if c.span else None,
                   start=c.span.start if c.span else None, end=c.span.end if c.span else None)
            for c in parts]
