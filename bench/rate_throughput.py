"""Throughput, peak memory and cold start of `truthmeter rate`, with baselines run in the same script.

    python bench/rate_throughput.py [--data ../shared/data/arg_gossipcop/val.jsonl] [--copies 8] [--repeat 3]

Each measurement runs the real CLI in a fresh process (JSONL in, JSONL out to a file); peak memory is
the child's max RSS. The input is the data file repeated --copies times (so start-up does not hide the
rate); steady-state articles/s = articles / (wall - cold start). Baselines in the same script: the
same input read without rating, one worker against two, and a bare `python -c pass` for cold start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "truthmeter.cli"]
ONE = ROOT / "examples" / "02_vance_tour_interview.txt"
READ_ONLY = "import sys, truthmeter; n = sum(1 for _ in truthmeter.read(sys.argv[1])); print(n)"


def run(cmd: list[str], out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    t = time.perf_counter()
    pid = subprocess.Popen(cmd, stdout=out.open("w"), stderr=subprocess.DEVNULL, env=env).pid
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def measure(cmd: list[str], out: Path, repeat: int) -> tuple[float, float]:
    runs = [run(cmd, out) for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), max(m for _, m in runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "arg_gossipcop" / "val.jsonl"))
    ap.add_argument("--copies", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = Path(args.data)
    if not data.exists():
        sys.exit(f"{data}: not found (pass --data FILE.jsonl)")
    with tempfile.TemporaryDirectory() as tmp:
        big, out = Path(tmp) / "input.jsonl", Path(tmp) / "out.jsonl"
        big.write_bytes(data.read_bytes() * args.copies)
        n = count_lines(big)
        cold = statistics.median(run([*CLI, "rate", "--format", "jsonl", str(ONE)], out)[0] for _ in range(5))
        bare = statistics.median(run([sys.executable, "-c", "pass"], out)[0] for _ in range(5))
        results = {}
        for workers in (1, 2):
            cmd = [*CLI, "rate", "--format", "jsonl", "--workers", str(workers), str(big)]
            results[workers] = measure(cmd, out, args.repeat)
            assert count_lines(out) == n, "rated output has a different number of lines than the input"
        read_wall, _ = measure([sys.executable, "-c", READ_ONLY, str(big)], out, args.repeat)
    print(f"input: {data} x {args.copies} = {n} articles; medians of {args.repeat} runs")
    print(f"cold start `truthmeter rate {ONE.name}`: {cold:.2f} s (bare python start {bare:.3f} s)")
    for workers, (wall, mem) in results.items():
        print(f"rate JSONL->JSONL, {workers} worker(s): {wall:.2f} s whole process = {n / wall:.0f} articles/s; "
              f"steady state {n / (wall - cold):.0f} articles/s; peak RSS {mem:.0f} MB (main process)")
    print(f"baseline read-only: {read_wall:.2f} s = {n / read_wall:.0f} articles/s; "
          f"rate(2 workers)/read time ratio {results[2][0] / read_wall:.2f}; "
          f"2 workers vs 1: {results[1][0] / results[2][0]:.2f}x")


if __name__ == "__main__":
    main()
