"""What the model card reports about a split beyond headline metrics: its make-up, intervals, the
confusion matrix, how many fakes each verdict gets, and quality by text length. Pure functions of
labels, probabilities and articles; `train` stores their results in the model's meta."""

from __future__ import annotations

from collections import Counter
from typing import Callable, Sequence

import numpy as np

from truthmeter.model.protocol import auc, scored
from truthmeter.types import Article, Verdict

__all__ = ["split_summary", "val_report", "LENGTH_BINS"]

# Word-count bins for "results by text length": ARG texts are cut near 150 words, LLMFake's are whole.
LENGTH_BINS = ((0, 20), (20, 60), (60, 120), (120, 10**9))


def split_summary(articles: Sequence[Article]) -> dict[str, object]:
    labelled = [a for a in articles if a.label is not None]
    dates = sorted(a.date[:10] for a in labelled if a.date)
    share = round(float(np.mean([a.label for a in labelled])), 3) if labelled else None
    return {"n": len(labelled), "fake_share": share,
            "first_date": dates[0] if dates else None, "last_date": dates[-1] if dates else None}


def _confusion(is_true: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, int]:
    pred = p >= threshold
    return {"real_as_real": int(np.sum(pred & (is_true == 1))), "real_as_fake": int(np.sum(~pred & (is_true == 1))),
            "fake_as_real": int(np.sum(pred & (is_true == 0))), "fake_as_fake": int(np.sum(~pred & (is_true == 0)))}


def _verdicts(is_true: np.ndarray, verdicts: Sequence[Verdict]) -> dict[str, dict[str, int]]:
    """For each class, how many articles got each verdict."""
    out: dict[str, dict[str, int]] = {}
    for cls, name in ((1, "real"), (0, "fake")):
        counts = Counter(v.value for v, y in zip(verdicts, is_true) if y == cls)
        out[name] = {v.value: counts.get(v.value, 0) for v in Verdict}
    return out


def _by_length(is_true: np.ndarray, p: np.ndarray, words: np.ndarray) -> list[dict[str, object]]:
    rows = []
    for lo, hi in LENGTH_BINS:
        sel = (words >= lo) & (words < hi)
        if sel.any():
            y = is_true[sel]
            rows.append({"words": f"{lo}-{hi - 1}" if hi < 10**9 else f"{lo}+", "n": int(sel.sum()),
                         "fake_share": round(float(1 - y.mean()), 3),
                         "auc": round(auc(y, p[sel]), 4) if 0 < y.sum() < len(y) else None})
    return rows


def val_report(articles: Sequence[Article], is_true: np.ndarray, p: np.ndarray, threshold: float,
               verdict_of: Callable[[float, Article], Verdict]) -> dict[str, object]:
    """Intervals, confusion matrix, verdict by class and results by length for one scored split.
    `p` should be honest for the split (cross-fitted when the calibrator was fitted on it);
    `verdict_of` gives the verdict a reader would see for an article with that probability."""
    s = scored(is_true, p, threshold)
    words = np.array([len(a.text.split()) for a in articles])
    return {"intervals": {"auc": s.auc.to_dict(), "macro_f1": s.macro_f1.to_dict(), "ece": s.ece.to_dict()},
            "confusion": _confusion(is_true, p, threshold),
            "verdicts": _verdicts(is_true, [verdict_of(float(pi), a) for pi, a in zip(p, articles)]),
            "by_length": _by_length(is_true, p, words)}
