"""A bounded soak of `truthmeter serve`: mixed reads, rating, tips and desk writes for a while, watching
errors, latency per endpoint and the server's memory.

    python bench/soak.py [--minutes 10] [--rps 20] [--warmup 60] [--sample 30] [--data FILE.jsonl]

The server runs in its own process on a free loopback port, with a fresh database holding the bundled
examples and (when present) 300 validation articles, an editor and an API token (made with the CLI).
The load is open loop at `--rps` requests per second, drawn in a fixed rotation:

    GET /  /stories/ID  /api/stories  /api/stories/ID  /feed.atom  /outlets   (reads, 60%)
    POST /api/rate one article, by token                                          (15%)
    POST /api/tips, as a reader (rate-limited per client: 429s are counted apart) (5%)
    PUT /api/stories/ID/rating and /claim, POST /api/articles, by token           (20%)

Printed: per endpoint the requests, errors (any 4xx but 429, 5xx and transport failures), 429s, p50 and p99 latency;
the server's resident memory (VmRSS, with its children) every `--sample` seconds; and the growth from
the end of the warm-up to the end, the figure that says whether anything leaks. The baseline in the
same run is the same server idle: the memory it settles at after start and the warm-up reads.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_load import (DEFAULT_DATA, ROOT, bodies, cli, free_port, make_token, start_server,  # noqa: E402
                      server_log, status_mb, stop_server)


@dataclass
class Endpoint:
    latencies: list[float] = field(default_factory=list)  # ms, answered below 500 and not 429
    errors: int = 0
    limited: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def rss_mb(pid: int) -> float:
    """Current resident memory of the server and its children, in MB."""
    return status_mb(pid, "VmRSS")


def _mix(story_ids: list[str], texts: list[dict[str, str]]) -> list[tuple[str, str, str, object]]:
    """One rotation of 20 requests: (name, method, path, json body or None)."""
    sid = itertools.cycle(story_ids)
    text = itertools.cycle(texts)
    reads = [("GET /", "GET", "/", None), ("GET /stories/ID", "GET", "/stories/{sid}", None),
             ("GET /api/stories", "GET", "/api/stories?limit=20", None),
             ("GET /api/stories/ID", "GET", "/api/stories/{sid}", None),
             ("GET /feed.atom", "GET", "/feed.atom", None), ("GET /outlets", "GET", "/outlets", None)]
    out = []
    for i in range(20):
        if i < 12:
            name, method, path, body = reads[i % len(reads)]
        elif i < 15:
            name, method, path, body = "POST /api/rate", "POST", "/api/rate", next(text)
        elif i == 15:
            name, method, path, body = "POST /api/tips", "POST", "/api/tips", {**next(text), "note": "soak"}
        elif i == 16:
            name, method, path, body = ("PUT rating", "PUT", "/api/stories/{sid}/rating",
                                        {"rating": 3, "note": "soak: an editor's rating"})
        elif i == 17:
            name, method, path, body = ("PUT claim", "PUT", "/api/stories/{sid}/claim",
                                        {"claim": "A claim an editor wrote during the soak"})
        else:
            name, method, path, body = "POST /api/articles", "POST", "/api/articles", [next(text)]
        out.append((name, method, path.replace("{sid}", next(sid)) if "{sid}" in path else path, body))
    return out


async def _send(client: httpx.AsyncClient, token: str, req: tuple[str, str, str, object], due: float,
                stats: dict[str, Endpoint]) -> None:
    name, method, path, body = req
    headers = {"Authorization": f"Bearer {token}"} if name.startswith(("POST /api/rate", "PUT", "POST /api/art")) else {}
    try:
        r = await client.request(method, path, json=body, headers=headers)
        status = str(r.status_code)
    except httpx.HTTPError as e:
        status = type(e).__name__
    e = stats[name]
    e.statuses[status] += 1
    if status == "429":
        e.limited += 1
    elif not status.isdigit() or int(status) >= 400:  # every request is well-formed: any refusal is a fault
        e.errors += 1
    else:
        e.latencies.append((time.perf_counter() - due) * 1000)


async def soak(port: int, token: str, mix: list[tuple[str, str, str, object]], rps: float, seconds: float,
               warmup: float, sample: float, pid: int) -> tuple[dict[str, Endpoint], list[tuple[float, float]]]:
    stats: dict[str, Endpoint] = defaultdict(Endpoint)
    memory: list[tuple[float, float]] = [(0.0, rss_mb(pid))]
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=500)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30) as client:
        start, tasks, next_sample = time.perf_counter(), set(), sample
        for i in itertools.count():
            due = start + i / rps
            if due - start >= seconds:
                break
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            warm = due - start < warmup
            task = asyncio.create_task(_send(client, token, mix[i % len(mix)], due, defaultdict(Endpoint) if warm
                                             else stats))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            if due - start >= next_sample:
                memory.append((due - start, rss_mb(pid)))
                print(f"  {due - start:6.0f} s  RSS {memory[-1][1]:7.1f} MB", flush=True)
                next_sample += sample
        await asyncio.gather(*tasks)
        memory.append((time.perf_counter() - start, rss_mb(pid)))
    return stats, memory


def _seed(db: str, data: Path) -> list[str]:
    import json

    cli("ingest", "--db", db, str(ROOT / "examples"))
    if data.exists():
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            with data.open(encoding="utf-8") as src:
                f.writelines(itertools.islice(src, 300))
        cli("ingest", "--db", db, f.name)
    return [json.loads(x)["id"] for x in cli("stories", "--db", db, "--format", "jsonl", "--limit", "200").splitlines()]


def report(stats: dict[str, Endpoint], memory: list[tuple[float, float]], warmup: float, idle: float) -> None:
    print(f"\n{'endpoint':<22} {'requests':>8} {'errors':>6} {'429':>5} {'p50 ms':>8} {'p99 ms':>8}")
    total_err = 0
    for name in sorted(stats):
        e = stats[name]
        n = sum(e.statuses.values())
        lat = sorted(e.latencies)
        p50 = statistics.median(lat) if lat else float("nan")
        p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else float("nan")
        total_err += e.errors
        print(f"{name:<22} {n:>8} {e.errors:>6} {e.limited:>5} {p50:>8.1f} {p99:>8.1f}   {dict(e.statuses)}")
    after = [m for t, m in memory if t >= warmup]
    print(f"\nerrors: {total_err}")
    print(f"RSS idle baseline (after start and a warm-up read): {idle:.1f} MB; after warm-up {after[0]:.1f} MB; "
          f"end {after[-1]:.1f} MB; growth after warm-up {after[-1] - after[0]:+.1f} MB; "
          f"max {max(m for _, m in memory):.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rps", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=60.0, help="seconds left out of the figures")
    ap.add_argument("--sample", type=float, default=30.0, help="seconds between memory samples")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "soak.db")
        story_ids = _seed(db, args.data)
        token = make_token(db)
        port = free_port()
        proc = start_server(db, port)
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
            time.sleep(2)
            idle = rss_mb(proc.pid)
            mix = _mix(story_ids, bodies(args.data, 200))
            print(f"soak: {args.minutes:g} min at {args.rps:g} req/s over {len(story_ids)} stories "
                  f"(warm-up {args.warmup:g} s left out); server pid {proc.pid}")
            stats, memory = asyncio.run(soak(port, token, mix, args.rps, args.minutes * 60, args.warmup,
                                             args.sample, proc.pid))
            errors = [x for x in server_log(proc).splitlines() if x.startswith(("ERROR", "Traceback"))]
        finally:
            stop_server(proc)
    report(stats, memory, args.warmup, idle)
    print(f"server log: {len(errors)} error lines" + (f"; first: {errors[0]}" if errors else ""))


if __name__ == "__main__":
    main()
