"""Articles/s of the local engine against the Dask engine on a 2-worker LocalCluster, and peak memory
as the input grows from 10k to 1M articles.

    python bench/dask_scaling.py [--data ../shared/data/arg_gossipcop/val.jsonl] [--articles 100000]
                                 [--repeat 3] [--memory-sizes 10000,1000000] [--quick] [--only speed|memory]

Every run is the real CLI in a fresh process, JSONL in, JSONL out to a file (or shards with --out):
`truthmeter rate` with the local engine on 1 and 2 worker processes, and with `--engine dask
--workers 2` (a LocalCluster of 2 workers x 1 thread, started by the command and counted in its
time). The speed input is the data file repeated up to --articles lines (synthetic rows when the
file is absent); the memory inputs are short synthetic rows generated into a temporary folder and
deleted after. Peak memory, sampled every 50 ms, is the command's own process (it reads the input
and writes the output) and the summed RSS of its whole process tree (the Dask workers and the local
engine's forked workers included; pages shared by forks count once per process, so the sums
overstate). The rating processes grow only until the model's word cache is full (20k words,
features/_grams.py: a few thousand real articles, some 20k of these synthetic ones), then stay flat.
--quick: 20k articles, one run, 10k vs 100k.
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


def rss(pid: int) -> tuple[int, int]:
    """RSS in bytes of a process, and summed over it and all its descendants (psutil, else /proc)."""
    try:
        import psutil
    except ImportError:
        return _proc_rss(pid)
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    sizes = []
    for p in procs:
        try:
            sizes.append(p.memory_info().rss)
        except psutil.Error:
            sizes.append(0)
    return sizes[0], sum(sizes)


def _proc_rss(pid: int) -> tuple[int, int]:
    children: dict[int, list[int]] = {}
    sizes: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        sizes[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    todo, total = [pid], 0
    while todo:
        p = todo.pop()
        total += sizes.get(p, 0)
        todo.extend(children.get(p, []))
    return sizes.get(pid, 0), total


def run(args: list[str], out: Path) -> tuple[float, float, float]:
    """Wall seconds, and peak RSS (MB) of the command's process and of its whole process tree, of one
    CLI run; exits when the run fails."""
    peak = [0, 0]
    with out.open("w") as sink, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([*CLI, *args], stdout=sink, stderr=err,
                                env={**os.environ, "PYTHONWARNINGS": "ignore"})

        def sample() -> None:
            while proc.poll() is None:
                peak[:] = [max(a, b) for a, b in zip(peak, rss(proc.pid))]
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        proc.wait()
        wall = time.perf_counter() - start
        sampler.join()
        if proc.returncode != 0:
            err.seek(0)
            sys.exit(f"failed ({proc.returncode}): truthmeter {' '.join(args)}\n{err.read()[-2000:]}")
    return wall, peak[0] / 2**20, peak[1] / 2**20


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
            wall, _, peak = run(["rate", *target, *extra, str(big)], out)
            walls.append(wall)
            peaks.append(peak)
            rated = sum(count_lines(p) for p in (tmp / f"shards{k}").glob("part-*")) if shards else count_lines(out)
            assert rated == n, f"{name}: rated {rated} of {n} articles"
        start = statistics.median(run(["rate", "--format", "jsonl", *extra, str(one)], out)[0] for _ in range(repeat))
        results[name] = (statistics.median(walls), start, max(peaks))
    return results


def memory(sizes: list[int], tmp: Path) -> dict[str, list[tuple[float, float]]]:
    """Per engine at each input size, the peak RSS (MB) of the command's own process (which reads
    and writes) and of its process tree (the rating workers too); short synthetic rows, JSONL to JSONL."""
    out, peaks = tmp / "mem-out.jsonl", {}
    for n in sizes:
        path = tmp / f"mem-{n}.jsonl"
        write_input(path, n, None)
        for name in ("local, 2 workers", "dask LocalCluster 2x1"):
            _, own, tree = run(["rate", "--format", "jsonl", *ENGINES[name], str(path)], out)
            peaks.setdefault(name, []).append((own, tree))
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
    ap.add_argument("--only", choices=["speed", "memory"], default=None, help="Run one half of the bench.")
    args = ap.parse_args()
    if args.quick:
        args.articles, args.repeat, args.memory_sizes = 20_000, 1, "10000,100000"
    data = Path(args.data) if Path(args.data).exists() else None
    sizes = [int(s) for s in args.memory_sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        results = speed(args.articles, data, args.repeat, Path(tmp)) if args.only != "memory" else {}
        peaks = memory(sizes, Path(tmp)) if args.only != "speed" else {}
    if results:
        print_speed(results, args.articles, args.repeat, data)
    if peaks:
        print_memory(peaks, sizes)


def print_speed(results: dict[str, tuple[float, float, float]], n: int, repeat: int, data: Path | None) -> None:
    source = f"{data} repeated" if data else "synthetic rows"
    print(f"speed: {n} articles ({source}), JSONL in and out, medians of {repeat} run(s); "
          f"{os.cpu_count()} CPUs, load average now {os.getloadavg()[0]:.1f}")
    print(f"{'engine':<24} {'wall s':>8} {'art/s':>8} {'start s':>8} {'steady art/s':>13} {'peak RSS MB':>12}")
    for name, (wall, start, peak) in results.items():
        print(f"{name:<24} {wall:>8.1f} {n / wall:>8.0f} {start:>8.1f} {n / max(wall - start, 1e-9):>13.0f} "
              f"{peak:>12.0f}")
    base = results["local, 1 worker"][0]
    print("speed-up over local, 1 worker: " + ", ".join(
        f"{name} {base / wall:.2f}x" for name, (wall, _, _) in results.items() if name != "local, 1 worker"))


def print_memory(peaks: dict[str, list[tuple[float, float]]], sizes: list[int]) -> None:
    print("memory: peak RSS (MB) of the command's process / of its whole process tree, short synthetic rows, "
          "JSONL to JSONL")
    print(f"{'engine':<24} " + " ".join(f"{n:>15}" for n in sizes) + f" {'ratio':>12}")
    for name, row in peaks.items():
        cells = " ".join(f"{f'{own:.0f} / {tree:.0f}':>15}" for own, tree in row)
        print(f"{name:<24} {cells} {f'{row[-1][0] / row[0][0]:.2f} / {row[-1][1] / row[0][1]:.2f}':>12}")


if __name__ == "__main__":
    main()
