"""Throughput, peak memory and cold start of `truthmeter rate`, with baselines run in the same script.

    python bench/rate_throughput.py [--data ../shared/data/arg_gossipcop/val.jsonl] [--copies 8] [--repeat 3]
        [--only cold,cli,signals,api,json] [--before DIR]

Sections (all by default; --only picks some):
  cold     cold start of `truthmeter rate ONE.txt`; baselines: a bare `python -c pass`.
  cli      `truthmeter rate --format jsonl --no-stories` on the data file repeated --copies times, 1 and 2
           workers (steady-state articles/s = articles / (wall - cold start)), and with 2 workers the main
           process's CPU per article (the cap on articles/s whatever the workers do) and the workers';
           baseline: the same input read without rating.
  signals  the same with `--signals 0` (no explanations), 1 and 2 workers; baseline: the default (5 signals)
           at 1 worker.
  ranges   in process, CPU per article of what a worker does for `rate --no-stories` (read a byte range of
           the file, parse, rate, render JSONL) at ranges of 64 KB, 256 KB (the default) and 1 MB, 5 and 0
           signals; baseline: the path before (read -> rate_stream in batches of 512 -> the JSONL writer).
           The bytes must be the same.
  api      `truthmeter.rate(list)` of all articles in one call, in process; baselines: batches of 512,
           and today's one-call path (the whole list as one batch, `pipeline._rate_batch`).
  json     serialising rated articles; baseline: json.dumps(ensure_ascii=False) per article (the JSONL
           writer); against one kept encoder and orjson where installed (and whether it gives the same bytes).

The target of 10,000 articles/s (issue 13) is for the streaming scorer, `--no-stories`: grouping into
stories (the default of `truthmeter rate`) is a serial step after rating, measured by bench/ingest_backends.py
and bench/cluster_scaling.py, not here.
With --before DIR (a checkout of the code before a change, e.g. `git archive HEAD src | tar -x -C DIR`),
cold, cli and signals also run that code (PYTHONPATH=DIR/src) and print new/before ratios.
The main process's CPU is its own (getrusage at exit, through a small hook around the CLI), less its
CPU over one copy of the data, over the difference in articles: start-up cancels out.

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
SECTIONS = ("cold", "cli", "signals", "ranges", "api", "json")
# The CLI with a hook that writes the main process's own CPU seconds (all its threads) when it exits
# (forked workers leave by os._exit: only the main process writes).
CPU_HOOK = """import atexit, os, resource, sys
def report():
    r = resource.getrusage(resource.RUSAGE_SELF)
    with open(os.environ["BENCH_CPU_REPORT"], "w") as f:
        f.write(str(r.ru_utime + r.ru_stime))
atexit.register(report)
sys.argv[0] = "truthmeter"
from truthmeter.cli import main
main()
"""


def run(cmd: list[str], out: Path, src: str | None = None, hook: bool = False
        ) -> tuple[float, float, tuple[float, float]]:
    """Wall seconds, peak RSS (MB) and CPU seconds (its own, its children's: the workers) of one child
    process; `src`: the code to import (PYTHONPATH). With `hook`, the CLI runs through CPU_HOOK, which
    writes the main process's own CPU (all its threads) at exit: wait4 adds the workers' to it."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if src:
        env["PYTHONPATH"] = src
    if hook and cmd[:len(CLI)] == CLI:
        cmd = [sys.executable, "-c", CPU_HOOK, *cmd[len(CLI):]]
    with tempfile.NamedTemporaryFile("r") as report:
        env["BENCH_CPU_REPORT"] = report.name
        t = time.perf_counter()
        pid = subprocess.Popen(cmd, stdout=out.open("w"), stderr=subprocess.DEVNULL, env=env).pid
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - t
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"failed: {' '.join(cmd)}")
        own = report.read().split()
    total = usage.ru_utime + usage.ru_stime
    main = float(own[0]) if own else total
    return wall, usage.ru_maxrss / 1024, (main, total - main)


def count_lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f)


def measure(cmd: list[str], out: Path, repeat: int, src: str | None = None
            ) -> tuple[float, float, tuple[float, float]]:
    """Median wall, the highest peak RSS, median (main process, workers) CPU."""
    runs = [run(cmd, out, src, hook=True) for _ in range(repeat)]
    return (statistics.median(w for w, _, _ in runs), max(m for _, m, _ in runs),
            (statistics.median(c[0] for _, _, c in runs), statistics.median(c[1] for _, _, c in runs)))


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


def cli(big: Path, small: Path, out: Path, n: tuple[int, int], args: argparse.Namespace, cold: dict[str, float],
        sections: set[str]) -> None:
    """`cli`: --no-stories, 1 and 2 workers, 5 signals (the default); the main process's CPU per article
    with 2 workers. `signals`: --no-stories, one worker, 5 signals against --signals 0 (the code before
    has no --signals)."""
    walls: dict[tuple[str, str], float] = {}
    for name, src in codes(args.before):
        runs: list[tuple[str, int, list[str]]] = [("cli", w, []) for w in (1, 2)] if "cli" in sections else []
        if "signals" in sections:
            fast = [("signals", w, ["--signals", "0"]) for w in (1, 2)] if name == "now" else []
            runs += [("signals", 1, []), *fast]
        for section, workers, extra in runs:
            key = f"{' '.join(extra)} {workers}"
            if (name, key) in walls:  # the same run for both sections
                continue
            cmd = [*CLI, "rate", "--format", "jsonl", "--no-stories", "--workers", str(workers), *extra]
            wall, mem, cpu = measure([*cmd, str(big)], out, args.repeat, src)
            assert count_lines(out) == n[0], "rated output has a different number of lines than the input"
            walls[name, key] = wall
            ratio = (f"; now/before time {walls['now', key] / wall:.2f}" if name == "before" and ("now", key) in walls
                     else "")
            print(f"[{name}] rate JSONL->JSONL --no-stories {' '.join(extra) or '(5 signals)'}, {workers} worker(s): "
                  f"{wall:.2f} s whole process = {n[0] / wall:.0f} articles/s; steady state "
                  f"{n[0] / (wall - cold[name]):.0f} articles/s; peak RSS {mem:.0f} MB (main process){ratio}",
                  flush=True)
            if workers > 1:
                main_cpu(cmd, small, out, n, cpu, args.repeat, src, name)
        if name == "now" and "signals" in sections:
            base, fast = walls["now", " 1"], walls["now", "--signals 0 1"]
            print(f"[now] --signals 0 vs 5 signals (--no-stories, 1 worker): {base / fast:.2f}x faster "
                  f"(baseline {base:.2f} s, whole process)", flush=True)
            print(f"[now] --signals 0, 2 workers vs 1: {fast / walls['now', '--signals 0 2']:.2f}x", flush=True)
        if "cli" in sections:
            print(f"[{name}] 2 workers vs 1: {walls[name, ' 1'] / walls[name, ' 2']:.2f}x", flush=True)
    if "cli" in sections:
        read_wall, _, _ = measure([sys.executable, "-c", READ_ONLY, str(big)], out, args.repeat)
        print(f"baseline read-only: {read_wall:.2f} s = {n[0] / read_wall:.0f} articles/s", flush=True)


def main_cpu(cmd: list[str], small: Path, out: Path, n: tuple[int, int], cpu: tuple[float, float], repeat: int,
             src: str | None, name: str) -> None:
    """The main process's CPU per article: its CPU over the input less its CPU over one copy of the data,
    over the difference in articles (so start-up and model loading cancel out); and the workers' CPU
    per article (all child processes), start-up included."""
    _, _, (small_main, _) = measure([*cmd, str(small)], out, repeat, src)
    per = (cpu[0] - small_main) / (n[0] - n[1]) * 1e6
    cap = (f"a cap of {1e6 / per:,.0f} articles/s whatever the workers do" if per >= 1 else
           "under 1 us: within the noise of start-up")
    print(f"[{name}]   main process CPU {per:.1f} us per article ({cap}; {cpu[0]:.2f} s in all, start-up included); "
          f"workers' CPU {cpu[1] / n[0] * 1e6:.0f} us per article", flush=True)


def ranges(big: Path, repeat: int) -> None:
    """In process: what a worker does, by range size, against the path before."""
    import io

    import truthmeter
    from truthmeter import pipeline
    from truthmeter._workers import rate_files
    from truthmeter.publish.formats import writer_for

    model, n = truthmeter.load_model(), count_lines(big)
    truthmeter.rate([a for a in truthmeter.read(big)][:600], model)  # warm the caches for every variant alike

    def before(signals: int) -> bytes:
        out = io.StringIO()
        writer = writer_for("jsonl", out)
        for x in pipeline.rate_stream(truthmeter.read(big), model, signals=signals):
            writer.write(x)  # type: ignore[arg-type]
        return out.getvalue().encode()

    def ranged(signals: int, size: int) -> bytes:
        rendered = rate_files([str(big)], writer_for("jsonl", io.StringIO()), model, signals=signals, range_bytes=size)
        return b"".join(x.data for x in rendered)  # type: ignore[union-attr]

    for signals in (5, 0):
        sizes = {f"{size >> 10} KB": (lambda size=size: ranged(signals, size)) for size in (1 << 16, 1 << 18, 1 << 20)}
        variants = {"before": lambda: before(signals), **sizes}
        cpu: dict[str, list[float]] = {}
        for _ in range(repeat):  # interleaved: a shared machine slows them alike
            for name, f in variants.items():
                t = time.process_time()
                f()
                cpu.setdefault(name, []).append(time.process_time() - t)
        same = len({f() for f in variants.values()}) == 1
        us = {name: statistics.median(v) / n * 1e6 for name, v in cpu.items()}
        base = us.pop("before")
        rest = "; ".join(f"ranges of {name} {t:.0f} us = {base / t:.2f}x faster" for name, t in us.items())
        print(f"in process, signals={signals}, CPU per article: before (batches of 512) {base:.0f} us (baseline); "
              f"{rest}; same bytes: {same}", flush=True)


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
        big, small, out = Path(tmp) / "input.jsonl", Path(tmp) / "small.jsonl", Path(tmp) / "out.jsonl"
        big.write_bytes(data.read_bytes() * args.copies)
        small.write_bytes(data.read_bytes())
        n = count_lines(big)
        print(f"input: {data} x {args.copies} = {n} articles; medians of {args.repeat} runs", flush=True)
        cold = cold_start(out, args.before) if sections & {"cold", "cli", "signals"} else {}
        if sections & {"cli", "signals"}:
            cli(big, small, out, (n, count_lines(small)), args, cold, sections)
        if "ranges" in sections:
            ranges(big, args.repeat)
        if "api" in sections:
            api(big, args.repeat)
        if "json" in sections:
            json_out(big, args.repeat)


if __name__ == "__main__":
    main()
