"""Latency of `POST /api/rate` under a fixed offered load, with the in-process library as the baseline.

    python bench/api_load.py [--seconds 15] [--rates 50,200] [--warmup 3] [--data FILE.jsonl] [--limit 1000]

`truthmeter serve` runs in its own process on a free loopback port with a fresh database and the
default model; an editor and an API token are made first with the CLI, and every request carries the
token, because token holders skip the per-client rate limiter (the limiter would otherwise answer
429 to most of the offered load). The load generator is open loop: request i is sent at
start + i / rate whatever happened to earlier ones, so a slow server does not lower the offered load,
and latency counts from the scheduled send time (a client that falls behind shows up as latency,
not as fewer requests). Texts rotate over examples/ and, when present, the validation articles.
The baseline is `truthmeter.rate([article])` for one article in this process: what the HTTP layer
adds is the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
_SCRIPT = Path(sys.executable).with_name("truthmeter")
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "truthmeter.cli"]
ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("TRUTHMETER_")}, "PYTHONWARNINGS": "ignore"}
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "arg_gossipcop" / "val.jsonl"


@dataclass
class Phase:
    rate: float
    seconds: float
    latencies: list[float] = field(default_factory=list)  # ms, successful (200) answers only
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    wall: float = 0.0
    peak_rss_mb: float = 0.0
    server_cpu_s: float = 0.0  # user + system seconds the server spent during the measured part


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bodies(data: Path, limit: int) -> list[dict[str, str]]:
    """Request bodies: the bundled examples, then up to `limit` validation articles when present."""
    import truthmeter

    out = [{"text": a.text, "title": a.title} if a.title else {"text": a.text}
           for a in truthmeter.read(str(ROOT / "examples")) if isinstance(a, truthmeter.Article)]
    if data.exists():
        with data.open(encoding="utf-8") as f:
            for line, _ in zip(f, range(limit)):
                row = json.loads(line)
                text = row.get("content") or row.get("text")
                if text and text.strip():
                    out.append({"text": text, **({"title": row["title"]} if row.get("title") else {})})
    return out


def cli(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, env=ENV)
    if done.returncode != 0:
        sys.exit(f"`truthmeter {' '.join(args)}` failed: {done.stderr.strip()}")
    return done.stdout


def make_token(db: str) -> str:
    cli("user", "add", "bench", "--password-stdin", "--db", db, stdin="bench-password-123\n")
    printed = cli("token", "create", "--user", "bench", "--name", "api-load", "--db", db)
    # The secret is printed once; it is the longest whitespace-free word of the output.
    return max(printed.split(), key=len)


def start_server(db: str, port: int) -> subprocess.Popen[bytes]:
    # The server's log goes to a file: an undrained pipe fills up and blocks the server's event loop
    # at its next log line (a soak found that: the server stalled, not the app).
    log = open(Path(db).with_suffix(".serve.log"), "w+b")  # noqa: SIM115 (closed with the server)
    proc = subprocess.Popen([*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    proc.log = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            sys.exit(f"truthmeter serve exited with {proc.returncode}: {log.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/outlets", timeout=2).status_code < 500:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    sys.exit("truthmeter serve did not answer within 60 s")


def server_log(proc: subprocess.Popen[bytes]) -> str:
    """What the server wrote to stderr so far."""
    log = proc.log  # type: ignore[attr-defined]
    log.flush()
    log.seek(0)
    return log.read().decode("utf-8", "replace")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def status_mb(pid: int, key: str) -> float:
    """A memory figure of /proc/PID/status (VmHWM: peak resident, VmRSS: resident now) of the server
    process and its children, in MB."""
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(f"{key}:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def peak_rss_mb(pid: int) -> float:
    return status_mb(pid, "VmHWM")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by the server process and its children."""
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _children(pid: int) -> list[int]:
    try:
        kids = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


async def _one(client: httpx.AsyncClient, body: dict[str, str], due: float, phase: Phase | None) -> None:
    try:
        r = await client.post("/api/rate", json=body)
        status = str(r.status_code)
    except httpx.HTTPError as e:
        status = type(e).__name__
    if phase is None:
        return
    phase.statuses[status] = phase.statuses.get(status, 0) + 1
    if status == "200":
        phase.latencies.append((time.perf_counter() - due) * 1000)
    else:
        phase.errors += 1


async def offer(client: httpx.AsyncClient, texts: list[dict[str, str]], rate: float, seconds: float,
                phase: Phase | None, start_at: int = 0) -> None:
    """Send rate*seconds requests, request i at start + i/rate, without waiting for answers."""
    n = int(rate * seconds)
    tasks = []
    start = time.perf_counter()
    for i in range(n):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(client, texts[(start_at + i) % len(texts)], due, phase)))
    await asyncio.gather(*tasks)
    if phase is not None:
        phase.sent, phase.wall = n, time.perf_counter() - start


async def run_load(port: int, token: str, texts: list[dict[str, str]], rates: list[float], seconds: float,
                   warmup: float, pid: int) -> list[Phase]:
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=2000)
    headers = {"Authorization": f"Bearer {token}"}
    phases = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, limits=limits,
                                 timeout=30) as client:
        probe = await client.post("/api/rate", json=texts[0])
        if probe.status_code != 200:
            sys.exit(f"POST /api/rate answered {probe.status_code}: {probe.text[:300]}")
        for i, rate in enumerate(rates):
            await offer(client, texts, rate, warmup, None, start_at=i * 7919)  # warm-up: connections, caches
            phase = Phase(rate, seconds)
            cpu = cpu_seconds(pid)
            await offer(client, texts, rate, seconds, phase, start_at=i * 7919 + 1)
            phase.server_cpu_s = cpu_seconds(pid) - cpu
            phase.peak_rss_mb = peak_rss_mb(pid)
            phases.append(phase)
    return phases


def baseline(texts: list[dict[str, str]], n: int = 300) -> dict[str, tuple[float, float]]:
    """Median and p99 ms, one article per call, in this process: `truthmeter.rate([article])` alone,
    and with what the handler adds short of HTTP (reading the pasted text, the JSON-ready dict)."""
    import truthmeter
    from truthmeter.pipeline import submitted

    model = truthmeter.load_model()
    bodies_ = [texts[i % len(texts)] for i in range(n)]
    articles = [submitted(text=t["text"], title=t.get("title")) for t in bodies_]
    for a in articles[:20]:
        truthmeter.rate([a], model)
    rate_only, handler = [], []
    for body, article in zip(bodies_, articles):
        t = time.perf_counter()
        truthmeter.rate([article], model)
        rate_only.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        truthmeter.rate([submitted(text=body["text"], title=body.get("title"))], model)[0].to_dict()
        handler.append((time.perf_counter() - t) * 1000)
    return {"truthmeter.rate([article])": (statistics.median(rate_only), pct(rate_only, 99)),
            "read text + rate + to_dict()": (statistics.median(handler), pct(handler, 99))}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def report(phases: list[Phase], base: dict[str, tuple[float, float]], n_texts: int, data: Path, target: float,
           load: float) -> None:
    source = f"examples + {data}" if data.exists() else "examples only"
    print(f"POST /api/rate, open loop; {n_texts} distinct bodies ({source}); {os.cpu_count()} CPUs, "
          f"load average at the start {load:.1f} (other work skews latency)")
    print("all requests carry an API token, so the per-client rate limiter is skipped")
    for what, (median, p99) in base.items():
        print(f"baseline in-process, one article: {what}: median {median:.1f} ms, p99 {p99:.1f} ms")
    print(f"{'offered rps':>11} {'achieved':>8} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6} "
          f"{'server CPU ms/req':>17} {'server peak RSS':>15}")
    for p in phases:
        lat = p.latencies
        per_request = 1000 * p.server_cpu_s / p.sent if p.sent else float("nan")
        print(f"{p.rate:>11.0f} {len(lat) / p.wall if p.wall else 0:>8.1f} {pct(lat, 50):>7.1f} {pct(lat, 90):>7.1f} "
              f"{pct(lat, 99):>7.1f} {max(lat, default=float('nan')):>7.1f} {p.errors:>6} {per_request:>17.1f} "
              f"{p.peak_rss_mb:>12.0f} MB")
        bad = {k: v for k, v in p.statuses.items() if k != "200"}
        if bad:
            print(f"{'':>11} non-200 answers: {bad}")
    last = phases[-1]
    verdict = "met" if pct(last.latencies, 99) <= target and last.errors == 0 else "NOT met"
    print(f"target p99 <= {target:.0f} ms at {last.rate:.0f} rps with no errors: {verdict}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=15, help="Measured seconds per rate.")
    ap.add_argument("--rates", default="50,200", help="Offered requests per second, comma-separated.")
    ap.add_argument("--warmup", type=float, default=3, help="Unmeasured seconds before each rate.")
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="Extra JSONL articles (field content or text).")
    ap.add_argument("--limit", type=int, default=1000, help="At most this many articles from --data.")
    ap.add_argument("--target-ms", type=float, default=50, help="p99 target at the highest rate.")
    args = ap.parse_args()
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    data = Path(args.data)
    load = os.getloadavg()[0]
    texts = bodies(data, args.limit)
    base = baseline(texts)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        token = make_token(db)
        port = free_port()
        proc = start_server(db, port)
        try:
            phases = asyncio.run(run_load(port, token, texts, rates, args.seconds, args.warmup, proc.pid))
        finally:
            stop_server(proc)
    report(phases, base, len(texts), data, args.target_ms, load)


if __name__ == "__main__":
    main()
