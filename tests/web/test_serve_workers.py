"""`truthmeter serve --workers N`: several processes serving one app over one database.

What serve hands uvicorn is checked with uvicorn.run replaced by a recorder; one test starts the real
command with two workers on a free loopback port and rates and stores articles over HTTP (not timed).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from fastapi import FastAPI

from truthmeter.cli import main
from truthmeter.newsroom import auth
from truthmeter.store import open_store
from truthmeter.web.app import SERVED_CONFIG, served
from truthmeter.web.config import WebConfig

from .conftest import RUMOUR, TEXT, SyncClient


def _recorded(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[Any, dict[str, Any], str]:
    """What `truthmeter serve ARGS` hands uvicorn.run, and what it printed."""
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    monkeypatch.setenv(SERVED_CONFIG, "")  # so that monkeypatch removes what serve sets, after the test
    monkeypatch.delenv(SERVED_CONFIG)
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 0, result.output
    ((app, kwargs),) = calls
    return app, kwargs, result.stderr


def test_workers_run_the_served_factory_with_the_commands_settings(db_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    target, kwargs, said = _recorded(monkeypatch, "--workers", "3", "--db", str(db_path), "--port", "8124",
                                     "--rate-limit", "7", "--site-url", "https://news.example/")
    assert (target, kwargs) == ("truthmeter.web.app:served",
                                {"factory": True, "workers": 3, "host": "127.0.0.1", "port": 8124,
                                 "log_level": "warning", "access_log": False, "proxy_headers": False})
    assert "3 worker processes" in said
    # What each worker builds: the settings the command assembled, options and environment together.
    expected = WebConfig(db=str(db_path), rate_limit=7.0, site_url="https://news.example")
    assert WebConfig.from_json(os.environ[SERVED_CONFIG]) == expected
    worker_app = served()
    try:
        assert isinstance(worker_app, FastAPI) and worker_app.state.config == expected
    finally:
        worker_app.state.store.close()


def test_workers_default_to_the_cores(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    target, kwargs, _ = _recorded(monkeypatch, "--db", str(db_path))
    assert (target, kwargs["workers"]) == ("truthmeter.web.app:served", 3)


def test_one_worker_serves_the_app_in_process(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, kwargs, said = _recorded(monkeypatch, "--workers", "1", "--db", str(db_path))
    try:
        assert isinstance(app, FastAPI) and "workers" not in kwargs and "1 worker process;" in said
        assert SERVED_CONFIG not in os.environ
    finally:
        app.state.store.close()


def test_workers_must_be_positive(db_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--workers", "0", "--db", str(db_path)])
    assert result.exit_code == 2 and "--workers" in result.stderr


def test_the_config_survives_json(web_config: WebConfig) -> None:
    assert WebConfig.from_json(web_config.to_json()) == web_config


# --- the real thing ----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    try:
        kids = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


def _workers(pid: int) -> list[int]:
    return [p for p in _children(pid) if b"multiprocessing.spawn" in Path(f"/proc/{p}/cmdline").read_bytes()]


@pytest.fixture()
def served_twice(db_path: Path, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """`truthmeter serve --workers 2` on a free loopback port: (base URL, server pid)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUTHMETER_")}
    log = (tmp_path / "serve.log").open("w+b")
    proc = subprocess.Popen([sys.executable, "-m", "truthmeter.cli", "serve", "--workers", "2", "--port", str(port),
                             "--db", str(db_path)], env=env, stdout=subprocess.DEVNULL, stderr=log,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while len(_workers(proc.pid)) < 2 or not _answers(base):
            assert proc.poll() is None and time.monotonic() < deadline, (log.seek(0), log.read().decode())
            time.sleep(0.1)
        yield base, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
        log.close()


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/outlets", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_two_worker_processes_rate_and_store_over_http(served_twice: tuple[str, int], db_path: Path,
                                                       app: FastAPI) -> None:
    base, pid = served_twice
    assert len(_workers(pid)) == 2
    with open_store(str(db_path)) as store:
        store.desk.add_user("wire", auth.hash_password("a long enough password"))
        headers = {"Authorization": f"Bearer {auth.create_token(store.desk, 'wire', 'tests')}"}
        before = store.count()
    # The same answer, byte for byte, as the app in this process gives.
    over_http = httpx.post(f"{base}/api/rate", json={"text": TEXT, "title": "Vance back on stage"}, timeout=30)
    in_process = SyncClient(app)
    try:
        here = in_process.post("/api/rate", json={"text": TEXT, "title": "Vance back on stage"})
    finally:
        in_process.close()
    assert over_http.status_code == 200 and over_http.content == here.content
    # Writes on separate connections (so on either worker) all land in the one SQLite database.
    texts = [f"{RUMOUR} Item {i} of the wire." for i in range(8)]

    def ingest(text: str) -> int:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            return c.post("/api/articles", json=[{"text": text}]).status_code

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(ingest, texts)) == [201] * 8
    with open_store(str(db_path)) as store:
        assert store.count() == before + 8
    listed = httpx.get(f"{base}/api/articles", params={"limit": 200}, timeout=30).json()
    assert json.dumps(listed).count("Item ") >= 8
