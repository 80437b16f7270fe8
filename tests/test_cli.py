"""The command line, mostly through the real installed `truthmeter` in a subprocess: bad input (one
`error:` line each, exit 1, never a traceback, the good items still rated and stored), output
formats, show/list/eval/train, stdin, --help, and a SIGKILL in the middle of an ingest."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import truthmeter
from conftest import CLI, bulk_rows, cli_env, labelled_rows, write_jsonl
from truthmeter.cli import main
from truthmeter.publish.formats import CSV_FIELDS

pytestmark = pytest.mark.usefixtures("clean_env")

GOOD_TEXT = """Ivo Orlby Joins The Cast Of Moonwater

By Nerys Dravik |

Ivo Orlby has joined the cast of Moonwater, a representative for the actor confirmed on Monday. \
"I am thrilled to be working with this team again," Orlby told Variety in an interview.

Filming begins in the spring, the studio said in a statement.
"""
LATIN1_TITLE = "Café owner Zoë Brontë opens bistro"
LATIN1_TEXT = (f"{LATIN1_TITLE}\n\nThe chef Zoë Brontë told Variety that her café opens in June. "
               "\"It is a dream come true,\" she said. Prices start at 12 £.\n")
BROKEN_HTML = "<html><body><p>Unclosed <b>text about an invented actor who told reporters she is fine"
JSONL_GOOD = [{"id": "g1", "content": "Ivo Orlby joins the cast of Moonwater, his representative confirmed."},
              {"id": "g2", "content": "Nerys Dravik announced a world tour on Instagram on Friday."}]


def run_cli(*args: str, input: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], input=input, capture_output=True, text=True, encoding="utf-8",
                          env=cli_env(PYTHONIOENCODING="utf-8", **env), timeout=300)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr


class Inputs:
    """One good plain-text article and every kind of bad input, with the error line each must give."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.good = root / "good.txt"
        self.good.write_text(GOOD_TEXT, encoding="utf-8")
        self.empty = root / "empty.txt"
        self.empty.write_bytes(b"")
        self.binary = root / "blob.bin"
        self.binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 64)
        self.huge = root / "huge.txt"
        with open(self.huge, "wb") as f:
            f.truncate(50_000_000)  # sparse: no disk used
        self.latin1 = root / "latin1.txt"
        self.latin1.write_bytes(LATIN1_TEXT.encode("latin-1"))
        self.html = root / "broken.html"
        self.html.write_text(BROKEN_HTML, encoding="utf-8")
        self.jsonl = root / "mixed.jsonl"
        self.jsonl.write_text(json.dumps(JSONL_GOOD[0]) + "\n{not json\n" + json.dumps(JSONL_GOOD[1]) + "\n")
        self.csv = root / "notext.csv"
        self.csv.write_text("id,name,score\n1,Ivo,3\n2,Nerys,4\n")
        self.errors = {
            self.empty: f"error: {self.empty}: empty file",
            self.binary: f"error: {self.binary}: binary file, not text",
            self.huge: f"error: {self.huge}: file is 50.0 MB, over the 20 MB limit (set TRUTHMETER_MAX_FILE_BYTES)",
            self.jsonl: f"error: {self.jsonl}:2: not valid JSON: Expecting property name enclosed in double "
                        "quotes (column 2)",
            self.csv: f"error: {self.csv}:1: no text column: expected one of text, content, news_text, body, "
                      "title (found: id, name, score)",
        }

    def all(self) -> list[Path]:
        return [self.good, self.empty, self.binary, self.huge, self.latin1, self.html, self.jsonl, self.csv]

    def check(self, stderr: str, rated_sources: list[str]) -> None:
        """One error line per bad file, and every good item rated, in input order."""
        no_traceback(stderr)
        errors = error_lines(stderr)
        html_errors = [e for e in errors if e.startswith(f"error: {self.html}")]
        assert len(html_errors) <= 1, errors  # broken HTML: rated, or one clear error
        assert [e for e in errors if e not in html_errors] == list(self.errors.values())
        expected = [str(self.good), str(self.latin1), *([] if html_errors else [str(self.html)]),
                    f"{self.jsonl}:1", f"{self.jsonl}:3"]
        assert rated_sources == expected


@pytest.fixture()
def inputs(tmp_path: Path) -> Inputs:
    return Inputs(tmp_path / "in")


def jsonl(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


# ---- bad input, through the installed command ----

def test_rate_bad_inputs(inputs: Inputs) -> None:
    result = run_cli("rate", "--format", "jsonl", *map(str, inputs.all()))
    assert result.returncode == 1, result.stderr
    rated = jsonl(result.stdout)
    inputs.check(result.stderr, [r["source"] for r in rated])
    latin = next(r for r in rated if r["source"] == str(inputs.latin1))
    assert latin["title"] == LATIN1_TITLE
    assert [r["id"] for r in rated if str(r["source"]).startswith(str(inputs.jsonl))] == ["g1", "g2"]
    for r in rated:
        assert 0 <= r["p_true"] <= 1 and r["signals"]
        assert r["truth_rating"] in range(11) or (r["truth_rating"], r["verdict"]) == (None, "Unrated")


def test_ingest_bad_inputs_stores_the_good(inputs: Inputs, tmp_path: Path) -> None:
    db = tmp_path / "tmp.db"
    result = run_cli("ingest", *map(str, inputs.all()), "--db", str(db))
    assert result.returncode == 1, result.stderr
    with truthmeter.open_store(db) as store:
        stored = store.list(limit=100)
        n = store.count()
    sources = [str(s.article.origin) for s in reversed(stored)]  # list() is newest first
    inputs.check(result.stderr, sources)
    n_errors = len(error_lines(result.stderr))
    assert result.stderr.splitlines()[-1] == f"read {n} articles, {n} new, {n_errors} errors; {n} stored"
    # and `list` shows the same articles
    listed = run_cli("list", "--format", "jsonl", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    assert [r["source"] for r in jsonl(listed.stdout)] == [str(s.article.origin) for s in stored]


def test_all_good_exits_0_with_a_json_array(inputs: Inputs) -> None:
    result = run_cli("rate", "--format", "json", str(inputs.good), str(inputs.latin1))
    assert result.returncode == 0, result.stderr
    assert error_lines(result.stderr) == [] and "Traceback" not in result.stderr
    items = json.loads(result.stdout)
    assert isinstance(items, list) and [i["title"] for i in items] == [
        "Ivo Orlby Joins The Cast Of Moonwater", LATIN1_TITLE]
    assert items[0]["author"] == "Nerys Dravik"


def test_stdin_plain_text() -> None:
    result = run_cli("rate", "--format", "jsonl", "-", input=GOOD_TEXT)
    assert result.returncode == 0, result.stderr
    (item,) = jsonl(result.stdout)
    assert (item["source"], item["title"], item["author"]) == (
        "<stdin>", "Ivo Orlby Joins The Cast Of Moonwater", "Nerys Dravik")


# ---- bad input, one file at a time (in-process, same commands) ----

runner = CliRunner()


def invoke(*args: str, input: str | None = None) -> Result:
    result = runner.invoke(main, list(args), input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    no_traceback(result.stderr)
    return result


@pytest.mark.parametrize("name", ["empty", "binary", "huge", "jsonl", "csv"])
@pytest.mark.parametrize("command", ["rate", "ingest"])
def test_each_bad_file_alone(inputs: Inputs, tmp_path: Path, name: str, command: str) -> None:
    path = getattr(inputs, name)
    args = ["rate", "--format", "jsonl", str(path)] if command == "rate" else [
        "ingest", str(path), "--db", str(tmp_path / "one.db")]
    result = invoke(*args)
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [inputs.errors[path]]
    good = 2 if name == "jsonl" else 0  # the JSONL's good lines are still rated and stored
    if command == "rate":
        assert len(jsonl(result.stdout)) == good
    else:
        with truthmeter.open_store(tmp_path / "one.db") as store:
            assert store.count() == good


@pytest.mark.parametrize("name", ["good", "latin1", "html"])
def test_each_readable_file_alone(inputs: Inputs, name: str) -> None:
    result = invoke("rate", "--format", "jsonl", str(getattr(inputs, name)))
    if name == "html" and result.exit_code == 1:  # allowed: one clear error naming the file
        assert error_lines(result.stderr) == [error_lines(result.stderr)[0]]
        assert error_lines(result.stderr)[0].startswith(f"error: {inputs.html}: ")
        return
    assert result.exit_code == 0 and error_lines(result.stderr) == []
    (item,) = jsonl(result.stdout)
    if name == "html":
        assert "invented actor" in str(item["title"])


def test_missing_model_is_one_error(inputs: Inputs, tmp_path: Path) -> None:
    result = invoke("rate", "--model", str(tmp_path / "nope"), str(inputs.good))
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        f"error: {tmp_path / 'nope'}: not a truthmeter model ([Errno 2] No such file or directory: "
        f"'{tmp_path / 'nope' / 'model.json'}')"]


# ---- output formats ----

def test_output_formats(inputs: Inputs) -> None:
    paths = [str(inputs.good), str(inputs.latin1), str(inputs.jsonl)]
    as_json = json.loads(invoke("rate", "--format", "json", *paths).stdout)
    assert len(as_json) == 4
    rows = list(csv.reader(io.StringIO(invoke("rate", "--format", "csv", *paths).stdout)))
    assert rows[0] == CSV_FIELDS and len(rows) == 5
    assert [r[0] for r in rows[1:]] == [i["id"] for i in as_json]
    assert all(len(r) == len(CSV_FIELDS) for r in rows)
    table = invoke("rate", "--format", "table", *paths).stdout.splitlines()
    assert table[0].split() == ["TITLE", "OUTLET", "RATING", "VERDICT", "STORY"] and len(table) == 5
    assert "Ivo Orlby Joins The Cast Of Moonwater" in table[1] and "/10" in table[1]
    lines = jsonl(invoke("rate", "--format", "jsonl", *paths).stdout)
    assert lines == as_json
    # only failures: still a valid (empty) JSON array, and a table with its header
    empty = invoke("rate", "--format", "json", str(inputs.empty))
    assert empty.exit_code == 1 and json.loads(empty.stdout) == []
    assert invoke("rate", str(inputs.empty)).stdout.split() == ["TITLE", "OUTLET", "RATING", "VERDICT", "STORY"]


# ---- store commands ----

def test_show_and_list_after_ingest(inputs: Inputs, tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    assert invoke("ingest", str(inputs.good), str(inputs.jsonl), "--db", db).exit_code == 1  # line 2 is bad
    listed = jsonl(invoke("list", "--format", "jsonl", "--db", db).stdout)
    assert [i["id"] for i in listed] == ["g2", "g1", listed[2]["id"]]  # newest first
    good_id = listed[2]["id"]
    shown = invoke("show", good_id, "--db", db)
    assert shown.exit_code == 0
    out = shown.stdout
    assert out.startswith("Ivo Orlby Joins The Cast Of Moonwater\n")
    assert "author: Nerys Dravik" in out and f"truth rating: {listed[2]['truth_rating']}/10" in out
    assert "signals (log-odds towards true):" in out and "Ivo Orlby has joined the cast" in out
    as_json = json.loads(invoke("show", "g1", "--db", db, "--format", "json").stdout)
    assert as_json["id"] == "g1" and as_json["content_hash"]
    by_hash = invoke("show", as_json["content_hash"][:10], "--db", db, "--format", "json")
    assert json.loads(by_hash.stdout)["id"] == "g1"
    missing = invoke("show", "nope", "--db", db)
    assert missing.exit_code != 0
    assert missing.stderr.strip() == "Error: no stored article 'nope'"
    assert len(jsonl(invoke("list", "--format", "jsonl", "--db", db, "--limit", "1").stdout)) == 1


@pytest.mark.parametrize("option", [["--verdict", "bogus"], ["--limit", "-1"]])
def test_list_with_a_bad_option_is_a_clear_error(tmp_path: Path, option: list[str]) -> None:
    result = runner.invoke(main, ["list", *option, "--db", str(tmp_path / "v.db")])
    assert result.exit_code == 2 and not isinstance(result.exception, ValueError)
    assert "Invalid value for '--" in result.output


def test_list_filters(inputs: Inputs, tmp_path: Path) -> None:
    db = str(tmp_path / "f.db")
    invoke("ingest", str(inputs.good), str(inputs.latin1), "--db", db)
    everything = jsonl(invoke("list", "--format", "jsonl", "--db", db).stdout)
    verdict = str(everything[0]["verdict"])
    same = jsonl(invoke("list", "--format", "jsonl", "--db", db, "--verdict", verdict).stdout)
    assert same and all(i["verdict"] == verdict for i in same)
    assert jsonl(invoke("list", "--format", "jsonl", "--db", db, "--outlet", "Nowhere Weekly").stdout) == []


# ---- eval and train ----

def test_eval_prints_metrics(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "val.jsonl", labelled_rows(20, seed=5))
    text = invoke("eval", str(path))
    assert text.exit_code == 0
    keys = [line.split()[0] for line in text.stdout.splitlines()]
    assert keys == ["n", "macro_f1", "accuracy", "auc", "ece", "f1_real", "f1_fake", "threshold"]
    assert "n  20" in text.stdout
    m = json.loads(invoke("eval", str(path), "--format", "json").stdout)
    assert m["n"] == 20 and 0 <= m["macro_f1"] <= 1
    unlabelled = invoke("eval", str(write_jsonl(tmp_path / "u.jsonl", bulk_rows(3))))
    assert unlabelled.exit_code == 1
    assert error_lines(unlabelled.stderr) == [
        "error: no labelled articles to evaluate (need a label field: 1 = fake, 0 = real)"]


def test_train_then_rate_with_the_model(tmp_path: Path, labelled_file: Path, inputs: Inputs) -> None:
    val = write_jsonl(tmp_path / "val.jsonl", labelled_rows(20, seed=9))
    out = tmp_path / "model"
    result = run_cli("train", "--data", str(labelled_file), "--val", str(val), "--out", str(out),
                     "--family", "lexical.v1", "--family", "sourcing.v1", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"trained on 60 articles (0 fact-check pages left out) -> {out}"
    assert result.stdout.splitlines()[2].startswith("val: n 20  macro_f1 ")
    assert {"MODEL_CARD.md", "model.json", "weights.npz"} <= {p.name for p in out.iterdir()}  # + plots: test_card
    card = (out / "MODEL_CARD.md").read_text()
    assert f"truthmeter train --data {labelled_file} --val {val} --out {out}" in card
    model = truthmeter.load_model(out)
    assert [f.name for f in model.families] == ["lexical.v1", "sourcing.v1"] and model.meta["seed"] == 3
    # rate --model uses it: the CLI's numbers are this model's, not the default's
    rated = run_cli("rate", "--format", "jsonl", "--model", str(out), str(inputs.good))
    assert rated.returncode == 0, rated.stderr
    (item,) = jsonl(rated.stdout)
    (article,) = list(truthmeter.read(inputs.good))
    (mine,) = truthmeter.rate(article, model)
    (default,) = truthmeter.rate(article)
    assert item["p_true"] == round(mine.rating.p_true, 4) != round(default.rating.p_true, 4)
    assert [s["name"] for s in item["signals"]] == [s.name for s in mine.rating.signals]


def test_train_without_both_classes_is_one_error(tmp_path: Path) -> None:
    fakes = write_jsonl(tmp_path / "fakes.jsonl", [r for r in labelled_rows(10) if r["label"] == 1])
    result = invoke("train", "--data", str(fakes), "--out", str(tmp_path / "m"))
    assert result.exit_code == 1
    assert error_lines(result.stderr) == [
        "error: training needs labelled articles of both classes (label 1 = fake, 0 = real)"]
    assert not (tmp_path / "m").exists()


# ---- help ----

@pytest.mark.parametrize("command", sorted(main.commands))
def test_help_for_every_command(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: main {command} ")
    assert main.commands[command].help.splitlines()[0] in " ".join(result.stdout.split())


def test_top_level_help_and_version() -> None:
    result = run_cli("--help")
    assert result.returncode == 0 and result.stdout.startswith("Usage: truthmeter ")
    assert set(main.commands) == {"rate", "ingest", "list", "show", "train", "eval", "stories", "story", "outlets",
                                  "user", "token", "export", "serve"}
    for command in main.commands:
        assert f"  {command} " in result.stdout
    version = invoke("--version")
    assert version.exit_code == 0 and "version" in version.stdout


# ---- SIGKILL mid-ingest ----

def _stored(db: Path) -> int:
    """Articles committed so far, read through a read-only connection (0 until the schema exists)."""
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(db.as_uri() + "?mode=ro", uri=True, timeout=1)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def test_sigkill_mid_ingest_then_resume(tmp_path: Path, fast_model_dir: Path) -> None:
    total, batch = 20_000, 200
    source = write_jsonl(tmp_path / "big.jsonl", bulk_rows(total, seed=5))
    db = tmp_path / "x.db"
    args = [*CLI, "ingest", str(source), "--db", str(db), "--model", str(fast_model_dir)]
    env = cli_env(TRUTHMETER_BATCH_SIZE=str(batch))
    log = tmp_path / "stderr.txt"
    with open(log, "w") as err:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + 120
            while _stored(db) == 0:
                assert proc.poll() is None, f"ingest ended before it was killed: {log.read_text()}"
                assert time.monotonic() < deadline, "ingest stored nothing in 120 s"
                time.sleep(0.005)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        assert 0 < n < total and n % batch == 0, n
        assert conn.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == n
        assert conn.execute("SELECT COUNT(*) FROM articles a JOIN ratings r "
                            "ON r.content_hash = a.content_hash").fetchone()[0] == n
    finally:
        conn.close()
    # running the same ingest again completes the job
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert again.stderr.splitlines()[-1] == f"read {total} articles, {total - n} new, 0 errors; {total} stored"
    with truthmeter.open_store(db) as store:
        assert store.count() == total
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT COUNT(*) FROM articles a JOIN ratings r "
                            "ON r.content_hash = a.content_hash").fetchone()[0] == total
    finally:
        conn.close()
