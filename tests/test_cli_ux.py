"""The command line as a person meets it (issue 14): a progress line on a terminal for `rate` and
`ingest`, listings that say when more rows exist, `show` cutting text at a word, the desk's published
rating in `story` and `stories`, and help texts that show every default."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import subprocess
import sys
import warnings
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

import truthmeter
from conftest import CLI, bulk_rows, cli_env, write_jsonl
from truthmeter import cli, settings
from truthmeter.cli import main
from truthmeter import cli_progress
from truthmeter.cli_progress import Progress
from truthmeter.ingest.count import count_items
from truthmeter.features import registry
from truthmeter.model.train import DEFAULT_FAMILIES
from truthmeter.publish.formats import ID_CHARS, shorten
from truthmeter.publish.stories import STORY_CSV_FIELDS, claim_text

pytestmark = pytest.mark.usefixtures("clean_env")

runner = CliRunner()
BAD_LINE = "{not json"


def invoke(*args: str) -> Result:
    result = runner.invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result


# ---- the progress line ----

class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_progress_line_done_total_speed_eta_and_clear() -> None:
    term, clock = FakeTerminal(), Clock()
    progress = Progress("rating", 1000, stream=term, clock=clock)
    assert term.getvalue() == "\rrating 0/1,000 articles  0%"
    clock.now += 0.1
    progress.step(5)  # too soon to redraw
    assert term.getvalue() == "\rrating 0/1,000 articles  0%"
    clock.now += 1.9
    progress.step(495)
    assert term.getvalue().split("\r")[-1] == "rating 500/1,000 articles  50%  250 articles/s  ETA 0:02"
    progress.echo("error: f.jsonl:2: not valid JSON")  # the line is cleared, the error whole, then redrawn
    assert term.getvalue().split("\r")[-3:] == [" " * 56, "error: f.jsonl:2: not valid JSON\n",
                                                 "rating 500/1,000 articles  50%  250 articles/s  ETA 0:02"]
    progress.close()
    assert term.getvalue().endswith("\r" + " " * 56 + "\r")
    progress.step()
    progress.echo("error: after the end")
    assert term.getvalue().endswith("\r" + " " * 56 + "\rerror: after the end\n")


def test_progress_without_a_total_and_past_it() -> None:
    term, clock = FakeTerminal(), Clock()
    progress = Progress("ingesting", None, stream=term, clock=clock, every=0)
    clock.now += 4
    progress.step(2000)
    assert term.getvalue().split("\r")[-1] == "ingesting 2,000 articles  500 articles/s"
    progress.phase("grouping into stories", 10)
    clock.now += 3600
    progress.step(11)  # more than the estimate: the count alone, no made-up percent
    assert term.getvalue().split("\r")[-1].rstrip() == "grouping into stories 11 articles  0 articles/s"
    progress.phase("grouping into stories", 7200)
    clock.now += 10
    progress.step(10)
    assert term.getvalue().split("\r")[-1] == "grouping into stories 10/7,200 articles  0%  1 articles/s  ETA 1:59:50"


def test_no_progress_when_not_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress("rating", 10, stream=out, every=0)
    progress.step(5)
    progress.echo("error: x: empty file")
    progress.close()
    assert out.getvalue() == "error: x: empty file\n"


def testcount_items(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.jsonl").write_text('{"text": "one"}\n\n{"text": "two"}\n{bad\n')
    (tmp_path / "b.csv").write_text('id,text\n1,"two\nlines"\n2,plain\n\n')
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "x.txt").write_text("An article")
    (folder / "sub" / "y.html").write_text("<p>Another</p>")
    (folder / ".hidden.txt").write_text("not read")
    (folder / "blob").write_bytes(b"\x00\x01" * 100)  # a stray binary in a folder: skipped
    (tmp_path / "list.json").write_text('[{"text": "a"}]')
    assert count_items([str(tmp_path / "a.jsonl")]) == 3
    assert count_items([str(tmp_path / "b.csv")]) == 2
    assert count_items([str(folder)]) == 2
    assert count_items([str(tmp_path / "a.jsonl"), str(folder), str(tmp_path / "missing.txt")]) == 6
    assert count_items([str(tmp_path / "list.json")]) is None
    assert count_items(["-"]) is None and count_items(["https://example.com/feed"]) is None
    for path in ("a.jsonl", "b.csv", str(folder)):  # and each is what reading gives
        items = list(truthmeter.read(tmp_path / path))
        assert count_items([str(tmp_path / path)]) == len(items)


@pytest.fixture()
def terminal_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """stderr is a terminal (stdout is not), and the line is redrawn at every step."""
    for module in (cli, cli_progress):
        monkeypatch.setattr(module, "is_terminal", lambda stream: stream is sys.stderr)
    original = Progress.__init__

    def every_step(self: Progress, label: str, total: int | None = None, **kw: object) -> None:
        original(self, label, total, **{**kw, "every": 0})

    monkeypatch.setattr(Progress, "__init__", every_step)


FRAME = re.compile(r"^(rating|ingesting|grouping into stories) ([\d,]+)(?:/([\d,]+))? articles(?:  \d+%)?"
                   r"(?:  [\d,]+ articles/s(?:  ETA \d+:\d\d)?)?$")


def frames(stderr: str) -> list[tuple[str, int, int | None]]:
    """The progress lines drawn, as (label, done, total), a line drawn again after an error counted once;
    every other piece must be a clear or a whole line."""
    out: list[tuple[str, int, int | None]] = []
    for piece in stderr.split("\r"):
        match = FRAME.match(piece.rstrip(" "))
        if match:
            total = None if match[3] is None else int(match[3].replace(",", ""))
            frame = (match[1], int(match[2].replace(",", "")), total)
            if not out or out[-1] != frame:
                out.append(frame)
        else:
            assert piece.strip(" ") == "" or piece.endswith("\n"), repr(piece)
    return out


@pytest.fixture()
def dataset(tmp_path: Path) -> Path:
    path = write_jsonl(tmp_path / "news.jsonl", bulk_rows(40, seed=3))
    with open(path, "a") as f:
        f.write(BAD_LINE + "\n")
    return path


@pytest.mark.usefixtures("terminal_stderr")
@pytest.mark.parametrize("grouped", [True, False])
def test_rate_shows_progress_on_a_terminal(dataset: Path, fast_model_dir: Path, grouped: bool,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUTHMETER_BATCH_SIZE", "8")
    result = invoke("rate", "--format", "jsonl", "--model", str(fast_model_dir), str(dataset),
                    *([] if grouped else ["--no-stories"]))
    assert result.exit_code == 1 and len(result.stdout.splitlines()) == 40
    error = f"error: {dataset}:41: not valid JSON: Expecting property name enclosed in double quotes (column 2)"
    assert [line for line in result.stderr.split("\r") if line.startswith("error:")] == [error + "\n"]
    drawn = frames(result.stderr)
    reading = [(done, total) for label, done, total in drawn if label == "rating"]
    assert reading == [(n, 41) for n in range(42)]  # 0/41 ... 41/41, each item once, the error included
    later = [(done, total) for label, done, total in drawn if label == "grouping into stories"]
    # grouping: errors pass through first, the 40 rated articles come once all input is read
    assert later == ([(n, 40) for n in range(41)] if grouped else [])
    assert re.search(r"\r {10,}\r$", result.stderr)  # cleared at the end


@pytest.mark.usefixtures("terminal_stderr")
def test_ingest_shows_progress_then_the_summary(dataset: Path, fast_model_dir: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUTHMETER_BATCH_SIZE", "8")
    result = invoke("ingest", "--db", str(tmp_path / "p.db"), "--model", str(fast_model_dir), str(dataset))
    assert result.exit_code == 1
    assert [(label, done, total) for label, done, total in frames(result.stderr)] == [
        ("ingesting", n, 41) for n in range(42)]
    # the summary comes after the line is cleared, each line whole
    head, summary = re.split(r"\r {10,}\r(?=\d+ new stories)", result.stderr)
    assert summary.splitlines()[-1] == "read 40 articles, 40 new, 1 errors; 40 stored"
    assert f"\rerror: {dataset}:41: not valid JSON" in head


def test_nothing_but_lines_when_stderr_is_not_a_terminal(dataset: Path, fast_model_dir: Path, tmp_path: Path) -> None:
    rated = invoke("rate", "--format", "jsonl", "--model", str(fast_model_dir), str(dataset))
    assert rated.stderr == (f"error: {dataset}:41: not valid JSON: Expecting property name enclosed in double "
                            "quotes (column 2)\n")
    stored = invoke("ingest", "--db", str(tmp_path / "q.db"), "--model", str(fast_model_dir), str(dataset))
    assert "\r" not in stored.stderr and stored.stderr.splitlines()[-1] == (
        "read 40 articles, 40 new, 1 errors; 40 stored")


def test_progress_in_a_real_terminal(dataset: Path, fast_model_dir: Path, tmp_path: Path) -> None:
    """The installed command with its stderr on a pseudo-terminal, stdout on a pipe."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*CLI, "ingest", "--db", str(tmp_path / "t.db"), "--model", str(fast_model_dir),
                             str(dataset)], stdout=subprocess.PIPE, stderr=follower,
                            env=cli_env(TRUTHMETER_BATCH_SIZE="8"))
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the command ended and closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.wait(timeout=300) == 1
    screen = seen.decode().replace("\r\n", "\n")  # the terminal turns "\n" into "\r\n"
    assert screen.startswith("\ringesting 0/41 articles  0%")
    assert f"\rerror: {dataset}:41: not valid JSON: Expecting property name enclosed in double quotes " \
           "(column 2)\n" in screen
    assert re.search(r"\r {10,}\r\d+ new stories, \d+ updated; \d+ stories\nread 40 articles, 40 new, 1 errors; "
                     r"40 stored\n$", screen), screen


# ---- listings: more rows, --all, --limit 0, the id `show` takes ----

@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("ux")
    path = str(folder / "ux.db")
    data = write_jsonl(folder / "five.jsonl", bulk_rows(5, seed=11))
    result = runner.invoke(main, ["ingest", "--db", path, str(data)])
    assert result.exit_code == 0, result.output
    with truthmeter.open_store(path) as store:
        assert (store.count(), store.count_stories()) == (5, 3)  # bulk_rows(5, seed=11) tell 3 stories
    return path


def test_list_says_when_more_rows_exist(db: str) -> None:
    page = invoke("list", "--db", db, "--limit", "3", "--format", "jsonl")
    assert len(page.stdout.splitlines()) == 3 and page.stderr == "3 of 5 shown; --limit / --all\n"
    later = invoke("list", "--db", db, "--limit", "2", "--offset", "2", "--format", "jsonl")
    assert len(later.stdout.splitlines()) == 2 and later.stderr == "3-4 of 5 shown; --offset / --limit / --all\n"
    verdict = json.loads(page.stdout.splitlines()[0])["verdict"]
    listed = invoke("list", "--db", db, "--format", "jsonl").stdout.splitlines()
    n = sum(json.loads(x)["verdict"] == verdict for x in listed)
    filtered = invoke("list", "--db", db, "--verdict", verdict, "--limit", "1", "--format", "jsonl")
    assert filtered.stderr == ("1 shown, more match; --limit / --all\n" if n > 1 else "")
    everything = invoke("list", "--db", db, "--all", "--format", "jsonl")
    assert len(everything.stdout.splitlines()) == 5 and everything.stderr == ""
    assert invoke("list", "--db", db, "--format", "jsonl").stderr == ""  # 5 of 5: nothing to say
    past = invoke("list", "--db", db, "--offset", "9")
    assert past.stderr == "none shown: --offset 9 is past the last one\n"


def test_all_pages_through(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_PAGE", 2)
    listed = [json.loads(x)["id"] for x in invoke("list", "--db", db, "--all", "--format", "jsonl").stdout.splitlines()]
    assert listed == ["b4", "b3", "b2", "b1", "b0"]
    stories = invoke("stories", "--db", db, "--all", "--offset", "1", "--format", "jsonl")
    assert len(stories.stdout.splitlines()) == 2 and stories.stderr == ""


@pytest.mark.parametrize("command", ["list", "stories"])
def test_limit_0_and_all_with_limit_are_refused(db: str, command: str) -> None:
    zero = runner.invoke(main, [command, "--db", db, "--limit", "0"])
    assert zero.exit_code == 2 and "Error: Invalid value for '--limit': 0 is not in the range x>=1." in zero.stderr
    both = runner.invoke(main, [command, "--db", db, "--all", "--limit", "5"])
    assert both.exit_code == 2 and both.stderr.splitlines()[-1] == "Error: give --limit or --all, not both"


def test_stories_say_when_more_rows_exist(db: str) -> None:
    page = invoke("stories", "--db", db, "--limit", "2")
    assert len(page.stdout.splitlines()) == 3 and page.stderr == "2 of 3 shown; --limit / --all\n"


def test_list_table_shows_the_id_show_takes(db: str) -> None:
    table = invoke("list", "--db", db).stdout.splitlines()
    assert table[0].split() == ["ID", "TITLE", "OUTLET", "RATING", "VERDICT", "STORY"]
    stored = [json.loads(x) for x in invoke("list", "--db", db, "--format", "jsonl").stdout.splitlines()]
    ids = [line.split()[0] for line in table[1:]]
    assert ids == [str(s["content_hash"])[:ID_CHARS] for s in stored]
    shown = json.loads(invoke("show", ids[2], "--db", db, "--format", "json").stdout)
    assert shown["id"] == stored[2]["id"]


def test_stories_csv(db: str) -> None:
    rows = list(csv.DictReader(io.StringIO(invoke("stories", "--db", db, "--format", "csv").stdout)))
    as_json = json.loads(invoke("stories", "--db", db, "--format", "json").stdout)
    assert list(rows[0]) == STORY_CSV_FIELDS and len(rows) == 3
    assert [r["id"] for r in rows] == [s["id"] for s in as_json]
    assert rows[0]["claim"] == as_json[0]["claim"]["text"] and rows[0]["published"] == "False"
    assert rows[0]["people"] == "; ".join(as_json[0]["people"])


def test_show_cuts_text_at_a_word(tmp_path: Path) -> None:
    body = " ".join(f"word{i:04}" + ("," if i % 7 == 0 else "") for i in range(400))
    (tmp_path / "long.txt").write_text("A Very Long Statement From The Studio\n\n" + body + "\n")
    db = str(tmp_path / "l.db")
    invoke("ingest", "--db", db, str(tmp_path / "long.txt"))
    handle = invoke("list", "--db", db).stdout.splitlines()[1].split()[0]
    text = invoke("show", handle, "--db", db).stdout.splitlines()
    full = invoke("show", handle, "--db", db, "--full").stdout.splitlines()
    whole = full[-1]
    assert whole.startswith("word0000, word0001 word0002") and whole.endswith(" word0399,") and len(whole) > 3000
    assert full[:-1] == text[:-2]
    cut = text[-2]
    assert cut.endswith("…") and len(cut) <= 1500
    kept = cut[:-1]
    assert whole.startswith(kept) and whole[len(kept)] == " "  # ends at a word, the ellipsis after it
    assert text[-1] == f"[{len(whole) - len(kept):,} more characters: --full shows the whole text]"


@pytest.mark.parametrize(("text", "width", "expected"), [
    ("short", 10, "short"),
    ("one two three four", 12, "one two…"),
    ("one two three four", 14, "one two three…"),
    ("supercalifragilistic", 8, "superca…"),  # one long word: cut inside it
    ("ab cdefghijklmnop", 8, "ab cdef…"),  # the last space too early: cut inside the word
])
def test_shorten(text: str, width: int, expected: str) -> None:
    assert shorten(text, width) == expected and len(shorten(text, width)) <= width


# ---- the desk's published rating ----

def test_story_and_stories_show_the_published_rating(tmp_path: Path) -> None:
    db = str(tmp_path / "d.db")
    invoke("ingest", "--db", db, str(write_jsonl(tmp_path / "some.jsonl", bulk_rows(5, seed=5))))
    with truthmeter.open_store(db) as store:
        first, second = store.list_stories()[:2]
        store.desk.set_rating(first.id, 2, "the rep denied it", editor="ana")
        review = store.desk.publish(first.id, editor="ana")
        store.desk.set_rating(second.id, 9, "reviewed, not published", editor="ana")
    table = invoke("stories", "--db", db).stdout.splitlines()
    assert table[1].startswith(first.id) and table[1].endswith(" 2/10 False (published)")
    assert not table[2].endswith("(published)") and table[2].endswith(
        f"{second.story_rating:>2}/10 {second.verdict.value}")
    rows = {r["id"]: r for r in json.loads(invoke("stories", "--db", db, "--format", "json").stdout)}
    assert {k: rows[first.id][k] for k in ("published", "published_rating", "published_verdict", "published_at")} == {
        "published": True, "published_rating": 2, "published_verdict": "False", "published_at": review.published_at}
    assert (rows[second.id]["published"], rows[second.id]["published_rating"]) == (False, None)
    assert rows[first.id]["story_rating"] == first.story_rating  # the model's rating stays beside it
    text = invoke("story", first.id, "--db", db).stdout.splitlines()
    assert text[:2] == [f"Claim: {claim_text(first)} — False 2/10, published by ana on {review.published_at[:10]}",
                        f"model rating: {first.verdict.value} {first.story_rating}/10"]
    detail = json.loads(invoke("story", first.id[:6], "--db", db, "--format", "json").stdout)
    assert (detail["published"], detail["published_rating"], detail["articles"][0]["title"]) == (
        True, 2, first.title)
    unpublished = json.loads(invoke("story", second.id, "--db", db, "--format", "json").stdout)
    assert (unpublished["published"], unpublished["published_rating"]) == (False, None)
    assert invoke("story", second.id, "--db", db).stdout.startswith(
        f"Claim: {claim_text(second)} — {second.verdict.value} {second.story_rating}/10\n")


# ---- help texts ----

def _contexts() -> list[tuple[str, click.Option, click.Context]]:
    parent = click.Context(main, info_name="truthmeter", **main.context_settings)
    out = []
    for name, command in sorted(main.commands.items()):
        ctx = click.Context(command, parent=parent, info_name=name)
        out += [(name, p, ctx) for p in command.params if isinstance(p, click.Option) and not p.hidden]
    return out


@pytest.mark.parametrize(("command", "option", "ctx"), _contexts(),
                         ids=[f"{c}-{o.name}" for c, o, _ in _contexts()])
def test_every_option_shows_its_default(command: str, option: click.Option, ctx: click.Context) -> None:
    default = option.get_default(ctx, call=True)
    record = option.get_help_record(ctx)
    assert record is not None
    has_default = default is not None and default not in ((), [], False, "") and "UNSET" not in repr(default)
    if has_default and not (option.is_flag and not option.secondary_opts):
        assert re.search(r"\[default: [^\]]+\]", record[1]), record


def test_help_names_the_defaults_that_are_not_values() -> None:
    db_help = " ".join(invoke("list", "--help").stdout.split())
    assert f"(env TRUTHMETER_DB; default: {settings.default_db_path()})" in db_help
    train = " ".join(invoke("train", "--help").stdout.split())
    families = ", ".join(sorted(registry()))
    assert f"--family FAMILY A feature family to train, repeatable: {families} (default: " \
           f"{', '.join(DEFAULT_FAMILIES)})." in train
    assert "--C FLOAT Inverse regularisation strength. [default: 2.0]" in train
    rate = " ".join(invoke("rate", "--help").stdout.split())
    assert "(default: the first there of text, content, news_text, body, title)" in rate
    bad = runner.invoke(main, ["train", "--data", "x", "--out", "y", "--family", "vibes.v9"])
    assert bad.exit_code == 2 and "Invalid value for '--family': 'vibes.v9' is not one of" in bad.stderr


def test_no_deprecated_click_and_click_pinned_below_9(db: str) -> None:
    for module in Path(cli.__file__).parent.glob("cli*.py"):
        assert "get_text_stream" not in module.read_text(), module
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for args in (["list"], ["stories", "--format", "csv"], ["outlets"]):
            assert invoke(*args, "--db", db).exit_code == 0
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert '\n  "click>=8.1,<9",' in pyproject
