"""Style robustness: does a rating survive a change of tone that leaves the facts alone?

Two measurements, both on the model's own calibrated P(true) and threshold:

- `pair_robustness`: originals against rewrites of the same stories (LLMFake's ChatGPT versions, or
  any file of variants with matching ids). A model that learned an outlet's style instead of the
  truth loses fake recall when a fake is retold in a neutral voice.
- `tone_robustness`: real stories through the rule-based edits of `truthmeter.tone`. A true story
  told louder is still true, so its 0-10 rating should hardly move.

Ratings here are the model's (`truth_rating(p_true)`), also for fact-check pages whose published
rating would override it in `rate`: what is measured is the model, not the override.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable, Hashable, Mapping, Sequence

import numpy as np

from truthmeter.errors import DataError, ParseError
from truthmeter.features import make_doc
from truthmeter.model.classifier import TruthModel
from truthmeter.rating import truth_rating
from truthmeter.tone import TONE_EDITS
from truthmeter.types import Article

__all__ = ["PairReport", "ToneEffect", "ToneReport", "pair_robustness", "tone_robustness", "match_pairs",
           "llmfake_pairs", "by_id", "by_origin", "p_true"]

Key = Callable[[Article], Hashable]
_CHUNK = 2048  # docs per predict_proba call: bounded memory on big files


def by_id(article: Article) -> Hashable:
    return article.id


def by_origin(article: Article) -> Hashable:
    """File and line: the key when variants are the same rows read through another text column."""
    if article.origin is None:
        raise DataError(f"article {article.id} has no origin to match on")
    return (article.origin.path, article.origin.line)


def p_true(model: TruthModel, articles: Sequence[Article]) -> np.ndarray:
    """The model's calibrated P(true) for each article, in batches (no signals: fast)."""
    if not articles:
        return np.zeros(0)
    return np.concatenate([model.predict_proba([make_doc(a) for a in articles[i:i + _CHUNK]])
                           for i in range(0, len(articles), _CHUNK)])


def _ratings(p: np.ndarray) -> np.ndarray:
    return np.array([truth_rating(float(x)) for x in p], dtype=float)


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if len(x) else math.nan


def _clean(d: Mapping[str, object]) -> dict[str, object]:
    """Rounded floats; NaN (nothing to measure) as null, so the JSON stays valid."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else round(v, 4) if isinstance(v, float) else v)
            for k, v in d.items()}


# ---- pairs ----

@dataclass(frozen=True)
class PairReport:
    """Originals against their variants. Recall and FPR use "predicted fake" = p_true < threshold;
    changes are variant minus original on the 0-10 scale (negative: the variant is rated less true)."""

    n_pairs: int
    n_fake: int
    n_real: int
    n_unmatched: int
    threshold: float
    fake_recall_original: float
    fake_recall_variant: float
    recall_drop_points: float  # percentage points of fake recall lost on the variants
    real_fpr_original: float
    mean_abs_change: float  # all pairs
    mean_abs_change_fake: float
    mean_signed_change_fake: float

    def to_dict(self) -> dict[str, object]:
        return _clean(asdict(self))


def match_pairs(originals: Sequence[Article], variants: Sequence[Article], key: Key = by_id
                ) -> tuple[list[tuple[Article, Article]], int]:
    """(original, variant) pairs with equal keys, in the originals' order, and how many items on
    either side found no partner. A key used twice on one side is ambiguous: DataError."""
    index: dict[Hashable, Article] = {}
    for v in variants:
        if key(v) in index:
            raise DataError(f"two variants share the key {key(v)!r}: cannot pair them")
        index[key(v)] = v
    pairs, seen = [], set()
    for o in originals:
        k = key(o)
        if k in seen:
            raise DataError(f"two originals share the key {k!r}: cannot pair them")
        seen.add(k)
        if k in index:
            pairs.append((o, index[k]))
    return pairs, (len(originals) - len(pairs)) + (len(variants) - len(pairs))


def pair_robustness(originals: Sequence[Article], variants: Sequence[Article], model: TruthModel, *,
                    key: Key = by_id) -> PairReport:
    """Fake recall on originals vs variants, real FPR on originals, and how far ratings move.

    The label is the original's. Real rows count only towards FPR on the originals: in LLMFake a
    real row's "variant" is a copy of it, so it says nothing about rewriting."""
    pairs, unmatched = match_pairs(originals, variants, key)
    if not pairs:
        raise DataError("no original has a variant with the same key to compare with")
    p_orig = p_true(model, [o for o, _ in pairs])
    p_var = p_true(model, [v for _, v in pairs])
    labels = np.array([-1 if o.label is None else o.label for o, _ in pairs])
    fake, real = labels == 1, labels == 0
    change = _ratings(p_var) - _ratings(p_orig)
    recall_o = _mean((p_orig[fake] < model.threshold).astype(float))
    recall_v = _mean((p_var[fake] < model.threshold).astype(float))
    return PairReport(
        n_pairs=len(pairs), n_fake=int(fake.sum()), n_real=int(real.sum()), n_unmatched=unmatched,
        threshold=float(model.threshold), fake_recall_original=recall_o, fake_recall_variant=recall_v,
        recall_drop_points=100 * (recall_o - recall_v),
        real_fpr_original=_mean((p_orig[real] < model.threshold).astype(float)),
        mean_abs_change=_mean(np.abs(change)), mean_abs_change_fake=_mean(np.abs(change[fake])),
        mean_signed_change_fake=_mean(change[fake]))


def _read(path: str, text_field: str | None) -> list[Article]:
    from truthmeter.pipeline import read  # the pipeline imports the model package: import late

    return [a for a in read(path, text_field=text_field) if not isinstance(a, ParseError)]


def llmfake_pairs(path: str, text_field: str = "synthetic_misinformation"
                  ) -> tuple[list[Article], list[Article]]:
    """An LLMFake CSV as aligned (originals, variants): `news_text` rows and the same rows read
    through `text_field` (ChatGPT's versions; for real rows a copy of the original), matched by row."""
    pairs, _ = match_pairs(_read(path, None), _read(path, text_field), key=by_origin)
    return [o for o, _ in pairs], [v for _, v in pairs]


# ---- tone edits ----

@dataclass(frozen=True)
class ToneEffect:
    """One edit over the real articles: rating change (edited minus original, 0-10 scale)."""

    edit: str
    n_edited: int  # articles whose text the edit actually changed
    mean_abs_change: float
    mean_signed_change: float
    share_changed: float  # articles whose rating moved at all
    fake_rate: float  # real articles predicted fake after the edit

    def to_dict(self) -> dict[str, object]:
        return _clean(asdict(self))


@dataclass(frozen=True)
class ToneReport:
    n: int
    threshold: float
    fake_rate_original: float  # real articles predicted fake before any edit
    effects: tuple[ToneEffect, ...]
    mean_abs_change: float  # over every (article, edit)
    mean_signed_change: float

    def to_dict(self) -> dict[str, object]:
        head = _clean({k: v for k, v in asdict(self).items() if k != "effects"})
        return {**head, "effects": {e.edit: e.to_dict() for e in self.effects}}


def _effect(name: str, edit: Callable[[Article], Article], reals: Sequence[Article], base: np.ndarray,
            model: TruthModel) -> tuple[ToneEffect, np.ndarray]:
    edited = [edit(a) for a in reals]
    p = p_true(model, edited)
    change = _ratings(p) - _ratings(base)
    n_edited = sum(e.text != a.text for e, a in zip(edited, reals))
    return ToneEffect(edit=name, n_edited=n_edited, mean_abs_change=_mean(np.abs(change)),
                      mean_signed_change=_mean(change), share_changed=_mean((change != 0).astype(float)),
                      fake_rate=_mean((p < model.threshold).astype(float))), change


def tone_robustness(articles: Sequence[Article], model: TruthModel,
                    edits: Mapping[str, Callable[[Article], Article]] = TONE_EDITS) -> ToneReport:
    """How far each tone edit moves the ratings of real (label 0) and unlabelled articles."""
    reals = [a for a in articles if a.label != 1]
    if not reals:
        raise DataError("no real or unlabelled articles to edit (tone robustness needs label 0 or none)")
    base = p_true(model, reals)
    effects, changes = [], []
    for name, edit in edits.items():
        effect, change = _effect(name, edit, reals, base, model)
        effects.append(effect)
        changes.append(change)
    every = np.concatenate(changes) if changes else np.zeros(0)
    return ToneReport(n=len(reals), threshold=float(model.threshold),
                      fake_rate_original=_mean((base < model.threshold).astype(float)),
                      effects=tuple(effects), mean_abs_change=_mean(np.abs(every)),
                      mean_signed_change=_mean(every))
