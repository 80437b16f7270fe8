"""Property-based API test: schemathesis generates requests from the app's own OpenAPI schema, valid and
invalid, for every operation (writes too: it sends an editor's API token) and none may answer 5xx."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

import truthmeter
from truthmeter.web import create_app
from truthmeter.web.config import WebConfig

ROOT = Path(__file__).resolve().parents[2]
_SCRIPT = Path(sys.executable).with_name("truthmeter")
CLI = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "truthmeter.cli"]

# The operations come from the schema of an app on an empty in-memory store (parametrize needs them
# at collection time; schemathesis' lazy `from_fixture` fails on pytest 9); every request goes to
# the `app` fixture below, which has stories, an editor and a token.
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(WebConfig(db=":memory:")))


def _cli(*args: str, stdin: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUTHMETER_")}
    done = subprocess.run([*CLI, *args], input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**env, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, f"truthmeter {' '.join(args)}: {done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class Newsroom:
    app: FastAPI
    token: str
    ids: dict[str, list[str]]  # path parameter -> ids that exist


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory: pytest.TempPathFactory) -> Newsroom:
    """The app on a database with examples/ ingested, and an editor's API token."""
    db = tmp_path_factory.mktemp("schema") / "newsroom.db"
    _cli("ingest", "examples/", "--db", str(db), "--workers", "1")
    _cli("user", "add", "fuzzer", "--password-stdin", "--db", str(db), stdin="fuzzer password 123\n")
    token = max(_cli("token", "create", "--user", "fuzzer", "--db", str(db)).split(), key=len)  # printed alone
    with truthmeter.open_store(str(db)) as store:
        ids = {"story_id": [s.id for s in store.list_stories(100)],
               "article_id": [a.content_hash for a in store.list(100)],
               "key": [o.key for o in store.outlet_counts()]}
    assert all(ids.values()), ids
    # No limiter: schemathesis sends requests as fast as it can, and 429s would hide the handlers
    # behind it (the limiter has its own tests).
    return Newsroom(create_app(WebConfig(db=str(db), rate_limit=0)), token, ids)


def _existing(case: schemathesis.Case, ids: dict[str, list[str]]) -> None:
    """Point about half the cases at stories, articles and outlets that exist, so the handlers behind
    the 404 (set a rating, publish, detail pages) get random bodies and queries too."""
    params = case.path_parameters or {}
    for name, value in params.items():
        pick = zlib.crc32(repr(value).encode())
        if name in ids and pick % 2 == 0:
            params[name] = ids[name][pick // 2 % len(ids[name])]


@schema.parametrize()
@settings(max_examples=30, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_answers_no_server_error(case: schemathesis.Case, newsroom: Newsroom) -> None:
    _existing(case, newsroom.ids)
    case.call_and_validate(app=newsroom.app, headers={"Authorization": f"Bearer {newsroom.token}"},
                           checks=[not_a_server_error])
