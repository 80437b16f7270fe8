"""Style robustness of the shipped training recipe, on stories the model never saw.

    python bench/robustness.py [--shared ../shared/data] [--out robustness.json]

LLMFake stories are split in two by news_id. For each half: train as the shipped model is trained
(ARG train + the other half's LLMFake originals and ChatGPT fakes, calibrated on ARG val), then
compare fake recall on this half's human originals and their ChatGPT versions (paraphrase, rewrite,
open-ended), and the false-positive rate on its real originals. The tone-only edits are measured on
ARG val's real articles with a model trained the same way. Prints the figures and writes the JSON
that `truthmeter train --robustness` puts in the model card.
"""

from __future__ import annotations

import argparse
import json
import zlib
from pathlib import Path

import numpy as np

import truthmeter
from truthmeter.model import train
from truthmeter.model.robustness import by_origin, pair_robustness, tone_robustness
from truthmeter.model.train import SHIPPED, rewrites_of_fakes, without_overlap

KINDS = ("paraphrase", "rewrite", "open_ended")
CONFIG = SHIPPED  # the shipped recipe (model/train.py)


def load(shared: Path) -> tuple[list, list, dict[str, tuple[list, list]]]:
    arg = lambda name: list(truthmeter.read(shared / "arg_gossipcop" / name))  # noqa: E731
    llm = {}
    for kind in KINDS:
        path = shared / "llmfake_gossipcop" / f"gossipcop_{kind}_gpt35.csv"
        llm[kind] = (list(truthmeter.read(path)), list(truthmeter.read(path, text_field="synthetic_misinformation")))
    return arg("train.jsonl"), arg("val.jsonl"), llm


def half(article: truthmeter.Article) -> int:
    return zlib.crc32(article.id.encode()) % 2


def training_rows(llm: dict[str, tuple[list, list]], val: list, exclude: int) -> tuple[list, list]:
    """What the shipped recipe trains on from LLMFake, for the stories outside fold `exclude`: each
    human original once (the three files share them), and the ChatGPT versions of the fakes, which
    the recipe passes as augmentation (weights only, never calibration)."""
    rows, versions, seen = [], [], set()
    for originals, rewritten in llm.values():
        inside = [o for o in originals if half(o) != exclude]
        kept, _ = without_overlap(inside, val)
        rows += [o for o in kept if not (o.id in seen or seen.add(o.id))]
        versions += rewrites_of_fakes(inside, rewritten, val)
    return rows, versions


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    ap.add_argument("--out", default="bench/out/robustness.json")
    args = ap.parse_args()
    train_set, val, llm = load(Path(args.shared))
    per_kind: dict[str, list[dict]] = {k: [] for k in KINDS}
    for fold in (0, 1):
        rows, versions = training_rows(llm, val, fold)
        model = train(train_set + rows, val, CONFIG, augment=versions).model
        for kind, (originals, versions) in llm.items():
            pairs = [(o, v) for o, v in zip(originals, versions) if half(o) == fold]
            report = pair_robustness([o for o, _ in pairs], [v for _, v in pairs], model, key=by_origin)
            per_kind[kind].append(report.to_dict())
    tone = tone_robustness([a for a in val if a.label == 0], model).to_dict()
    out = {"protocol": "LLMFake split by news_id, 2 folds; model trained on ARG train + the other fold"}
    for kind, reports in per_kind.items():
        before = np.mean([r["fake_recall_original"] for r in reports])
        after = np.mean([r["fake_recall_variant"] for r in reports])
        out[f"{kind}: fake recall original -> ChatGPT version"] = f"{before:.3f} -> {after:.3f}"
        # Positive: the ChatGPT versions are caught more often than their human originals.
        out[f"{kind}: recall change, original -> ChatGPT version (points)"] = round(100 * (after - before), 1)
        out[f"{kind}: real FPR on originals"] = round(float(np.mean([r["real_fpr_original"] for r in reports])), 3)
    out["tone edits on ARG val real articles: mean absolute rating change"] = tone.get("mean_abs_change")
    for name, edit in (tone.get("effects") or {}).items():
        out[f"tone {name}: mean absolute rating change"] = edit.get("mean_abs_change")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    for k, v in out.items():
        print(f"{k}: {v}")


if __name__ == "__main__":
    main()
