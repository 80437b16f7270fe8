"""CPU per article of each rating step, compiled (features/_fastgrams.c) against the pure-Python path
(today's code before the C part, still shipped as the fallback) and a stock scikit-learn pipeline.

    python bench/featurise.py [--data ../shared/data/arg_gossipcop/val.jsonl] [--copies 4] [--repeat 3]

Steps, each timed on the same articles in this process (CPU time, best of --repeat; one warm-up run first,
so caches of repeated words are as in a long run):
  read+parse   truthmeter.read (JSONL -> Article): the same on both paths
  doc          make_doc: tokenising, fact-checker masking, quotes
  counts       lexical.v1's hashed word 1-2-grams and char 2-5-grams, counted (no explanation data)
  grams        the same with each gram's owner (what explanations need)
  rate s=0     truthmeter.rate(articles, signals=0): features, score, calibration, verdict gate
  rate s=5     truthmeter.rate(articles): the default, with signals and reasons
  end to end   read, rate (signals 0 and 5) and write JSONL, as `truthmeter rate --no-stories` does in one
               process
Baseline (stock): sklearn HashingVectorizer (word 1-2-grams + char_wb 2-5-grams, 2^18 columns each) +
TfidfTransformer + LogisticRegression.decision_function on the same windowed texts, fitted on them first
(fitting not timed): what a researcher would write in a notebook; no explanations, no verdict gate.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]


def cpu_us(fn: Callable[[], object], n: int, repeat: int) -> float:
    fn()  # warm-up: the word caches fill as they would in a long run
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best / n * 1e6


def stock(texts: list[str], labels: list[int]) -> Callable[[], object]:
    import numpy as np
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    word = HashingVectorizer(n_features=2 ** 18, ngram_range=(1, 2), alternate_sign=False, norm=None)
    char = HashingVectorizer(n_features=2 ** 18, analyzer="char_wb", ngram_range=(2, 5), alternate_sign=False,
                             norm=None)
    tw, tc = TfidfTransformer(sublinear_tf=True), TfidfTransformer(sublinear_tf=True)
    X = sp.hstack([tw.fit_transform(word.transform(texts)), tc.fit_transform(char.transform(texts))]).tocsr()
    lr = LogisticRegression(max_iter=200, solver="liblinear").fit(X, np.array(labels))

    def run() -> object:
        return lr.decision_function(sp.hstack([tw.transform(word.transform(texts)),
                                               tc.transform(char.transform(texts))]).tocsr())
    return run


def steps(path: Path, repeat: int) -> list[tuple[str, float, float | None]]:
    import truthmeter
    from truthmeter import pipeline
    from truthmeter.features import _accel, make_doc
    from truthmeter.features._grams import batch_counts, batch_grams
    from truthmeter.publish.formats import writer_for

    articles = [a for a in truthmeter.read(path) if isinstance(a, truthmeter.Article)]
    n, model = len(articles), pipeline.load_model()
    shape = model.families[0].shape  # type: ignore[attr-defined]
    docs = [make_doc(a) for a in articles]

    def end_to_end(signals: int) -> Callable[[], object]:
        def run() -> object:
            out = io.StringIO()
            w = writer_for("jsonl", out)
            for x in pipeline.rate_stream(pipeline.read(path), model, signals=signals):
                w.write(x)
            w.close()
            return out
        return run

    work: list[tuple[str, Callable[[], object]]] = [
        ("read+parse", lambda: list(truthmeter.read(path))),
        ("doc", lambda: [make_doc(a) for a in articles]),
        ("counts", lambda: [batch_counts(docs[i:i + 512], shape) for i in range(0, n, 512)]),
        ("grams", lambda: [batch_grams(docs[i:i + 512], shape) for i in range(0, n, 512)]),
        ("rate s=0", lambda: truthmeter.rate(articles, model, signals=0)),
        ("rate s=5", lambda: truthmeter.rate(articles, model)),
        ("end to end s=0", end_to_end(0)),
        ("end to end s=5", end_to_end(5)),
    ]
    rows = []
    for name, fn in work:
        fast = cpu_us(fn, n, repeat) if _accel.accelerated() else None
        with _accel.pure_python():
            pure = cpu_us(fn, n, repeat)
        rows.append((name, pure, fast))
    texts = [d.window(shape.max_tokens) for d in docs]
    labels = [int(a.label or 0) for a in articles]
    rows.append(("stock sklearn (features+score)", cpu_us(stock(texts, labels), n, repeat), None))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "arg_gossipcop" / "val.jsonl")
    ap.add_argument("--copies", type=int, default=4, help="the data file repeated this many times")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.jsonl"
        path.write_bytes(args.data.read_bytes() * args.copies)
        n = sum(1 for _ in path.open("rb"))
        print(f"{n} articles ({args.data.name} x {args.copies}); CPU us per article, best of {args.repeat}")
        print(f"{'step':32} {'pure Python':>12} {'compiled':>10} {'ratio':>7}")
        for name, pure, fast in steps(path, args.repeat):
            ratio = f"{pure / fast:6.2f}x" if fast else ""
            print(f"{name:32} {pure:12.1f} {fast if fast is not None else float('nan'):10.1f} {ratio:>7}")


if __name__ == "__main__":
    main()
