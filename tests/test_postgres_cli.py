"""The command line and the web app on PostgreSQL: the same commands over the same files answer exactly
as they do on SQLite, the newsroom commands work, and the web app serves, rates, overrides and publishes
over a PostgreSQL store. Needs a PostgreSQL server (see conftest.pg_server)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from conftest import CLI, SEEDS, cli_env
from truthmeter.cli import main
from truthmeter.newsroom import auth
from truthmeter.store import open_store
from truthmeter.store.postgres import PostgresStore
from truthmeter.web import WebConfig, create_app

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("clean_env")]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FILES = [*map(str, sorted(SEEDS.glob("*.txt"))), str(EXAMPLES)]
runner = CliRunner()


def run(*args: str, stdin: str | None = None) -> str:
    result = runner.invoke(main, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout


def without(rows: list[dict[str, object]], *keys: str) -> list[dict[str, object]]:
    """The rows minus the fields that record when they were written."""
    return [{k: v for k, v in row.items() if k not in keys} for row in rows]


def answers(db: str) -> dict[str, object]:
    """What the read commands print for the database at `db`."""
    stories = [json.loads(x) for x in run("stories", "--format", "jsonl", "--limit", "100", "--db", db).splitlines()]
    checked = next(s for s in stories if s["fact_check_rating"] == 1)
    return {
        "list": without([json.loads(x) for x in run("list", "--format", "jsonl", "--db", db).splitlines()],
                        "ingested_at"),
        "show": without([json.loads(run("show", "wire-2", "--format", "json", "--db", db))], "ingested_at"),
        "stories": without(stories, "created_at", "updated_at"),
        "person": run("stories", "--person", "Dex Harrow", "--db", db),
        "outlet": run("stories", "--outlet", "Gossip Cop", "--verdict", "True", "--db", db),
        "story": without([json.loads(run("story", checked["id"], "--format", "json", "--db", db))], "created_at",
                         "updated_at", "articles"),
        "story_text": run("story", checked["id"][:10], "--db", db).count("\n"),
        "outlets": run("outlets", "--format", "jsonl", "--db", db),
    }


def test_commands_answer_alike_on_postgres_and_sqlite(fresh_db: Callable[[str], str]) -> None:
    url, path = fresh_db("postgres"), fresh_db("sqlite")
    for db in (url, path):
        result = runner.invoke(main, ["ingest", *FILES, "--db", db])
        assert result.exit_code == 0, result.output
        assert result.stderr.splitlines()[-1] == "read 10 articles, 10 new, 0 errors; 10 stored"
    on_postgres, on_sqlite = answers(url), answers(path)
    assert on_postgres == on_sqlite
    assert len(on_postgres["list"]) == 10 and on_postgres["person"].count("\n") >= 2  # type: ignore[arg-type]
    again = runner.invoke(main, ["ingest", *FILES, "--db", url])
    assert again.exit_code == 0 and again.stderr.splitlines()[-1] == "read 10 articles, 0 new, 0 errors; 10 stored"


def test_the_installed_command_reads_truthmeter_db(fresh_db: Callable[[str], str]) -> None:
    url = fresh_db("postgres")
    env = cli_env(TRUTHMETER_DB=url)
    done = subprocess.run([*CLI, "ingest", str(EXAMPLES)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    listed = subprocess.run([*CLI, "list", "--format", "jsonl"], env=env, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 8
    bad = subprocess.run([*CLI, "list", "--db", url.replace("postgres@", "postgres:pw-123@").split("?")[0] + "x"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and bad.stderr.startswith("error: postgresql://postgres:***@")
    assert "pw-123" not in bad.stderr and len(bad.stderr.splitlines()) == 1


def test_newsroom_commands_on_postgres(fresh_db: Callable[[str], str]) -> None:
    url = fresh_db("postgres")
    run("ingest", str(EXAMPLES), "--db", url)
    run("user", "add", "ines", "--password-stdin", "--db", url, stdin="a long enough password\n")
    assert run("user", "list", "--db", url).split("\t")[0] == "ines"
    token = run("token", "create", "--user", "ines", "--name", "ci", "--db", url).splitlines()[0]
    with open_store(url) as store:
        assert isinstance(store, PostgresStore) and auth.token_editor(store.desk, token) == "ines"
        story_id = store.list_stories(limit=1)[0].id
        store.desk.publish(story_id, editor="ines")
    exported = json.loads(run("export", "--claimreview", "--db", url, "--site-url", "https://news.example"))
    assert len(exported) == 1 and story_id in json.dumps(exported)
    assert run("token", "list", "--db", url).startswith("1\tci\tines\t")
    run("token", "revoke", "1", "--db", url)
    with open_store(url) as store:
        assert auth.token_editor(store.desk, token) is None
        assert [e.action.value for e in reversed(store.desk.audit())] == [
            "user_added", "token_created", "publish", "token_revoked"]


def test_web_app_on_postgres(fresh_db: Callable[[str], str]) -> None:
    url = fresh_db("postgres")
    run("ingest", *FILES, "--db", url)
    app = create_app(WebConfig(db=url))
    try:
        store = app.state.store
        assert isinstance(store, PostgresStore)
        store.desk.add_user("ed", "not-a-real-hash")
        headers = {"Authorization": f"Bearer {auth.create_token(store.desk, 'ed', 'tests')}"}
        client = TestClient(app)
        home = client.get("/")
        assert home.status_code == 200 and home.text.count('class="story-card"') == store.count_stories()
        rated = client.post("/api/rate", json={"title": "Dex Harrow joins cast", "text": "A representative for "
                                               "Dex Harrow confirmed the role on Monday, the studio said."})
        assert rated.status_code == 200 and 0 <= rated.json()["truth_rating"] <= 10
        story_id = client.get("/api/stories", params={"person": "Dex Harrow"}).json()["items"][0]["id"]
        r = client.put(f"/api/stories/{story_id}/rating", json={"rating": 1, "note": "denied on record"},
                       headers=headers)
        assert r.status_code == 200 and r.json()["status"] == "reviewed"
        assert client.post(f"/api/stories/{story_id}/publish", headers=headers).json()["status"] == "published"
        detail = client.get(f"/api/stories/{story_id}").json()
        assert (detail["review"]["final_rating"], detail["review"]["editor"]) == (1, "ed")
        assert story_id in client.get("/feed.atom").text
        found = client.get("/api/stories", params={"q": "harrow"}).json()
        assert story_id in [s["id"] for s in found["items"]] and found["total"] == len(found["items"])
        page = client.get(f"/stories/{story_id}")
        assert page.status_code == 200 and 'data-rating="1"' in page.text
    finally:
        app.state.store.close()
