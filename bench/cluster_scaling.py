"""Story clustering at scale: time and memory for 10k and 100k articles (or any --sizes), their ratio,
and what they extrapolate to at a million; with --before DIR, the same run on the code in DIR.

The articles are real ones from ../shared/data (ARG train and val, LLMFake originals and ChatGPT
versions, UPFD headlines) and generated variants of them: some words dropped, some neighbouring words
swapped, the date moved by up to 3 days (articles without a date get one drawn from their id): the
near-duplicate coverage a real feed carries. Every size has the same make-up, n / 8 real articles
(in a fixed shuffled order) and 8 versions of each, so sizes differ in scale only. Generation is
deterministic: the same n gives the same articles (and a million is as easy to make as 100k).

Entries (signature, people, content vector) are computed in `--workers` forked processes, a batch at a
time, and stream into the online, one-at-a-time `StoryClusterer.add` in the main process as they come
(only a window of batches is held: the clusterer's memory is what grows). Each size runs in a fresh
process. Reported per size: wall time; the clusterer's CPU per article (main process) and the entries'
(workers); the clusterer's memory per article, the growth of peak RSS from just before the first
article to the end, over n; and the stories found (compared with --before's, when given).
A million articles at the largest size's per-article rates: time = max(clustering CPU in the last tenth
(the serial part), (entries + clustering CPU) / cores) per article, times a million; memory = peak RSS
of that size plus, per article more, the growth per article between the two largest sizes.

    python bench/cluster_scaling.py [--sizes 10000 100000] [--workers 2] [--before DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import multiprocessing as mp
import os
import random
import resource
import subprocess
import sys
import time
from collections import deque
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from truthmeter import Article, read
from truthmeter.stories import Entry, StoryClusterer, entry_for

DATA = Path(__file__).resolve().parents[2] / "shared/data"
SOURCES = ["arg_gossipcop/train.jsonl", "arg_gossipcop/val.jsonl", "upfd_gossipcop/gossipcop_fake.csv",
           "upfd_gossipcop/gossipcop_real.csv"] + [f"llmfake_gossipcop/gossipcop_{k}_gpt35.csv"
                                                    for k in ("paraphrase", "rewrite", "open_ended")]
_BASE: list[Article] = []
_BATCH = 500


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


def _entries(bounds: tuple[int, int]) -> list[Entry]:
    return [entry_for(*article(i)) for i in range(*bounds)]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak; Linux reports KiB


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as f:  # resident pages now (the peak may be a loading transient)
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _stream(n: int, workers: int) -> Iterator[list[Entry]]:
    """The entries of articles 0..n-1 in order, a batch at a time; at most 2 batches per worker ahead."""
    bounds = [(a, min(n, a + _BATCH)) for a in range(0, n, _BATCH)]
    if workers <= 1:
        yield from (_entries(b) for b in bounds)
        return
    with mp.get_context("fork").Pool(workers) as pool:  # forked workers share the loaded articles
        window: deque = deque()
        for b in bounds:
            window.append(pool.apply_async(_entries, (b,)))
            if len(window) >= 2 * workers:
                yield window.popleft().get()
        while window:
            yield window.popleft().get()


def one(n: int, workers: int, data: Path, versions: int) -> dict[str, object]:
    global _BASE
    real = load_real(data)
    random.Random(0).shuffle(real)
    _BASE = real[: max(1, min(len(real), -(-n // versions)))]
    base_rss = _rss_now_mb()
    clusterer = StoryClusterer()
    stories, marks, done = [], [], 0
    t0, cpu0 = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
    for batch in _stream(n, workers):
        for e in batch:
            stories.append(clusterer.add(e)[0].story_id)
            done += 1
            if done % max(1, n // 10) == 0:  # main CPU of each tenth: flat once the posting caps fill up
                marks.append(_cpu(resource.RUSAGE_SELF))
    wall = time.perf_counter() - t0
    tenths = [1e6 * (b - a) / max(1, n // 10) for a, b in zip([cpu0] + marks, marks)]
    digest = hashlib.sha256("\n".join(stories).encode()).hexdigest()[:16]
    return {"n": n, "real": len(_BASE), "wall_s": wall, "cluster_us": 1e6 * (_cpu(resource.RUSAGE_SELF) - cpu0) / n,
            "entries_us": 1e6 * _cpu(resource.RUSAGE_CHILDREN) / n, "stories": len(set(stories)),
            "assignments": digest, "peak_rss_mb": _rss_mb(), "rss_start_mb": base_rss,
            "kb_per_article": 1024 * (_rss_mb() - base_rss) / n, "tenths_us": tenths}


def _run(n: int, args: argparse.Namespace, src: Path | None) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--one", str(n), "--workers", str(args.workers), "--data", str(args.data),
           "--versions", str(args.versions)]
    env = dict(os.environ, PYTHONPATH=str(src)) if src else None
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _line(label: str, r: dict[str, object], workers: int) -> str:
    return (f"{label:<7}n={r['n']:>9,}: wall {r['wall_s']:7.1f} s; clustering {r['cluster_us']:5.0f} us/article "
            f"(main), entries {r['entries_us']:5.0f} us/article ({workers} workers); clusterer memory "
            f"{r['kb_per_article']:.2f} KB/article (peak RSS {r['peak_rss_mb']:,.0f} MB, "
            f"{r['rss_start_mb']:,.0f} MB before); {r['stories']:,} stories [{r['assignments']}]")


def _million(results: list[dict[str, object]], cores: int) -> str:
    r = results[-1]
    serial = float(r["tenths_us"][-1])  # type: ignore[index]
    per = max(serial, (float(r["cluster_us"]) + float(r["entries_us"])) / cores)
    # Memory: the growth per article between the two largest sizes (fixed costs cancel), else the
    # largest size's growth per article (an upper bound: it counts the fixed costs as per article).
    kb = float(r["kb_per_article"])
    if len(results) >= 2:
        a = results[-2]
        kb = 1024 * (float(r["peak_rss_mb"]) - float(a["peak_rss_mb"])) / (int(r["n"]) - int(a["n"]))
    gb = (float(r["peak_rss_mb"]) + kb * (1_000_000 - int(r["n"])) / 1024) / 1024
    # per us/article x 1M articles = per seconds
    return (f"1M articles at the largest size's rates: {per / 60:.1f} min on {cores} cores (serial clustering "
            f"{serial:.0f} us/article in its last tenth); {gb:.2f} GB peak RSS ({kb:.2f} KB more per article)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--versions", type=int, default=8, help="versions per real article (it included)")
    ap.add_argument("--before", type=Path, help="a checkout of the code before (its src/ is run as the baseline)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size, print JSON
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.workers, args.data, args.versions)))
        return 0
    if not args.data.exists():
        print(f"no data at {args.data}", file=sys.stderr)
        return 1
    cores = os.cpu_count() or 1
    results = []
    for n in args.sizes:
        r = _run(n, args, None)
        results.append(r)
        print(_line("now", r, args.workers), flush=True)
        print(f"{'':7}clustering us/article (main CPU) in each tenth: " + " ".join(f"{x:.0f}" for x in r["tenths_us"]),
              flush=True)
        if args.before:
            b = _run(n, args, args.before / "src")
            print(_line("before", b, args.workers), flush=True)
            print(f"{'':7}now/before: wall {r['wall_s'] / b['wall_s']:.2f}x, clustering CPU "
                  f"{r['cluster_us'] / b['cluster_us']:.2f}x, entries CPU {r['entries_us'] / b['entries_us']:.2f}x, "
                  f"memory per article {r['kb_per_article'] / max(b['kb_per_article'], 1e-9):.2f}x; same stories: "
                  f"{'yes' if r['assignments'] == b['assignments'] else 'NO'}", flush=True)
    if len(results) >= 2:
        a, b = results[0], results[-1]
        print(f"{b['n']:,}/{a['n']:,} = {b['n'] / a['n']:.0f}x articles: wall x{b['wall_s'] / a['wall_s']:.1f}, "
              f"clustering CPU per article x{b['cluster_us'] / a['cluster_us']:.2f}")
    print(_million(results, cores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
