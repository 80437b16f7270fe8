"""Does the outlet track record (outlet.v1) help on stories the model never saw?

    python bench/outlet_prior.py [--shared ../shared/data]

LLMFake's human-written articles get their URLs from UPFD (same gossipcop-<n> ids). In 2 folds by id,
the outlet table is fitted on UPFD minus the fold's stories; the fold is rated by a text model that
never saw LLMFake (ARG train, calibrated on ARG val: the shipped model trains on LLMFake, so it cannot
be used here) alone and with the outlet shift. Prints AUC, macro-F1 (model threshold and best), ECE.
"""

from __future__ import annotations

import argparse
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np

import truthmeter
from truthmeter.features import make_doc
from truthmeter.features.outlet import OutletPrior
from truthmeter.model import TrainConfig, train
from truthmeter.model.evaluate import best_threshold, metrics


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    shared = Path(ap.parse_args().shared)
    upfd = [replace(a, label=label) for name, label in (("fake", 1), ("real", 0))
            for a in truthmeter.read(shared / "upfd_gossipcop" / f"gossipcop_{name}.csv")]
    url = {a.id: a.url for a in upfd}
    stories = [replace(a, url=url.get(a.id))
               for a in truthmeter.read(shared / "llmfake_gossipcop" / "gossipcop_paraphrase_gpt35.csv")]
    arg = lambda name: list(truthmeter.read(shared / "arg_gossipcop" / name))  # noqa: E731
    config = TrainConfig(families=("lexical.v1", "sourcing.v1"), calibrate_on="val")
    model = train(arg("train.jsonl"), arg("val.jsonl"), config).model
    text_only, with_outlet, truth, known = [], [], [], 0
    for fold in (0, 1):
        held = [a for a in stories if zlib.crc32(a.id.encode()) % 2 == fold]
        ids = {a.id for a in held}
        prior = OutletPrior.fit([a for a in upfd if a.id not in ids])
        docs = [make_doc(a) for a in held]
        p = model.proba(model.features(docs))
        model.outlets = prior
        text_only += list(p)
        with_outlet += list(model.adjust(p, docs))
        known += sum(prior.lookup(d.outlet) is not None for d in docs)
        truth += [1 - int(a.label) for a in held]
    y = np.array(truth)
    print(f"{len(y)} LLMFake stories, {sum(a.url is not None for a in stories)} with a UPFD URL, "
          f"{known} with an outlet on record")
    for name, p in (("text only", np.array(text_only)), ("text + outlet.v1", np.array(with_outlet))):
        m = metrics(p, y, model.threshold)
        best = metrics(p, y, best_threshold(p, y)).macro_f1
        print(f"{name:17s} AUC {m.auc:.4f}  macro-F1 {m.macro_f1:.4f} (best threshold {best:.4f})  ECE {m.ece:.4f}")


if __name__ == "__main__":
    main()
