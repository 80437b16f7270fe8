"""Shared fixtures for the web tests (API, pages, schema): a real SQLite database with the bundled
examples/ ingested, the app over it, an HTTP client, and an editor with a token and a session.

    def test_something(client, store, auth_headers):
        client.get("/api/stories").json()                      # public
        client.post("/api/stories/ID/publish", headers=auth_headers)  # as the editor, by token

Fixtures (function scope: every test gets its own copy of the database):
- `db_path`      a copy of a database with examples/ ingested (built once per session)
- `web_config`   WebConfig(db=db_path); `make_app(**fields)` builds an app with other settings
- `app`          create_app(web_config); `store` is the very store the app uses (app.state.store)
- `client`       a synchronous httpx client over the app (httpx.AsyncClient + ASGITransport, driven
                 through an anyio portal), base URL http://testserver, client IP "testclient"
- `editor`       the name of an editor created through the library (password EDITOR_PASSWORD)
- `token`, `auth_headers`   an API token for `editor`, and {"Authorization": "Bearer <token>"}
- `editor_session`          logs `editor` in through the library and sets the `tm_session`
                            cookie on `client`; returns (session secret, csrf token)
- `story_id`     the id of a stored story (the one with the most articles)
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI

from truthmeter import pipeline
from truthmeter.newsroom import auth
from truthmeter.store import Store, open_store
from truthmeter.web import WebConfig, create_app
from truthmeter.web.deps import SESSION_COOKIE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EDITOR = "editor"
EDITOR_PASSWORD = "correct horse battery staple"
# Submissions about invented people: a sourced report and an anonymous-sources rumour.
TEXT = ("Marisol Vance was spotted at a charity gala on Friday. \"I am thrilled to be back,\" Vance told "
        "reporters, and a representative for the singer confirmed her new tour dates.")
RUMOUR = ("Sources claim Dex Harrow is secretly planning a shock exit! An insider allegedly said the star is "
          "devastated and whispers are growing louder!")
# Cheap argon2 parameters: the hash format (and verification) is the same, tests just run faster.
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class SyncClient:
    """httpx.AsyncClient over the ASGI app, called synchronously: `client.get(...)`,
    `client.request/get/post/put/patch/delete/head/options/send(...)`, `client.cookies`, `client.headers`
    (requests run on an event loop in a helper thread, so a test may already have a loop running).
    Sync endpoints run in the app's thread pool as in production.
    Lifespan events are not sent: the `app` fixture closes the store itself."""

    def __init__(self, app: FastAPI, base_url: str = "http://testserver", client_host: str = "testclient") -> None:
        self._stack = ExitStack()
        self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
        transport = httpx.ASGITransport(app=app, client=(client_host, 50000))
        self._client = httpx.AsyncClient(transport=transport, base_url=base_url)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name in ("request", "get", "post", "put", "patch", "delete", "head", "options", "send"):
            return lambda *args, **kwargs: self._portal.call(partial(attr, *args, **kwargs))
        return attr

    def close(self) -> None:
        self._portal.call(self._client.aclose)
        self._stack.close()


@pytest.fixture(scope="session")
def _examples_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("web") / "examples.db"
    with open_store(str(path)) as store:
        report = pipeline.ingest([str(EXAMPLES)], store, pipeline.load_model())
    assert report.new > 0 and not report.errors, report
    return path


@pytest.fixture()
def db_path(_examples_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "newsroom.db"
    shutil.copyfile(_examples_db, copy)
    return copy


@pytest.fixture()
def web_config(db_path: Path) -> WebConfig:
    return WebConfig(db=str(db_path))


@pytest.fixture()
def make_app(web_config: WebConfig) -> Iterator[Callable[..., FastAPI]]:
    """Build apps over the test database with other settings: make_app(burst=2, rate_limit=0.01)."""
    apps: list[FastAPI] = []

    def build(**fields: Any) -> FastAPI:
        apps.append(create_app(replace(web_config, **fields)))
        return apps[-1]

    yield build
    for built in apps:
        built.state.store.close()


@pytest.fixture()
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


@pytest.fixture()
def store(app: FastAPI) -> Store:
    return app.state.store


@pytest.fixture()
def client(app: FastAPI) -> Iterator[SyncClient]:
    c = SyncClient(app)
    yield c
    c.close()


@pytest.fixture()
def editor(store: Store) -> str:
    store.desk.add_user(EDITOR, auth.hash_password(EDITOR_PASSWORD, hasher=_FAST_HASHER))
    return EDITOR


@pytest.fixture()
def token(store: Store, editor: str) -> str:
    return auth.create_token(store.desk, editor, "tests")


@pytest.fixture()
def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture()
def editor_session(client: SyncClient, store: Store, editor: str) -> tuple[str, str]:
    opened = auth.login(store.desk, editor, EDITOR_PASSWORD, hours=1)
    assert opened is not None
    client.cookies.set(SESSION_COOKIE, opened[0])
    return opened


@pytest.fixture()
def story_id(store: Store) -> str:
    return max(store.list_stories(limit=200), key=lambda s: (len(s.article_ids), s.id)).id
