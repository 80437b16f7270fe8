"""Latency and achieved rate of `POST /api/rate` under a fixed offered load, against the code before.

    python bench/api_load.py [--seconds 15] [--rates 50,200] [--warmup 3] [--workers 2] [--before DIR]
        [--data FILE.jsonl] [--limit 1000] [--target-ms 50]

`truthmeter serve --workers N` runs in its own process group on a free loopback port with a fresh
database and the default model; an editor and an API token are made first with the CLI, and every
request carries the token, because token holders skip the per-client rate limiter (the limiter would
otherwise answer 429 to most of the offered load).

The load generator is a third process (this script with `--generate`): plain HTTP/1.1 over asyncio
streams with the requests encoded beforehand, so that it takes little of the CPU the server needs
(its CPU per request is printed). It is open loop: request i is sent at start + i / rate whatever
happened to earlier ones, on an idle keep-alive connection or a new one, so a slow server does not
lower the offered load; latency counts from the scheduled send time (a generator or server that falls
behind shows up as latency, not as fewer requests). Texts rotate over examples/ and, when present,
the validation articles.

Baselines in the same run: with `--before DIR` (a checkout of the code before a change:
`git archive HEAD src bench | tar -x -C DIR`), the same load on that code's server (PYTHONPATH=DIR/src;
`--workers` only where that code has it), with now/before ratios; and always `truthmeter.rate([article])`
for one article in this process, what the HTTP layer adds is the difference.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "truthmeter.cli"]
ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("TRUTHMETER_")}, "PYTHONWARNINGS": "ignore"}
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "arg_gossipcop" / "val.jsonl"


def _env(src: str | None) -> dict[str, str]:
    return {**ENV, "PYTHONPATH": src} if src else ENV


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


def cli(*args: str, stdin: str | None = None, src: str | None = None) -> str:
    done = subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, env=_env(src))
    if done.returncode != 0:
        sys.exit(f"`truthmeter {' '.join(args)}` failed: {done.stderr.strip()}")
    return done.stdout


def make_token(db: str, src: str | None = None) -> str:
    cli("user", "add", "bench", "--password-stdin", "--db", db, stdin="bench-password-123\n", src=src)
    printed = cli("token", "create", "--user", "bench", "--name", "api-load", "--db", db, src=src)
    # The secret is printed once; it is the longest whitespace-free word of the output.
    return max(printed.split(), key=len)


def has_workers_option(src: str | None) -> bool:
    return "--workers" in cli("serve", "--help", src=src)


def start_server(db: str, port: int, *, src: str | None = None, workers: int | None = None
                 ) -> subprocess.Popen[bytes]:
    # The server's log goes to a file: an undrained pipe fills up and blocks the server's event loop
    # at its next log line (a soak found that: the server stalled, not the app).
    log = open(Path(db).with_suffix(".serve.log"), "w+b")  # noqa: SIM115 (closed with the server)
    extra = ["--workers", str(workers)] if workers else []
    proc = subprocess.Popen([*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--db", db, *extra],
                            env=_env(src), stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    proc.log = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            sys.exit(f"truthmeter serve exited with {proc.returncode}: {log.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"GET /api/outlets HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(12).startswith(b"HTTP/1.1 2"):
                    return proc
        except OSError:
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by the process and its children."""
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


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


# --- the load generator (its own process: `--generate`, a job as JSON on stdin) ----------------------

class Pool:
    """Keep-alive HTTP/1.1 connections to one port, one request at a time on each."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        """An idle connection the server has not closed (it closes them after 5 s idle), else a new one;
        and whether it was reused."""
        while self.idle:
            reader, writer = self.idle.pop()
            if not reader.at_eof():
                return reader, writer, True
            writer.close()
        return (*await asyncio.open_connection("127.0.0.1", self.port), False)

    async def send(self, request: bytes) -> str:
        """The answer's status code, or the name of what went wrong. A reused connection that the
        server closed before answering anything is retried once on a new one, as HTTP clients do."""
        reader, writer, reused = await self._connection()
        try:
            writer.write(request)
            line = await reader.readline()
            if not line and reused:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.write(request)
                line = await reader.readline()
            status = line.split(b" ", 2)[1].decode()
            length, keep = 0, True
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    keep = False
            await reader.readexactly(length)
        except (OSError, IndexError, ValueError, asyncio.IncompleteReadError) as e:
            writer.close()
            return type(e).__name__
        if keep:
            self.idle.append((reader, writer))
        else:
            writer.close()
        return status


def encode(port: int, token: str, body: dict[str, str]) -> bytes:
    raw = json.dumps(body).encode()
    return (f"POST /api/rate HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(raw)}\r\n\r\n").encode() + raw


async def _one(pool: Pool, request: bytes, due: float, out: dict[str, list] | None) -> None:
    try:
        status = await asyncio.wait_for(pool.send(request), 30)
    except asyncio.TimeoutError:
        status = "timeout (30 s)"
    if out is not None:
        out["status"].append(status)
        if status == "200":
            out["ms"].append((time.perf_counter() - due) * 1000)


async def offer(pool: Pool, requests: list[bytes], rate: float, seconds: float, out: dict[str, list] | None,
                start_at: int) -> float:
    """Send rate*seconds requests, request i at start + i/rate, without waiting for answers; the
    seconds from the first send to the last answer."""
    tasks = []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif out is not None:
            out["late_ms"].append(-delay * 1000)  # the generator itself fell behind
        tasks.append(asyncio.create_task(_one(pool, requests[(start_at + i) % len(requests)], due, out)))
    await asyncio.gather(*tasks)
    return time.perf_counter() - start


async def generate(job: dict) -> list[dict]:
    """Each rate of the job: an unmeasured warm-up, then the measured phase, with the server's and
    this process's CPU over it."""
    pool = Pool(job["port"])
    requests = [encode(job["port"], job["token"], b) for b in job["bodies"]]
    probe: dict[str, list] = {"status": [], "ms": [], "late_ms": []}
    await _one(pool, requests[0], time.perf_counter(), probe)
    if probe["status"] != ["200"]:
        return [{"error": f"POST /api/rate answered {probe['status'][0]}"}]
    phases = []
    for i, rate in enumerate(job["rates"]):
        await offer(pool, requests, rate, job["warmup"], None, start_at=i * 7919)
        out: dict[str, list] = {"status": [], "ms": [], "late_ms": []}
        server, own = cpu_seconds(job["pid"]), time.process_time()
        wall = await offer(pool, requests, rate, job["seconds"], out, start_at=i * 7919 + 1)
        phases.append({**out, "rate": rate, "wall": wall, "server_cpu": cpu_seconds(job["pid"]) - server,
                       "generator_cpu": time.process_time() - own, "peak_rss_mb": status_mb(job["pid"], "VmHWM")})
    return phases


def run_generator(job: dict) -> list[dict]:
    done = subprocess.run([sys.executable, __file__, "--generate"], input=json.dumps(job), capture_output=True,
                          text=True, env=ENV)
    if done.returncode != 0:
        sys.exit(f"the load generator failed: {done.stderr.strip()[-2000:]}")
    phases = json.loads(done.stdout)
    if phases and "error" in phases[0]:
        sys.exit(phases[0]["error"])
    return phases


# --- the run -------------------------------------------------------------------------------------

def serve_and_load(name: str, src: str | None, workers: int | None, job: dict) -> dict:
    """One code's server under the job's load: its phases, as the generator measured them."""
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        token = make_token(db, src)
        port = free_port()
        proc = start_server(db, port, src=src, workers=workers)
        try:
            phases = run_generator({**job, "port": port, "token": token, "pid": proc.pid})
        finally:
            stop_server(proc)
    return {"name": name, "workers": workers or 1, "phases": phases}


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


def figures(p: dict) -> dict[str, float]:
    lat, sent = p["ms"], len(p["status"])
    return {"achieved": len(lat) / p["wall"] if p["wall"] else 0.0, "p50": pct(lat, 50), "p95": pct(lat, 95),
            "p99": pct(lat, 99), "max": max(lat, default=float("nan")),
            "errors": float(sum(s != "200" for s in p["status"])),
            "server_ms": 1000 * p["server_cpu"] / sent if sent else float("nan"),
            "generator_ms": 1000 * p["generator_cpu"] / sent if sent else float("nan"),
            "late_p99": pct(p["late_ms"], 99) if p["late_ms"] else 0.0}


def report(runs: list[dict], base: dict[str, tuple[float, float]], header: str, target: float) -> None:
    print(header)
    print("all requests carry an API token, so the per-client rate limiter is skipped")
    for what, (median, p99) in base.items():
        print(f"baseline in-process, one article: {what}: median {median:.1f} ms, p99 {p99:.1f} ms")
    print(f"{'code':>6} {'workers':>7} {'offered':>7} {'achieved':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7} {'errors':>6} {'server CPU ms/req':>17} {'generator CPU ms/req':>20} {'server peak RSS':>15}")
    for run in runs:
        for p in run["phases"]:
            f = figures(p)
            print(f"{run['name']:>6} {run['workers']:>7} {p['rate']:>7.0f} {f['achieved']:>8.1f} {f['p50']:>7.1f} "
                  f"{f['p95']:>7.1f} {f['p99']:>7.1f} {f['max']:>7.1f} {f['errors']:>6.0f} {f['server_ms']:>17.2f} "
                  f"{f['generator_ms']:>20.2f} {p['peak_rss_mb']:>12.0f} MB")
            bad = {k: p["status"].count(k) for k in set(p["status"]) if k != "200"}
            if bad:
                print(f"{'':>14} non-200 answers: {bad}")
            if f["late_p99"] > 5:
                print(f"{'':>14} the generator sent late: p99 {f['late_p99']:.1f} ms behind schedule")
    if len(runs) == 2:
        for now, before in zip(runs[0]["phases"], runs[1]["phases"]):
            a, b = figures(now), figures(before)
            print(f"at {now['rate']:.0f} rps, now/before: p50 {a['p50'] / b['p50']:.3f}, "
                  f"p99 {a['p99'] / b['p99']:.3f}, achieved {a['achieved'] / b['achieved']:.2f}, "
                  f"server CPU per request {a['server_ms'] / b['server_ms']:.2f}")
    last = figures(runs[0]["phases"][-1])
    verdict = "met" if last["p99"] <= target and last["errors"] == 0 else "NOT met"
    print(f"target p99 <= {target:.0f} ms at {runs[0]['phases'][-1]['rate']:.0f} rps with no errors: {verdict}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=15, help="Measured seconds per rate.")
    ap.add_argument("--rates", default="50,200", help="Offered requests per second, comma-separated.")
    ap.add_argument("--warmup", type=float, default=3, help="Unmeasured seconds before each rate.")
    ap.add_argument("--workers", type=int, default=2, help="`serve --workers` for the code now.")
    ap.add_argument("--before", default=None, metavar="DIR", help="A checkout of the code before (DIR/src).")
    ap.add_argument("--data", default=str(DEFAULT_DATA), help="Extra JSONL articles (field content or text).")
    ap.add_argument("--limit", type=int, default=1000, help="At most this many articles from --data.")
    ap.add_argument("--target-ms", type=float, default=50, help="p99 target at the highest rate.")
    ap.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generate:
        print(json.dumps(asyncio.run(generate(json.load(sys.stdin)))))
        return
    data, load = Path(args.data), os.getloadavg()[0]
    texts = bodies(data, args.limit)
    base = baseline(texts)
    job = {"bodies": texts, "rates": [float(r) for r in args.rates.split(",") if r.strip()],
           "seconds": args.seconds, "warmup": args.warmup}
    runs = [serve_and_load("now", None, args.workers, job)]
    if args.before:
        src = str(Path(args.before) / "src")
        runs.append(serve_and_load("before", src, args.workers if has_workers_option(src) else None, job))
    source = f"examples + {data}" if data.exists() else "examples only"
    header = (f"POST /api/rate, open loop; {len(texts)} distinct bodies ({source}); {os.cpu_count()} CPUs, "
              f"load average at the start {load:.1f} (other work skews latency)")
    report(runs, base, header, args.target_ms)


if __name__ == "__main__":
    main()
