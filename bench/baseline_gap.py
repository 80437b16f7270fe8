"""The model under test against the stock scikit-learn pipeline, trained in the same run.

    python bench/baseline_gap.py [--shared ../shared/data] [--out bench/out/baseline_gap.json]
        [--family lexical.v1 --family sourcing.v1] [--param '{"lexical.v1": {"word_bits": 20}}'] [--C 2]
        (the candidate: the shipped recipe, model/train.py SHIPPED, with these changes)
        [--no-augment] [--skip-val] [--skip-llmfake] [--shipped]

Three sets, each with AUC, macro-F1 at each model's own threshold and ECE, bootstrap 95% intervals:
(a) dev: train's oldest 80% by time to fit, its newest 20% to score. Choose candidates here.
(b) val: both trained on all of train, scored once. Never tune on it.
(c) LLMFake, split in two by news_id (as bench/robustness.py): trained on ARG train + the other
    half's originals and ChatGPT fakes; scored on this half's human originals and ChatGPT versions.
The candidate is trained by the shipped recipe (truthmeter.model.train) with no use of val: threshold
and calibration from out-of-fold train scores. LLMFake augmentation rows never include a story that
is in the scored set. `--shipped` also scores the shipped model on (b): its AUC is clean (val never
trained its weights), its threshold and calibration came from val, so those are cross-fitted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

import truthmeter
from truthmeter.model import TrainConfig, train
from truthmeter.model.protocol import Scored, StockBaseline, auc_difference, scored, time_split
from truthmeter.model.robustness import p_true as model_p_true
from truthmeter.features import make_doc
from truthmeter.model.classifier import TruthModel
from truthmeter.model.train import SHIPPED, training_view

sys.path.insert(0, str(Path(__file__).parent))
from robustness import KINDS, half, load, training_rows  # noqa: E402  (the same folds as robustness.py)

Row = tuple[str, str, Scored]
# (set name) -> (labels, model p_true, stock p_true): the paired AUC difference per set.
PAIRS: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def labels(articles: list) -> np.ndarray:
    return np.array([1 - int(a.label) for a in articles])


def candidate(fit: list, aug: list, config: TrainConfig) -> TruthModel:
    return train(fit, None, config, augment=aug).model


def compare(name: str, fit: list, aug: list, scored_on: list, config: TrainConfig) -> list[Row]:
    """Both models fitted on `fit` + `aug` (fact-check pages left out for both), scored on `scored_on`."""
    fit, _ = training_view(fit)
    y = labels(scored_on)
    t = time.time()
    model = candidate(fit, aug, config)
    p = model_p_true(model, scored_on)
    t_model = time.time() - t
    t = time.time()
    stock = StockBaseline().fit(fit + aug)
    p_stock = stock.p_true(scored_on)
    print(f"  [{name}] fit on {len(fit)}: model {t_model:.0f} s, stock {time.time() - t:.0f} s", flush=True)
    PAIRS[name] = (y, p, p_stock)
    return [(name, "model under test", scored(y, p, model.threshold)),
            (name, "stock sklearn", scored(y, p_stock, StockBaseline.threshold))]


def llmfake(train_set: list, val: list, llm: dict, config: TrainConfig) -> list[Row]:
    """Per kind: real originals vs (fake originals | fake ChatGPT versions), pooled over both folds."""
    parts: dict[tuple[str, str], list[tuple[np.ndarray, np.ndarray, float]]] = {}
    for fold in (0, 1):
        rows, versions = training_rows(llm, val, fold)
        fit, _ = training_view(train_set + rows)
        model, stock = candidate(fit, versions, config), StockBaseline().fit(fit + versions)
        for kind, (originals, versions) in llm.items():
            pairs = [(o, v) for o, v in zip(originals, versions) if half(o) == fold]
            for who, score, cut in (("model under test", lambda xs: model_p_true(model, xs), model.threshold),
                                    ("stock sklearn", stock.p_true, StockBaseline.threshold)):
                for variant in ("originals", "ChatGPT versions"):
                    items = [o if variant == "originals" or o.label == 0 else v for o, v in pairs]
                    parts.setdefault((f"(c) {kind}: {variant}", who), []).append(
                        (labels(items), score(items), cut))
    rows: list[Row] = []
    pooled: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for (name, who), chunks in parts.items():
        # Each fold's items scored by the model that never saw them; thresholds are per fold, so
        # macro-F1 is taken on the pooled decisions.
        y = np.concatenate([c[0] for c in chunks])
        p = np.concatenate([c[1] for c in chunks])
        cut = float(np.mean([c[2] for c in chunks]))
        rows.append((name, who, scored(y, p, cut)))
        pooled.setdefault(name, {})[who] = (y, p)
    for name, by_model in pooled.items():  # same items in the same order for both models
        (y, p_model), (_, p_stock) = by_model["model under test"], by_model["stock sklearn"]
        PAIRS[name] = (y, p_model, p_stock)
    return rows


def shipped_on_val(val: list) -> Row:
    from truthmeter.model.train import cross_fitted

    model = truthmeter.load_model()
    y = labels(val)
    raw = model.scores(model.features([make_doc(a) for a in val]))
    p = cross_fitted(raw, y, 5, 0, str(model.meta.get("calibration", "isotonic")))
    s = scored(y, p, model.threshold)
    clean_auc = scored(y, raw, 0.0).auc  # val never trained the weights: the raw score's AUC is clean
    return ("(b) val", "shipped model", Scored(s.n, s.n_fake, clean_auc, s.macro_f1, s.ece, s.threshold))


def print_rows(rows: list[Row]) -> None:
    print(f"{'set':<40} {'model':<18} {'n':>5} {'fakes':>5}  {'AUC [95% CI]':<22} {'macro-F1 [95% CI]':<22} "
          f"{'ECE [95% CI]':<22}")
    for name, who, s in rows:
        print(f"{name:<40} {who:<18} {s.n:>5} {s.n_fake:>5}  {str(s.auc):<22} {str(s.macro_f1):<22} {str(s.ece):<22}")
    by_set: dict[str, dict[str, Scored]] = {}
    for name, who, s in rows:
        by_set.setdefault(name, {})[who] = s
    for name, pair in by_set.items():
        m, st = pair.get("model under test"), pair.get("stock sklearn")
        if m and st:
            verdict = ("above, intervals apart" if m.auc.above(st.auc) else
                       "below, intervals apart" if st.auc.above(m.auc) else "intervals overlap")
            paired = ""
            if name in PAIRS:
                d = auc_difference(*PAIRS[name])
                paired = f"; paired bootstrap difference {d}" + (" (outside noise)" if d.lo > 0 or d.hi < 0 else
                                                                  " (inside noise)")
            print(f"  {name}: AUC model - stock = {m.auc.value - st.auc.value:+.3f} ({verdict}{paired})")


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--out", default="bench/out/baseline_gap.json")
    ap.add_argument("--family", action="append", help="feature families of the candidate (default: the shipped recipe's)")
    ap.add_argument("--param", default=None, help="per-family settings as JSON")
    ap.add_argument("--C", type=float, default=None)
    ap.add_argument("--calibration", choices=("isotonic", "sigmoid"), default=None)
    ap.add_argument("--no-augment", action="store_true", help="train the candidate without LLMFake rows")
    ap.add_argument("--skip-val", action="store_true", help="(a) only: while choosing, leave val untouched")
    ap.add_argument("--skip-llmfake", action="store_true")
    ap.add_argument("--shipped", action="store_true", help="also score the shipped model on val")
    return ap.parse_args()


def config_from(args: argparse.Namespace) -> TrainConfig:
    """The shipped recipe (model/train.py SHIPPED), changed by the flags; calibrated on out-of-fold
    train scores, since val is not for tuning here."""
    return replace(SHIPPED, families=tuple(args.family) if args.family else SHIPPED.families,
                   params=json.loads(args.param) if args.param else SHIPPED.params,
                   C=args.C if args.C is not None else SHIPPED.C, calibrate_on="train",
                   calibration=args.calibration or SHIPPED.calibration)


def main() -> None:
    args = parse_args()
    shared = Path(args.shared)
    if not (shared / "arg_gossipcop" / "train.jsonl").exists():
        print(f"skipped: no GossipCop data at {shared}")
        return
    config = config_from(args)
    print(f"candidate: families {list(config.families)}, params {config.params}, C {config.C}, "
          f"{config.calibration} calibration, "
          f"LLMFake augmentation {'off' if args.no_augment else 'on'}")
    train_set, val, llm = load(shared)
    fit, dev = time_split(train_set)
    print(f"(a) fit {len(fit)} ({fit[0].date} .. {fit[-1].date}), dev {len(dev)} ({dev[0].date} .. {dev[-1].date})")
    # exclude=-1: every LLMFake story, less those overlapping the scored set
    llm_rows = lambda held: ([], []) if args.no_augment else training_rows(llm, held, exclude=-1)  # noqa: E731
    originals, versions = llm_rows(dev + val)
    rows = compare("(a) dev: newest 20% of train", fit + originals, versions, dev, config)
    if not args.skip_val:
        originals, versions = llm_rows(val)
        rows += compare("(b) val", train_set + originals, versions, val, config)
        if args.shipped:
            rows.append(shipped_on_val(val))
    if not args.skip_llmfake:
        rows += llmfake(train_set, val, llm, config)
    print_rows(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(
        {"candidate": {"families": list(config.families), "params": config.params, "C": config.C,
                       "calibration": config.calibration,
                       "augment": not args.no_augment},
         "rows": [{"set": n, "model": w, **s.to_dict()} for n, w, s in rows],
         "auc_difference": {n: auc_difference(*v).to_dict() for n, v in PAIRS.items()}}, indent=1) + "\n")


if __name__ == "__main__":
    main()
