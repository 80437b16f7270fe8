"""Articles/s of `truthmeter ingest` with stories into a fresh SQLite database, and of `truthmeter rate`
grouping into stories (its default), against the code before a change run in the same script.

    python bench/ingest_throughput.py [--data FILE...] [--copies 1] [--workers 2] [--repeat 3]
        [--before DIR] [--only ingest,rate]

The input is the data files (default ../shared/data/arg_gossipcop val.jsonl and train.jsonl, 5,158
articles), written --copies times into one JSONL file, each copy's titles numbered so that every
article is new (copies join their originals' stories, as syndicated articles do). Each run is the real
CLI in a fresh process: `ingest --db NEW.db --workers W FILE`, and `rate --format jsonl --workers W FILE`
(stories on) to a file. Reported per run: wall seconds, articles/s, the CPU of the main process and
of its workers (children) per article, and peak RSS; medians of --repeat, the code now and (with
--before DIR, a checkout whose src/ is put first on PYTHONPATH) the code before, interleaved (now,
before, now, ...) so a machine busier in one minute than the next slows both alike; then now/before.
Timings on a shared machine are noisy: read the CPU per article as much as the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = [ROOT.parent / "shared" / "data" / "arg_gossipcop" / name for name in ("val.jsonl", "train.jsonl")]
# The CLI with a hook that writes the main process's CPU and its children's (reaped workers) at exit.
HOOK = """import atexit, json, os, resource, sys
def report():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.environ["BENCH_REPORT"], "w") as f:
        json.dump({"main": s.ru_utime + s.ru_stime, "workers": c.ru_utime + c.ru_stime,
                   "rss_mb": max(s.ru_maxrss, c.ru_maxrss) / 1024}, f)
atexit.register(report)
sys.argv[0] = "truthmeter"
from truthmeter.cli import main
main()
"""


def write_input(files: list[Path], copies: int, out: Path) -> int:
    rows = [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    n = 0
    with out.open("w", encoding="utf-8") as w:
        for copy in range(copies):
            for row in rows:
                if copy:
                    row = {**row, "id": f"{row.get('id')}~{copy}", "title": f"{row.get('title', '')} [{copy}]"}
                w.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
    return n


def run(kind: str, src: Path | None, data: Path, workers: int, tmp: Path) -> dict[str, float]:
    report = tmp / "report.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUTHMETER_")}
    env.update(BENCH_REPORT=str(report), PYTHONWARNINGS="ignore")
    if src:
        env["PYTHONPATH"] = str(src)
    db = tmp / f"run{time.monotonic_ns()}.db"
    args = (["ingest", "--db", str(db)] if kind == "ingest" else ["rate", "--format", "jsonl"])
    cmd = [sys.executable, "-c", HOOK, *args, "--workers", str(workers), str(data)]
    started = time.perf_counter()
    with (tmp / "out.jsonl").open("w") as out:
        subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.DEVNULL, check=True, cwd=tmp)
    wall = time.perf_counter() - started
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return {"wall": wall, **json.loads(report.read_text())}


def summary(label: str, runs: list[dict[str, float]], n: int) -> dict[str, float]:
    m = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"  {label:<7} {n / m['wall']:6.0f} articles/s ({m['wall']:.1f} s wall), CPU per article: main "
          f"{1e6 * m['main'] / n:5.0f} us, workers {1e6 * m['workers'] / n:5.0f} us; peak RSS {m['rss_mb']:.0f} MB",
          flush=True)
    return m


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, nargs="+", default=DATA)
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--before", type=Path, default=None)
    ap.add_argument("--only", default="ingest,rate")
    args = ap.parse_args()
    files = [f for f in args.data if f.exists()]
    if not files:
        print(f"no data at {args.data}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        n = write_input(files, args.copies, tmp / "input.jsonl")
        print(f"input: {' + '.join(f.name for f in files)} x{args.copies} = {n} articles; {args.workers} workers; "
              f"medians of {args.repeat}")
        for kind in args.only.split(","):
            print(f"{kind} ({'with stories, fresh SQLite' if kind == 'ingest' else 'grouped into stories, JSONL out'}):")
            runs: dict[str, list[dict[str, float]]] = {"now": [], "before": []}
            for _ in range(args.repeat):
                runs["now"].append(run(kind, None, tmp / "input.jsonl", args.workers, tmp))
                if args.before:
                    runs["before"].append(run(kind, args.before / "src", tmp / "input.jsonl", args.workers, tmp))
            now = summary("now", runs["now"], n)
            if args.before:
                before = summary("before", runs["before"], n)
                print(f"  now/before: articles/s {before['wall'] / now['wall']:.2f}x, main CPU "
                      f"{now['main'] / before['main']:.2f}x, workers' CPU {now['workers'] / before['workers']:.2f}x, "
                      f"total CPU {(now['main'] + now['workers']) / (before['main'] + before['workers']):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
