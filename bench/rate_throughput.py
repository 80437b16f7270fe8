"""Throughput, peak memory and cold start of `truthmeter rate`, with baselines run in the same script.

    python bench/rate_throughput.py [--data ../shared/data/arg_gossipcop/val.jsonl] [--copies 8] [--repeat 3]
        [--only cold,cli,signals,api,json] [--before DIR]

Sections (all by default; --only picks some):
  cold     cold start of `truthmeter rate ONE.txt`; baselines: a bare `python -c pass`.
  cli      `truthmeter rate --format jsonl` on the data file repeated --copies times, 1 and 2 workers
           (steady-state articles/s = articles / (wall - cold start)); baseline: the same input read
           without rating.
  signals  the same at 1 worker with `--signals 0` (no explanations); baseline: the default (5 signals).
  api      `truthmeter.rate(list)` of all articles in one call, in process; baselines: batches of 512,
           and today's one-call path (the whole list as one batch, `pipeline._rate_batch`).
  json     serialising rated articles; baseline: json.dumps(ensure_ascii=False) per article (the JSONL
           writer); against one kept encoder and orjson where installed (and whether it gives the same bytes).
With --before DIR (a checkout of the code before a change, e.g. `git archive HEAD src | tar -x -C DIR`),
cold, cli and signals also run that code (PYTHONPATH=DIR/src) and print new/before ratios.

Each CLI measurement runs the real CLI in a fresh process (JSONL in, JSONL out to a file); peak memory
is the child's max RSS. Timings are medians of --repeat runs (cold start: of 5).
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
SECTIONS = ("cold", "cli", "signals", "api", "json")


def run(cmd: list[str], out: Path, src: str | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process; `src`: the code to import (PYTHONPATH)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if src:
        env["PYTHONPATH"] = src
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


def measure(cmd: list[str], out: Path, repeat: int, src: str | None = None) -> tuple[float, float]:
    runs = [run(cmd, out, src) for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), max(m for _, m in runs)


def codes(before: str | None) -> list[tuple[str, str | None]]:
    return [("now", None), *([("before", str(Path(before) / "src"))] if before else [])]


def cold_start(out: Path, before: str | None) -> dict[str, float]:
    """As this environment runs it, and with a bytecode cache (an installed package has one; with
    PYTHONDONTWRITEBYTECODE set, truthmeter's own modules are compiled from source on every start)."""
    cmd = [*CLI, "rate", "--format", "jsonl", str(ONE)]
    cold = {name: statistics.median(run(cmd, out, src)[0] for _ in range(5)) for name, src in codes(before)}
    bare = statistics.median(run([sys.executable, "-c", "pass"], out)[0] for _ in range(5))
    line = f"cold start `truthmeter rate {ONE.name}`: {cold['now']:.2f} s (bare python start {bare:.3f} s)"
    if before:
        line += f"; before: {cold['before']:.2f} s, now/before {cold['now'] / cold['before']:.2f}"
    print(line + f"; bytecode cache {'off' if os.environ.get('PYTHONDONTWRITEBYTECODE') else 'on'}", flush=True)
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        with tempfile.TemporaryDirectory() as cache:
            saved = os.environ.pop("PYTHONDONTWRITEBYTECODE")
            os.environ["PYTHONPYCACHEPREFIX"] = cache
            try:
                cached = {}
                for name, src in codes(before):
                    run(cmd, out, src)  # fills the cache
                    cached[name] = statistics.median(run(cmd, out, src)[0] for _ in range(5))
            finally:
                os.environ["PYTHONDONTWRITEBYTECODE"] = saved
                del os.environ["PYTHONPYCACHEPREFIX"]
        line = f"  with a bytecode cache: {cached['now']:.2f} s"
        if before:
            line += f"; before: {cached['before']:.2f} s, now/before {cached['now'] / cached['before']:.2f}"
        print(line, flush=True)
    return cold


def cli(big: Path, out: Path, n: int, args: argparse.Namespace, cold: dict[str, float], sections: set[str]) -> None:
    """`cli`: as the issue measured it (stories grouped, the default); `signals`: --no-stories, one worker,
    5 signals (the default) against --signals 0 (the code before has no --signals)."""
    walls: dict[tuple[str, str], float] = {}
    for name, src in codes(args.before):
        runs: list[tuple[str, int, list[str]]] = [("cli", w, []) for w in (1, 2)] if "cli" in sections else []
        if "signals" in sections:
            runs += [("signals", 1, ["--no-stories"]), *([("signals", 1, ["--no-stories", "--signals", "0"])]
                                                         if name == "now" else [])]
        for section, workers, extra in runs:
            cmd = [*CLI, "rate", "--format", "jsonl", "--workers", str(workers), *extra, str(big)]
            wall, mem = measure(cmd, out, args.repeat, src)
            assert count_lines(out) == n, "rated output has a different number of lines than the input"
            label = " ".join(extra) or "(stories, 5 signals)"
            walls[name, f"{label} {workers}"] = wall
            ratio = (f"; now/before time {walls['now', f'{label} {workers}'] / wall:.2f}"
                     if name == "before" and ("now", f"{label} {workers}") in walls else "")
            print(f"[{name}] rate JSONL->JSONL {label}, {workers} worker(s): {wall:.2f} s whole process = "
                  f"{n / wall:.0f} articles/s; steady state {n / (wall - cold[name]):.0f} articles/s; "
                  f"peak RSS {mem:.0f} MB (main process){ratio}", flush=True)
        if name == "now" and "signals" in sections:
            base, fast = walls["now", "--no-stories 1"], walls["now", "--no-stories --signals 0 1"]
            print(f"[now] --signals 0 vs 5 signals (--no-stories, 1 worker): {base / fast:.2f}x faster "
                  f"(baseline {base:.2f} s, whole process)", flush=True)
        if "cli" in sections:
            print(f"[{name}] 2 workers vs 1: {walls[name, '(stories, 5 signals) 1'] / walls[name, '(stories, 5 signals) 2']:.2f}x",
                  flush=True)
    if "cli" in sections:
        read_wall, _ = measure([sys.executable, "-c", READ_ONLY, str(big)], out, args.repeat)
        print(f"baseline read-only: {read_wall:.2f} s = {n / read_wall:.0f} articles/s", flush=True)


def api(big: Path, repeat: int) -> None:
    """rate(list) in one call against batches of 512 and against today's one-batch path."""
    import truthmeter
    from truthmeter import pipeline

    items = [a for a in truthmeter.read(big) if isinstance(a, truthmeter.Article)]
    model = truthmeter.load_model()
    truthmeter.rate(items[:600], model)  # warm the word caches for every variant alike

    def timed(f) -> float:  # noqa: ANN001
        runs = []
        for _ in range(repeat):
            t = time.process_time()
            f()
            runs.append(time.process_time() - t)
        return statistics.median(runs)

    n = len(items)
    for signals in (5, 0):
        batched = timed(lambda: [truthmeter.rate(items[i:i + 512], model, signals=signals)
                                 for i in range(0, n, 512)])
        one = timed(lambda: truthmeter.rate(items, model, signals=signals))
        whole = timed(lambda: pipeline._rate_batch(items, model, signals, True))
        print(f"rate(list of {n}), signals={signals}, CPU s: batches of 512 {batched:.2f} (baseline); one call "
              f"{one:.2f} = {one / batched:.2f}x the batched time; today's one call (one batch) {whole:.2f} = "
              f"{whole / batched:.2f}x; one call now vs today {whole / one:.2f}x faster", flush=True)


def json_out(big: Path, repeat: int) -> None:
    import io
    import json

    import truthmeter
    from truthmeter.publish import formats

    items = [a for a in truthmeter.read(big) if isinstance(a, truthmeter.Article)][:5000]
    rated = truthmeter.rate(items)
    dicts = [x.to_dict() for x in rated]

    def timed(f) -> float:  # noqa: ANN001
        runs = []
        for _ in range(repeat):
            t = time.perf_counter()
            for d in dicts:
                f(d)
            runs.append(time.perf_counter() - t)
        return statistics.median(runs) / len(dicts) * 1e6

    base = timed(lambda d: json.dumps(d, ensure_ascii=False))
    encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder kept (json.dumps builds one per call)
    kept = timed(encode)
    same = all(encode(d) == json.dumps(d, ensure_ascii=False) for d in dicts)
    out = io.StringIO()
    writer = formats.writer_for("jsonl", out)
    t = time.perf_counter()
    for x in rated:
        writer.write(x)
    whole = (time.perf_counter() - t) / len(rated) * 1e6
    print(f"JSON per article: json.dumps(ensure_ascii=False) {base:.1f} us (baseline, what the JSONL writer "
          f"does); one encoder kept {kept:.1f} us = {base / kept:.2f}x faster, same text: {same}; the JSONL "
          f"writer with to_dict {whole:.1f} us", flush=True)
    to_dict = timed(lambda d: None)  # loop overhead
    try:
        import orjson
    except ImportError:
        print("orjson: not installed", flush=True)
        return
    orj = timed(lambda d: orjson.dumps(d).decode())
    same = sum(orjson.dumps(d).decode() == json.dumps(d, ensure_ascii=False) for d in dicts)
    print(f"orjson: {orj:.1f} us = {base / orj:.2f}x faster; same text for {same} of {len(dicts)} articles "
          f"(loop overhead {to_dict:.1f} us)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "arg_gossipcop" / "val.jsonl"))
    ap.add_argument("--copies", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}")
    ap.add_argument("--before", default=None, metavar="DIR", help="a checkout of the code before (DIR/src)")
    args = ap.parse_args()
    sections = set(args.only.split(","))
    if sections - set(SECTIONS):
        sys.exit(f"--only: unknown {', '.join(sorted(sections - set(SECTIONS)))}")
    data = Path(args.data)
    if not data.exists():
        sys.exit(f"{data}: not found (pass --data FILE.jsonl)")
    with tempfile.TemporaryDirectory() as tmp:
        big, out = Path(tmp) / "input.jsonl", Path(tmp) / "out.jsonl"
        big.write_bytes(data.read_bytes() * args.copies)
        n = count_lines(big)
        print(f"input: {data} x {args.copies} = {n} articles; medians of {args.repeat} runs", flush=True)
        cold = cold_start(out, args.before) if sections & {"cold", "cli", "signals"} else {}
        if sections & {"cli", "signals"}:
            cli(big, out, n, args, cold, sections)
        if "api" in sections:
            api(big, args.repeat)
        if "json" in sections:
            json_out(big, args.repeat)


if __name__ == "__main__":
    main()
