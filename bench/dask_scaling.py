"""Articles/s of the local engine against the Dask engine on a 2-worker LocalCluster, and peak memory
as the input grows from 10k to 1M articles.

    python bench/dask_scaling.py [--data ../shared/data/arg_gossipcop/val.jsonl] [--articles 100000]
                                 [--repeat 3] [--memory-sizes 10000,1000000] [--quick]

Every run is the real CLI in a fresh process, JSONL in, JSONL out to a file (or shards with --out):
`truthmeter rate` with the local engine on 1 and 2 worker processes, and with `--engine dask
--workers 2` (a LocalCluster of 2 workers x 1 thread, started by the command and counted in its
time). The speed input is the data file repeated up to --articles lines (synthetic rows when the
file is absent); the memory inputs are short synthetic rows generated into a temporary folder and
deleted after. Peak memory is the largest summed RSS of the command's process tree (the Dask
workers and the local engine's forked workers included; pages shared by forks count once per
process, so the sums overstate), sampled every 50 ms. --quick: 20k articles, one run, 10k vs 100k.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_SCRIPT = Path(sys.executable).with_name("truthmeter")
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "truthmeter.cli"]
ENGINES = {
    "local, 1 worker": ["--workers", "1"],
    "local, 2 workers": ["--workers", "2"],
    "dask LocalCluster 2x1": ["--engine", "dask", "--workers", "2"],
}
_NAMES = ["Marisol Vantreece", "Teodor Orlby", "Linnea Maskelyne", "Dashiell Penhallow", "Kestra Strubel"]
_DOINGS = ["was spotted at a gallery opening", "hosted a dinner at the harbour festival",
           "left a charity gala early", "performed at the opera house", "skipped the film market"]


def tree_rss(pid: int) -> int:
    """Summed RSS in bytes of a process and all its descendants (psutil when installed, else /proc)."""
    try:
        import psutil
    except ImportError:
        return _proc_tree_rss(pid)
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def _proc_tree_rss(pid: int) -> int:
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    todo, total = [pid], 0
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def run(args: list[str], out: Path) -> tuple[float, float]:
    """Wall seconds and peak process-tree RSS (MB) of one CLI run; exits when the run fails."""
    peak = [0]
    with out.open("w") as sink, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([*CLI, *args], stdout=sink, stderr=err,
                                env={**os.environ, "PYTHONWARNINGS": "ignore"})

        def sample() -> None:
            while proc.poll() is None:
                peak[0] = max(peak[0], tree_rss(proc.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        proc.wait()
        wall = time.perf_counter() - start
        sampler.join()
        if proc.returncode != 0:
            err.seek(0)
            sys.exit(f"failed ({proc.returncode}): truthmeter {' '.join(args)}\n{err.read()[-2000:]}")
    return wall, peak[0] / 2**20


def synthetic(i: int, rng: random.Random) -> str:
    who, doing = rng.choice(_NAMES), rng.choice(_DOINGS)
    return json.dumps({"id": f"s{i}", "title": f"{who} {doing} ({i})",
                       "content": f"{who} {doing} on a Tuesday night, a spokesperson said. Item {i}."}) + "\n"


def write_input(path: Path, n: int, data: Path | None) -> None:
    """`n` JSONL articles: the data file's lines over and over, else short synthetic rows."""
    rng = random.Random(0)
    lines = [ln for ln in data.read_text(encoding="utf-8").splitlines(keepends=True) if ln.strip()] if data else []
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(lines[i % len(lines)] if lines else synthetic(i, rng))


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def speed(n: int, data: Path | None, repeat: int, tmp: Path) -> dict[str, tuple[float, float, float]]:
    """Per engine: median wall, median fixed start-up (one short article) and peak RSS."""
    big, one, out = tmp / "speed.jsonl", tmp / "one.jsonl", tmp / "out.jsonl"
    write_input(big, n, data)
    write_input(one, 1, data)
    results = {}
    for name, extra in {**ENGINES, "dask --out shards 2x1": ["--engine", "dask", "--workers", "2"]}.items():
        shards = name.startswith("dask --out")
        walls, peaks = [], []
        for k in range(repeat):
            target = ["--out", str(tmp / f"shards{k}")] if shards else ["--format", "jsonl"]
            wall, peak = run(["rate", *target, *extra, str(big)], out)
            walls.append(wall)
            peaks.append(peak)
            rated = sum(count_lines(p) for p in (tmp / f"shards{k}").glob("part-*")) if shards else count_lines(out)
            assert rated == n, f"{name}: rated {rated} of {n} articles"
        start = statistics.median(run(["rate", "--format", "jsonl", *extra, str(one)], out)[0] for _ in range(repeat))
        results[name] = (statistics.median(walls), start, max(peaks))
    return results


def memory(sizes: list[int], tmp: Path) -> dict[str, list[float]]:
    """Peak RSS (MB) per engine at each input size, short synthetic rows, JSONL to JSONL."""
    out, peaks = tmp / "mem-out.jsonl", {}
    for n in sizes:
        path = tmp / f"mem-{n}.jsonl"
        write_input(path, n, None)
        for name in ("local, 2 workers", "dask LocalCluster 2x1"):
            peaks.setdefault(name, []).append(run(["rate", "--format", "jsonl", *ENGINES[name], str(path)], out)[1])
            assert count_lines(out) == n
        path.unlink()
    return peaks


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "arg_gossipcop" / "val.jsonl"))
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory-sizes", default="10000,1000000")
    ap.add_argument("--quick", action="store_true", help="20k articles, one run each, memory at 10k and 100k")
    args = ap.parse_args()
    if args.quick:
        args.articles, args.repeat, args.memory_sizes = 20_000, 1, "10000,100000"
    data = Path(args.data) if Path(args.data).exists() else None
    sizes = [int(s) for s in args.memory_sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        results = speed(args.articles, data, args.repeat, Path(tmp))
        peaks = memory(sizes, Path(tmp))
    source = f"{data} repeated" if data else "synthetic rows"
    print(f"speed: {args.articles} articles ({source}), JSONL in and out, medians of {args.repeat} run(s); "
          f"{os.cpu_count()} CPUs, load average before {os.getloadavg()[0]:.1f}")
    print(f"{'engine':<24} {'wall s':>8} {'art/s':>8} {'start s':>8} {'steady art/s':>13} {'peak RSS MB':>12}")
    for name, (wall, start, peak) in results.items():
        print(f"{name:<24} {wall:>8.1f} {args.articles / wall:>8.0f} {start:>8.1f} "
              f"{args.articles / max(wall - start, 1e-9):>13.0f} {peak:>12.0f}")
    base = results["local, 1 worker"][0]
    print("speed-up over local, 1 worker: " + ", ".join(
        f"{name} {base / wall:.2f}x" for name, (wall, _, _) in results.items() if name != "local, 1 worker"))
    print("memory: peak process-tree RSS (MB), short synthetic rows, JSONL to JSONL")
    print(f"{'engine':<24} " + " ".join(f"{n:>10}" for n in sizes) + f" {'ratio':>7}")
    for name, row in peaks.items():
        print(f"{name:<24} " + " ".join(f"{mb:>10.0f}" for mb in row) + f" {row[-1] / row[0]:>7.2f}")


if __name__ == "__main__":
    main()
