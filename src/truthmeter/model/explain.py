"""Signals: the few contributions that moved one article's rating most, each with its text span."""

from __future__ import annotations

from typing import Sequence

import scipy.sparse as sp

from truthmeter.features import Doc
from truthmeter.model.classifier import Contribution, TruthModel
from truthmeter.types import Signal

__all__ = ["top_signals", "top_signals_batch", "to_signals"]


def top_signals(model: TruthModel, doc: Doc, row: sp.csr_matrix | None = None, k: int = 5) -> list[Signal]:
    """The k largest contributions by size; positive weights push towards true."""
    return to_signals(model.contributions(doc, row, top=k), k)


def top_signals_batch(model: TruthModel, docs: Sequence[Doc], X: sp.csr_matrix, k: int = 5) -> list[list[Signal]]:
    """`top_signals` for a whole batch (the same signals, computed per batch)."""
    return [to_signals(parts, k) for parts in model.explain_batch(docs, X, k)]


def to_signals(contributions: Sequence[Contribution], k: int) -> list[Signal]:
    parts = sorted(contributions, key=lambda c: abs(c.weight), reverse=True)[:k]
    return [Signal(name=c.name, weight=c.weight, text=c.span.text if c.span else None,
                   start=c.span.start if c.span else None, end=c.span.end if c.span else None)
            for c in parts]
