"""Story clustering at scale: time and peak memory for 10k and 100k articles, and their ratio.

The articles are real ones from ../shared/data (ARG train and val, LLMFake originals and ChatGPT
versions, UPFD headlines) and generated variants of them: some words dropped, some neighbouring words
swapped, the date moved by up to 3 days (articles without a date get one drawn from their id): the
near-duplicate coverage a real feed carries. Every size has the same make-up, n / 8 real articles
(in a fixed shuffled order) and 8 versions of each, so sizes differ in scale only. Generation is
deterministic: the same n gives the same articles.

Entries (signature, people, content vector) are computed in `--workers` processes, since they are
independent per article; clustering is the online, one-at-a-time `StoryClusterer.add`. Each size
runs in a fresh process, so its peak resident memory is its own.

    python bench/cluster_scaling.py [--sizes 10000 100000] [--workers 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import multiprocessing as mp
import random
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from truthmeter import Article, read
from truthmeter.stories import Entry, StoryClusterer, entry_for

DATA = Path(__file__).resolve().parents[2] / "shared/data"
SOURCES = ["arg_gossipcop/train.jsonl", "arg_gossipcop/val.jsonl", "upfd_gossipcop/gossipcop_fake.csv",
           "upfd_gossipcop/gossipcop_real.csv"] + [f"llmfake_gossipcop/gossipcop_{k}_gpt35.csv"
                                                    for k in ("paraphrase", "rewrite", "open_ended")]
_BASE: list[Article] = []


def load_real(data: Path) -> list[Article]:
    out = [a for s in SOURCES for a in read(data / s) if isinstance(a, Article)]
    for s in SOURCES[-3:]:  # ChatGPT versions of the fakes (a real row's is a copy of it)
        out += [a for a in read(data / s, text_field="synthetic_misinformation")
                if isinstance(a, Article) and a.label == 1]
    return out


def _seed_date(key: str) -> str:
    days = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 3000
    return (dt.date(2010, 1, 1) + dt.timedelta(days=days)).isoformat()


def _mutate(text: str, rng: random.Random) -> str:
    words = [w for w in text.split(" ") if rng.random() > 0.08]  # drop about 8% of the words
    for _ in range(max(1, len(words) // 40)):  # and swap a few neighbours
        i = rng.randrange(max(1, len(words) - 1))
        words[i:i + 2] = words[i:i + 2][::-1]
    return " ".join(words)


def article(i: int) -> tuple[str, Article]:
    """The i-th article of the benchmark: real article i % m itself, or its variant i // m."""
    base = _BASE[i % len(_BASE)]
    key = f"a{i}"
    date = base.date or _seed_date(f"{base.id}/{i % len(_BASE)}")
    if i < len(_BASE):
        return key, replace(base, date=date)
    rng = random.Random(i)
    moved = dt.date.fromisoformat(date[:10]) + dt.timedelta(days=rng.randint(-3, 3))
    return key, replace(base, title=_mutate(base.title, rng), body=_mutate(base.body, rng),
                        date=moved.isoformat())


def _entry(i: int) -> Entry:
    key, a = article(i)
    return entry_for(key, a)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def one(n: int, workers: int, data: Path, versions: int) -> dict[str, object]:
    global _BASE
    real = load_real(data)
    random.Random(0).shuffle(real)
    _BASE = real[: max(1, min(len(real), -(-n // versions)))]
    base_rss = _rss_mb()
    t0 = time.perf_counter()
    if workers > 1:  # forked workers share the loaded articles
        with mp.get_context("fork").Pool(workers) as pool:
            entries = pool.map(_entry, range(n), chunksize=500)
    else:
        entries = [_entry(i) for i in range(n)]
    t_entries = time.perf_counter() - t0
    entries_rss = _rss_mb()
    t0 = time.perf_counter()
    clusterer = StoryClusterer()
    stories, marks = 0, []
    for i, e in enumerate(entries, 1):
        stories += clusterer.add(e)[1]
        if i % max(1, n // 10) == 0:  # cost of each tenth: flat once the posting caps fill up
            marks.append(time.perf_counter())
    t_cluster = time.perf_counter() - t0
    tenths = [1e3 * (b - a) / max(1, n // 10) for a, b in zip([t0] + marks, marks)]
    return {"n": n, "real": len(_BASE), "entries_s": t_entries, "cluster_s": t_cluster,
            "total_s": t_entries + t_cluster, "stories": stories, "peak_rss_mb": _rss_mb(),
            "rss_after_load_mb": base_rss, "rss_before_cluster_mb": entries_rss, "tenths_ms": tenths}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--versions", type=int, default=8, help="versions per real article (it included)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size, print JSON
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.workers, args.data, args.versions)))
        return 0
    if not args.data.exists():
        print(f"no data at {args.data}", file=sys.stderr)
        return 1
    results = []
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--one", str(n), "--workers", str(args.workers), "--data", str(args.data),
               "--versions", str(args.versions)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(r)
        print(f"n={n:>7,}: entries {r['entries_s']:6.1f} s ({args.workers} workers), clustering "
              f"{r['cluster_s']:6.1f} s, total {r['total_s']:6.1f} s = {1e3 * r['total_s'] / n:.2f} ms/article; "
              f"{r['stories']:,} stories from {r['real']:,} real articles; peak RSS {r['peak_rss_mb']:,.0f} MB "
              f"(after loading the data {r['rss_after_load_mb']:,.0f} MB, with the entries "
              f"{r['rss_before_cluster_mb']:,.0f} MB)", flush=True)
        print(f"{'':11}clustering ms/article in each tenth of the stream: "
              + " ".join(f"{x:.2f}" for x in r["tenths_ms"]), flush=True)
    if len(results) >= 2:
        a, b = results[0], results[-1]
        print(f"{b['n']:,}/{a['n']:,} = {b['n'] / a['n']:.0f}x articles: "
              f"total time x{b['total_s'] / a['total_s']:.1f}, "
              f"clustering x{b['cluster_s'] / a['cluster_s']:.1f}, entries x{b['entries_s'] / a['entries_s']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
