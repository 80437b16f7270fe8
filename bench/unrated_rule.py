"""How many words does a rating need? And how many val articles does the evidence cap move?

    python bench/unrated_rule.py [--shared ../shared/data]

1. ARG train split by `time`: a model (lexical.v1 + sourcing.v1) is trained on the oldest 80%; the
   newest 20% are cut to their first N words (the tokens the model reads) and rated. Per N: AUC of
   p_true against the labels, the spread of the 0-10 ratings (standard deviation), how far each rating
   is from the same article's full-text rating (mean absolute difference), and how often the verdict
   is the full text's; the share rated True (8+) overall and among the fakes, and the share of real
   articles among those rated True (the base rate when the rating says nothing). Where AUC is near
   chance and ratings are far from the full text's, a rating is noise. The rule: rating.MIN_WORDS is
   the fewest words at which fewer than half of the fake articles are rated True (printed).
2. ARG val rated by the shipped default model: how many True verdicts the evidence rule turns into
   Mostly true and False into Mostly false (rating.make_rating), and how right those were.
"""

from __future__ import annotations

from dataclasses import replace

import argparse
from pathlib import Path

import numpy as np

import truthmeter
from truthmeter.features import make_doc
from truthmeter.model import train
from truthmeter.model.protocol import time_split
from truthmeter.model.train import SHIPPED
from truthmeter.model.evaluate import metrics
from truthmeter.parse import extract_quotes
from truthmeter.rating import MIN_WORDS, truth_rating, verdict_for
from truthmeter.types import Article, Verdict

LENGTHS = (1, 2, 3, 5, 8, 12, 20, 30, 50)
# The shipped recipe, calibrated on out-of-fold train scores (val is not used to choose here).
CONFIG = replace(SHIPPED, calibrate_on="train")


def first_words(article: Article, n: int) -> Article:
    """The article cut to its first `n` tokens, as a title-less text (so the model reads n tokens)."""
    doc = make_doc(article)
    text = doc.text[: doc.offsets[min(n, len(doc.offsets)) - 1][1]] if doc.offsets else ""
    return Article(id=article.id, title="", body=text, label=article.label, quotes=extract_quotes(text))


def length_table(older: list[Article], newer: list[Article]) -> None:
    """Per length N: how well a model trained on `older` rates `newer` cut to N words."""
    model = train(older, None, CONFIG).model
    held = [a for a in newer if a.label is not None]
    y = np.array([1 - int(a.label) for a in held])  # type: ignore[arg-type]

    def p_true(items: list[Article]) -> np.ndarray:
        docs = [make_doc(a) for a in items]
        return model.proba(model.features(docs))

    full_p = p_true(held)
    full_r = np.array([truth_rating(float(p)) for p in full_p])
    full_v = [verdict_for(int(r)) for r in full_r]
    print(f"{len(older)} older articles to train on, {len(held)} newer held out "
          f"({int((1 - y).sum())} fake); full-text AUC {metrics(full_p, y, model.threshold).auc:.3f}")
    print(f"{'N words':>7}  {'AUC':>5}  {'rating sd':>9}  {'mean':>5}  {'|diff| vs full':>14}  "
          f"{'same verdict':>12}  {'rated 8+':>8}  {'fakes 8+':>8}  {'real of 8+':>10}")
    chosen = None
    for n in (*LENGTHS, None):
        p = full_p if n is None else p_true([first_words(a, n) for a in held])
        r = np.array([truth_rating(float(x)) for x in p])
        same = np.mean([verdict_for(int(a)) is b for a, b in zip(r, full_v)])
        fakes_true = np.mean(r[y == 0] >= 8)
        if n is not None and chosen is None and fakes_true < 0.5:
            chosen = n
        print(f"{'full' if n is None else n:>7}  {metrics(p, y, model.threshold).auc:>5.3f}  {r.std():>9.2f}  "
              f"{r.mean():>5.2f}  {np.abs(r - full_r).mean():>14.2f}  {same:>12.1%}  {np.mean(r >= 8):>8.1%}  "
              f"{fakes_true:>8.1%}  {np.mean(y[r >= 8]):>10.1%}")
    print(f"base rate: {y.mean():.1%} real. Fewest words at which fewer than half of the fakes are rated "
          f"True: {chosen}; rating.MIN_WORDS is {MIN_WORDS}")


def cap_table(val: list[Article]) -> None:
    """How many val verdicts the evidence rule moves, and how often the moved and kept ones were right."""
    rated = truthmeter.rate(val, truthmeter.load_model())
    # Dataset labels (1 = fake) of the articles the model calls True / False, capped or kept.
    moved: dict[Verdict, list[int | None]] = {Verdict.TRUE: [], Verdict.FALSE: []}
    kept: dict[Verdict, list[int | None]] = {Verdict.TRUE: [], Verdict.FALSE: []}
    unrated = 0
    for item in rated:
        r = item.rating
        if r.verdict is Verdict.UNRATED:
            unrated += 1
            continue
        model_verdict = r.verdict if r.is_fact_check else verdict_for(truth_rating(r.p_true))
        if model_verdict in moved:
            (moved if r.verdict is not model_verdict else kept)[model_verdict].append(item.article.label)
    n = len(rated)
    print(f"\nARG val, {n} articles, shipped model ({MIN_WORDS}+ words to be rated): {unrated} Unrated")
    for verdict, shown, right in ((Verdict.TRUE, "Mostly true", 0), (Verdict.FALSE, "Mostly false", 1)):
        m, k = moved[verdict], kept[verdict]
        share = lambda xs: f"{sum(x == right for x in xs)}/{len(xs)} right" if xs else "none"  # noqa: E731
        print(f"  model says {verdict.value}: {len(m) + len(k)}; capped to {shown}: {len(m)} ({len(m) / n:.1%} of val; "
              f"{share(m)}); kept {verdict.value}: {len(k)} ({share(k)})")
    total = sum(len(x) for x in moved.values())
    print(f"  the cap moves {total} of {n} val articles ({total / n:.1%})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    arg = Path(ap.parse_args().shared) / "arg_gossipcop"
    if not (arg / "train.jsonl").is_file() or not (arg / "val.jsonl").is_file():
        print(f"skipped: no ARG data at {arg} (train.jsonl, val.jsonl)")
        return
    # The development split of bench/baseline_gap.py: train's oldest 80% by date to fit, newest 20% to rate.
    older, newer = time_split([a for a in truthmeter.read(arg / "train.jsonl") if isinstance(a, Article)])
    length_table(older, newer)
    cap_table([a for a in truthmeter.read(arg / "val.jsonl") if isinstance(a, Article)])


if __name__ == "__main__":
    main()
