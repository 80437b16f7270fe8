"""Throughput, peak memory and cold start of `truthmeter rate`, with baselines run in the same script.

    python bench/rate_throughput.py [--data ../shared/data/arg_gossipcop/val.jsonl] [--repeat 3]

Each measurement runs the real CLI in a fresh process (JSONL in, JSONL out to a file); peak memory is
the child's max RSS. Baselines: reading the same file without rating (`python -c` over truthmeter.read)
for throughput, and a bare `python -c pass` for cold start.
"""

from __future__ import annotations

import argparse
import os
import resource
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "arg_gossipcop" / "val.jsonl"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = Path(args.data)
    if not data.exists():
        sys.exit(f"{data}: not found (pass --data FILE.jsonl)")
    n = count_lines(data)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jsonl"
        rate = [run([*CLI, "rate", "--format", "jsonl", str(data)], out) for _ in range(args.repeat)]
        assert count_lines(out) == n, "rated output has a different number of lines than the input"
        read = [run([sys.executable, "-c", READ_ONLY, str(data)], out) for _ in range(args.repeat)]
        cold = [run([*CLI, "rate", "--format", "jsonl", str(ONE)], out)[0] for _ in range(5)]
        bare = [run([sys.executable, "-c", "pass"], out)[0] for _ in range(5)]
    r_wall, r_mem = statistics.median(w for w, _ in rate), max(m for _, m in rate)
    b_wall = statistics.median(w for w, _ in read)
    print(f"input: {data} ({n} articles), {args.repeat} runs each, medians")
    print(f"rate JSONL->JSONL: {r_wall:.2f} s, {n / r_wall:.0f} articles/s (whole process, start-up included), "
          f"peak RSS {r_mem:.0f} MB")
    print(f"baseline read-only: {b_wall:.2f} s, {n / b_wall:.0f} articles/s; rate/read time ratio {r_wall / b_wall:.2f}")
    print(f"cold start `truthmeter rate {ONE.name}`: {statistics.median(cold):.2f} s "
          f"(bare python start {statistics.median(bare):.3f} s)")


if __name__ == "__main__":
    main()
