"""The newsroom commands through click's runner on real SQLite files: `user`, `token`,
`export --claimreview` and `serve` (uvicorn itself replaced by a recorder), with exact error lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import truthmeter
from truthmeter.cli import main
from truthmeter.newsroom.auth import token_editor, verify_password
from truthmeter.store import open_store

pytestmark = pytest.mark.usefixtures("clean_env")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TOKEN = re.compile(r"tm_[A-Za-z0-9_-]{43}")


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "news.db")


def add_alice(db: str) -> None:
    result = invoke("user", "add", "alice", "--password-stdin", "--db", db, input="s3cret-pass\n")
    assert result.exit_code == 0, result.output
    assert (result.stdout, result.stderr) == ("", "added user alice\n")


def test_user_add_and_list(db: str) -> None:
    add_alice(db)
    prompted = invoke("user", "add", "bob", "--db", db, input="another-pass\nanother-pass\n")
    assert prompted.exit_code == 0 and "another-pass" not in prompted.stdout  # hidden input
    listed = invoke("user", "list", "--db", db)
    assert listed.exit_code == 0
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["alice", "bob"]
    with open_store(db) as store:
        assert verify_password(store.desk.password_hash("alice") or "", "s3cret-pass")  # no newline in it
        assert verify_password(store.desk.password_hash("bob") or "", "another-pass")


def test_user_add_errors(db: str) -> None:
    add_alice(db)
    for name in ("alice", "Alice"):
        dup = invoke("user", "add", name, "--password-stdin", "--db", db, input="whatever-pass\n")
        assert (dup.exit_code, dup.stdout, dup.stderr) == (1, "", f"error: user {name} already exists\n")
    short = invoke("user", "add", "carol", "--password-stdin", "--db", db, input="short\n")
    assert (short.exit_code, short.stderr) == (1, "error: password too short: at least 8 characters\n")
    bad = invoke("user", "add", "car ol", "--password-stdin", "--db", db, input="long-enough\n")
    assert bad.exit_code == 1 and bad.stderr.startswith("error: user name 'car ol' is not 1-64 letters")
    assert "Traceback" not in short.output + bad.output + dup.output
    listed = invoke("user", "list", "--db", db)
    assert listed.stdout.count("\n") == 1


def test_tokens(db: str) -> None:
    add_alice(db)
    unknown = invoke("token", "create", "--user", "bob", "--db", db)
    assert (unknown.exit_code, unknown.stdout, unknown.stderr) == (1, "", "error: no user bob\n")
    created = invoke("token", "create", "--user", "alice", "--name", "ci", "--db", db)
    assert created.exit_code == 0 and TOKEN.fullmatch(created.stdout.strip())  # only the token on stdout
    assert "shown once" in created.stderr
    token = created.stdout.strip()
    with open_store(db) as store:
        assert token_editor(store.desk, token) == "alice"
    listed = invoke("token", "list", "--db", db)
    assert listed.exit_code == 0 and token not in listed.stdout
    fields = listed.stdout.strip().split("\t")
    assert (fields[0], fields[1], fields[2], fields[-1]) == ("1", "ci", "alice", "active")
    revoked = invoke("token", "revoke", "1", "--db", db)
    assert (revoked.exit_code, revoked.stderr) == (0, "revoked token 1\n")
    again = invoke("token", "revoke", "1", "--db", db)
    assert (again.exit_code, again.stderr) == (1, "error: no active token 1\n")
    assert invoke("token", "list", "--db", db).stdout.strip().split("\t")[-1].startswith("revoked ")
    with open_store(db) as store:
        assert token_editor(store.desk, token) is None
        assert [e.action.value for e in reversed(store.desk.audit())] == ["user_added", "token_created",
                                                                           "token_revoked"]


def test_db_from_environment(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUTHMETER_DB", db)
    assert invoke("user", "add", "dana", "--password-stdin", input="long-enough\n").exit_code == 0
    with open_store(db) as store:
        assert [u.name for u in store.desk.users()] == ["dana"]


def test_export_claimreview(db: str, tmp_path: Path) -> None:
    with open_store(db) as store:
        truthmeter.ingest([str(EXAMPLES)], store)
        first, second = store.list_stories(limit=2)
        store.desk.publish(first.id, editor="alice")
        store.desk.set_rating(second.id, 1, "checked", editor="alice")  # reviewed, not published
    out = tmp_path / "claims.json"
    result = invoke("export", "--claimreview", "--out", str(out), "--site-url", "https://news.example/", "--db", db)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "1 ClaimReview records\n")
    (record,) = json.loads(out.read_text(encoding="utf-8"))
    assert record["@type"] == "ClaimReview" and record["url"] == f"https://news.example/stories/{first.id}"
    assert record["reviewRating"]["ratingValue"] == first.story_rating
    to_stdout = invoke("export", "--claimreview", "--db", db)
    assert to_stdout.exit_code == 0 and json.loads(to_stdout.stdout)[0]["url"].startswith("http://127.0.0.1:8000/")
    missing = invoke("export", "--db", db)
    assert missing.exit_code == 2 and "say what to export: --claimreview" in missing.stderr
    unwritable = invoke("export", "--claimreview", "--out", str(tmp_path / "no" / "such.json"), "--db", db)
    assert unwritable.exit_code == 1 and unwritable.stderr.startswith(f"error: {tmp_path / 'no' / 'such.json'}: ")


def test_serve_builds_the_app_and_runs_uvicorn(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[tuple[object, dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    result = invoke("serve", "--workers", "1", "--port", "8123", "--db", db, "--site-url", "https://news.example/",
                    "--rate-limit", "3")
    assert result.exit_code == 0, result.output
    ((app, kwargs),) = calls
    assert kwargs == {"host": "127.0.0.1", "port": 8123, "log_level": "warning", "access_log": False,
                      "proxy_headers": False}
    config = app.state.config  # type: ignore[attr-defined]
    assert (config.db, config.site_url, config.rate_limit, config.model_dir) == (db, "https://news.example", 3.0, None)
    assert "http://127.0.0.1:8123" in result.stderr
    app.state.store.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize(("args", "env", "site"), [
    (["--port", "8765"], None, "http://127.0.0.1:8765"),
    (["--host", "localhost", "--port", "9001"], None, "http://localhost:9001"),
    (["--host", "::1", "--port", "9002"], None, "http://[::1]:9002"),
    (["--host", "0.0.0.0", "--port", "9003"], None, "http://127.0.0.1:9003"),
    (["--port", "8765"], "https://env.example", "https://env.example"),
    (["--port", "8765", "--site-url", "https://given.example"], "https://env.example", "https://given.example"),
])
def test_serve_site_address_follows_host_and_port(db: str, monkeypatch: pytest.MonkeyPatch, args: list[str],
                                                 env: str | None, site: str) -> None:
    """Feed links, JSON-LD and canonical URLs use the site address: by default where the server answers."""
    import uvicorn

    apps: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: apps.append(app))
    if env is None:
        monkeypatch.delenv("TRUTHMETER_SITE_URL", raising=False)
    else:
        monkeypatch.setenv("TRUTHMETER_SITE_URL", env)
    result = invoke("serve", "--workers", "1", *args, "--db", db)
    assert result.exit_code == 0, result.output
    (app,) = apps
    try:
        assert app.state.config.site_url == site  # type: ignore[attr-defined]
        assert f"(site url {site})" in result.stderr
        assert ("pass --site-url" in result.stderr) is ("0.0.0.0" in args)
    finally:
        app.state.store.close()  # type: ignore[attr-defined]


def test_serve_errors_are_one_line(db: str, tmp_path: Path) -> None:
    no_model = invoke("serve", "--db", db, "--model", str(tmp_path / "missing-model"))
    assert no_model.exit_code == 1 and no_model.stderr.startswith("error: ") and no_model.stderr.count("\n") == 1
    bad_url = invoke("serve", "--db", db, "--site-url", "ftp://x")
    assert (bad_url.exit_code, bad_url.stderr) == (1, "error: site url must start with http:// or https://, "
                                                      "got 'ftp://x'\n")
    bad_db = invoke("serve", "--db", str(tmp_path / "no" / "dir" / "x.db"))
    assert bad_db.exit_code == 1 and "does not exist" in bad_db.stderr and "Traceback" not in bad_db.output
