"""Shared helpers: a small synthetic labelled corpus about invented people, tiny trained models,
and how to call the installed command line."""

from __future__ import annotations

import itertools
import json
import os
import random
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import pytest

import pg

# The console script installed next to this interpreter, else the module itself.
_SCRIPT = Path(sys.executable).with_name("truthmeter")
CLI: list[str] = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "truthmeter.cli"]

SEEDS = Path(__file__).parent / "data" / "seeds"

FIRST = ["Marisol", "Teodor", "Linnea", "Dashiell", "Kestra", "Ivo", "Nerys", "Quillon", "Odalys", "Bramwell",
         "Saoirse", "Thaddeus", "Yselle", "Corvin", "Delphine", "Eero"]
LAST = ["Vantreece", "Orlby", "Maskelyne", "Penhallow", "Strubel", "Ackerly", "Quennell", "Dravik",
        "Halloway", "Fenwright", "Ostrander", "Bellweather"]
SHOWS = ["Velvet Harbor", "The Gilded Lane", "Moonwater", "Night Shift Diaries", "Copper Crown",
         "Saltmarsh", "The Last Encore", "Paper Lanterns"]
OUTLETS = ["People", "Variety", "Billboard", "Vanity Fair", "The Hollywood Reporter"]


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def fake_story(rng: random.Random, i: int) -> dict[str, object]:
    """Rumour-mill style: anonymous sources, hedges, exclamations and loud words."""
    a, b, show = person(rng), person(rng), rng.choice(SHOWS)
    title = rng.choice([f"SHOCK! {a} And {b} Secretly Split?!", f"{a} Furious At {b} In Explosive Feud!",
                        f"{a} Desperate To Win Back {b}!", f"Bombshell: {a} Pregnant With Twins?!"])
    body = (f"{a} and {b} are reportedly on the rocks! A source close to the couple claims the {show} star "
            f"is devastated. \"They fight constantly, it is over,\" an insider said. Sources say {a} "
            f"may have been hiding a secret for months, and whispers are growing louder! Insiders claim "
            f"the stunning drama could explode any day. It seems nobody can stop the meltdown! "
            f"Allegedly the pair have not spoken in weeks, a tipster tells us. Story {i}.")
    return {"id": f"fake{i}", "title": title, "content": body, "label": 1}


def real_story(rng: random.Random, i: int) -> dict[str, object]:
    """On-record reporting: named people quoted, representatives, interviews, named outlets."""
    a, b, show, outlet = person(rng), person(rng), rng.choice(SHOWS), rng.choice(OUTLETS)
    title = rng.choice([f"{a} Joins Cast Of {show} For Second Season", f"{a} And {b} Announce Engagement",
                        f"{a} Talks New Album In Interview", f"{a} Confirms Role In {show} Film"])
    body = (f"{a} has joined the cast of {show}, a representative for the actor confirmed on Monday. "
            f"\"I am thrilled to be working with this team again,\" {a} told {outlet} in an interview. "
            f"Director {b} said in a statement that filming begins in the spring. \"We could not have "
            f"asked for a better partner on this project,\" {b} said. {a} took to Instagram to share "
            f"the news with fans, and a spokesperson for the studio confirmed the schedule. Story {i}.")
    return {"id": f"real{i}", "title": title, "content": body, "label": 0}


def labelled_rows(n: int = 60, seed: int = 0) -> list[dict[str, object]]:
    """`n` labelled rows, half fake and half real, interleaved."""
    rng = random.Random(seed)
    return [(fake_story if i % 2 else real_story)(rng, i) for i in range(n)]


def write_jsonl(path: Path, rows: Iterable[dict[str, object]]) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


_VERBS = ["was spotted at", "hosted a dinner at", "left early from", "arrived late to", "performed at",
          "skipped", "gave a speech at", "signed autographs at", "filmed scenes at", "danced at"]
_PLACES = ["a gallery opening", "the harbour festival", "a charity gala", "a rooftop bar", "the film market",
           "a vinyl shop", "the botanical garden", "a late-night show", "a bowling alley", "the opera house"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def bulk_rows(n: int, seed: int = 1) -> list[dict[str, object]]:
    """`n` short, varied, unique synthetic articles (each carries its own number)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        who = person(rng)
        rows.append({"id": f"b{i}", "title": f"{who} {rng.choice(_VERBS)} {rng.choice(_PLACES)} ({i})",
                     "content": f"{who} {rng.choice(_VERBS)} {rng.choice(_PLACES)} on {rng.choice(_DAYS)}, "
                                f"item {i}."})
    return rows


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "shared_data: uses ../shared/data (runs in the normal suite; "
                                       "skips with a message when the data is absent)")
    config.addinivalue_line("markers", "postgres: runs against PostgreSQL (a throwaway server, or "
                                       "$TRUTHMETER_TEST_PG); skips where there is none, fails under CI=true")


def cli_env(**extra: str) -> dict[str, str]:
    """The environment minus any TRUTHMETER_* settings of the person running the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUTHMETER_")}
    env["PYTHONWARNINGS"] = "ignore"
    env.update(extra)
    return env


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("TRUTHMETER_")]:
        monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def labelled_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("corpus") / "labelled.jsonl", labelled_rows())


@pytest.fixture(scope="session")
def labelled_articles(labelled_file: Path) -> list:
    import truthmeter

    items = list(truthmeter.read(labelled_file))
    assert all(isinstance(a, truthmeter.Article) for a in items), items
    return items


@pytest.fixture(scope="session")
def tiny_result(labelled_articles: list):
    """The default feature families trained on the 60-article synthetic corpus (a few seconds)."""
    from truthmeter.model import TrainConfig, train

    return train(labelled_articles, config=TrainConfig(folds=3))


@pytest.fixture(scope="session")
def fast_model_dir(tmp_path_factory: pytest.TempPathFactory, labelled_articles: list) -> Path:
    """A cue-only model (no n-grams): rates thousands of articles a second, for bulk store tests."""
    from truthmeter.model import TrainConfig, train

    config = TrainConfig(families=("sourcing.v1", "hedging.v1", "sensational.v1", "denial.v1"), folds=3,
                         name="fast-test-model")
    return train(labelled_articles, config=config).model.save(tmp_path_factory.mktemp("fast") / "model")


# ---- storage backends: every storage test runs on SQLite and on PostgreSQL ----
#
#     def test_something(db_target):          # parametrised: [sqlite], [postgres]
#         with open_store(db_target) as store: ...
#
# PostgreSQL is a throwaway server started once per session (tests/pg.py: initdb + pg_ctl on a free
# loopback port), or the server at $TRUTHMETER_TEST_PG; each test gets a new, empty schema of it.

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass(frozen=True)
class PgServer:
    url: str  # a superuser URL of a database the tests create schemas in
    unaccent: bool  # whether search can ignore accents there


def _no_postgres(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL tests must run in CI: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL: {reason}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _no_postgres("psycopg is not installed (pip install -e '.[postgres]')")
    with ExitStack() as stack:
        url = os.environ.get(pg.ENV_URL)
        if not url:
            if pg.server_binaries() is None:
                _no_postgres(f"server binaries (initdb, pg_ctl) not found; install PostgreSQL or set {pg.ENV_URL}")
            try:
                url = stack.enter_context(pg.throwaway_cluster())
            except pg.PgUnavailable as exc:
                _no_postgres(str(exc))
        yield PgServer(url, pg.prepare_server(url))


@pytest.fixture()
def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """fresh_db("sqlite" | "postgres") -> the target of a new, empty database (a file path, or the URL
    of a new schema, dropped after the test)."""
    made: list[tuple[str, str]] = []
    numbers = itertools.count()

    def make(backend: str) -> str:
        if backend == "sqlite":
            return str(tmp_path / f"db{next(numbers)}.db")
        server: PgServer = request.getfixturevalue("pg_server")
        url = pg.fresh_schema_url(server.url)
        made.append((url, server.url))
        return url

    yield make
    for url, root in made:
        pg.drop_schema(url, root)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def db_target(backend: str, fresh_db: Callable[[str], str]) -> str:
    """A new, empty database of each backend."""
    return fresh_db(backend)


def run_threads(work: Callable[[int], None], n: int, timeout: float = 120) -> list[BaseException]:
    """Run work(0) .. work(n - 1) on n threads at once; what they raised (empty when all went
    well). Fails the test if a thread is still running after `timeout` seconds."""
    errors: list[BaseException] = []

    def guarded(i: int) -> None:
        try:
            work(i)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test, which asserts on it
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"
    return errors


@contextmanager
def raw_db(target: str) -> Iterator[Any]:
    """A connection of its own to the database at `target`, autocommit, `?` placeholders on both backends."""
    if target.startswith(("postgresql://", "postgres://")):
        from truthmeter.store.postgres import connect

        conn = connect(target)
    else:
        conn = sqlite3.connect(target, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()
