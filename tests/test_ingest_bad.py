"""One bad item must never cost the good ones: symbolic link loops, named pipes, deep nesting, NUL bytes,
files and items over the size limit, UTF-16, unreadable fact-check ratings, a CSV without rows.

Each rule through `read_items`, then the corpus in data/bad (with what git cannot hold: links, a named
pipe, 23 MB files) through the installed `truthmeter rate` and `truthmeter ingest`: one exact
`error: FILE[:LINE]: why` line per bad item, never a traceback, every good item rated and stored."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import truthmeter
from conftest import CLI, cli_env
from truthmeter.errors import ParseError
from truthmeter.ingest import read_items
from truthmeter.types import Article, RawDocument

pytestmark = pytest.mark.usefixtures("clean_env")

BAD = Path(__file__).parent / "data" / "bad"
LOOP = os.strerror(errno.ELOOP)  # "Too many levels of symbolic links" on Linux
LIMIT_HELP = "(set TRUTHMETER_MAX_FILE_BYTES)"
GOOD = ("Ivo Orlby Joins The Cast Of Moonwater\n\nIvo Orlby has joined the cast of Moonwater, a representative "
        "for the actor confirmed on Monday.\n")


STILL_MARRIED = "The star is still married, her representative said."


def items(*paths: str | Path) -> list[RawDocument | ParseError]:
    return list(read_items([str(p) for p in paths]))


def errors(results: list[RawDocument | ParseError]) -> list[str]:
    return [str(x) for x in results if isinstance(x, ParseError)]


def sources(results: list[RawDocument | ParseError]) -> list[str]:
    return [str(x.origin) for x in results if isinstance(x, RawDocument)]


def record(n: int) -> dict[str, str]:
    return {"id": f"r{n}", "text": f"Story number {n}: the singer announced a world tour on Monday."}


# ---- 1: symbolic links that lead nowhere ----

def test_a_link_loop_in_a_folder_is_one_error_and_the_folder_still_reads(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "z.txt").write_text(GOOD)
    os.symlink("a", folder / "a")  # a link to itself
    os.symlink("gone.txt", folder / "b")
    os.symlink("z.txt", folder / "c.txt")  # a good link is followed
    results = items(folder)
    assert errors(results) == [f"{folder}/a: could not read: {LOOP}", f"{folder}/b: broken symbolic link"]
    assert sources(results) == [f"{folder}/c.txt", f"{folder}/z.txt"]


def test_a_link_loop_named_directly_says_so(tmp_path: Path) -> None:
    os.symlink("a", tmp_path / "a")
    os.symlink("gone.txt", tmp_path / "b")
    assert errors(items(tmp_path / "a", tmp_path / "b", tmp_path / "c")) == [
        f"{tmp_path}/a: could not read: {LOOP}", f"{tmp_path}/b: broken symbolic link",
        f"{tmp_path}/c: no such file or folder"]


# ---- 2: what is not a regular file ----

def test_a_named_pipe_is_refused_unopened(tmp_path: Path) -> None:
    good, fifo = tmp_path / "good.txt", tmp_path / "f.txt"
    good.write_text(GOOD)
    os.mkfifo(fifo)
    found: list[RawDocument | ParseError] = []
    reader = threading.Thread(target=lambda: found.extend(items(good, fifo, "/dev/null")), daemon=True)
    reader.start()
    reader.join(20)
    if reader.is_alive():  # the reader opened the pipe and waits for a writer: give it one, then fail
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a named pipe hangs")
    assert sources(found) == [str(good)]
    assert errors(found) == [f"{fifo}: not a regular file (a named pipe)", "/dev/null: not a regular file (a device)"]


# ---- 3: nesting deeper than the JSON parser recurses ----

def test_a_jsonl_line_nested_100000_deep_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    path.write_text(f"{json.dumps(record(1))}\n{deep}\n{json.dumps(record(3))}\n")
    results = items(path)
    assert errors(results) == [f"{path}:2: JSON nested too deeply"]
    assert sources(results) == [f"{path}:1", f"{path}:3"]


def test_a_json_list_element_nested_100000_deep_is_one_item_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    deep = '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path.write_text(f"[{json.dumps(record(1))}, {deep}, {json.dumps(record(3))}]")
    results = items(path)
    assert errors(results) == [f"{path}:2: JSON nested too deeply"]
    assert sources(results) == [f"{path}:1", f"{path}:3"]


# ---- 4: NUL bytes ----

def test_a_nul_byte_fails_its_jsonl_line_only(tmp_path: Path) -> None:
    path = tmp_path / "nul.jsonl"
    path.write_bytes(f"{json.dumps(record(1))}\n".encode() + b'{"text": "a\x00b"}\n\x00\x00\x00\x00\n'
                     + f"{json.dumps(record(4))}\n".encode())
    results = items(path)
    assert errors(results) == [f"{path}:2: binary data, not text", f"{path}:3: binary data, not text"]
    assert sources(results) == [f"{path}:1", f"{path}:4"]


def test_a_nul_byte_fails_its_csv_row_only(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b'id,text\n1,"First story here."\n2,"a\x00b"\n3,"Third story here."\n')
    results = items(path)
    assert errors(results) == [f"{path}:3: binary data, not text"]
    assert sources(results) == [f"{path}:2", f"{path}:4"]


@pytest.mark.parametrize("name", ["image.jsonl", "image.csv", "image.json"])
def test_a_binary_dataset_is_still_one_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\n" * 400)
    assert errors(items(path)) == [f"{path}: binary file, not text"]


# ---- 5: the size limit, and streaming ----

def test_a_json_list_element_over_the_limit_is_one_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUTHMETER_MAX_FILE_BYTES", "1000")
    path = tmp_path / "big.json"
    path.write_text(json.dumps([record(1), {"id": "big", "text": "word " * 1000}, record(3)]))
    results = items(path)
    assert errors(results) == [f"{path}:2: item is 0.0 MB, over the 0.001 MB limit {LIMIT_HELP}"]
    assert sources(results) == [f"{path}:1", f"{path}:3"]


def test_a_feed_over_the_limit_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUTHMETER_MAX_FILE_BYTES", "1000")
    path = tmp_path / "big.rss"
    entry = "<item><title>Tour</title><description>The singer announced a world tour.</description></item>"
    path.write_text(f'<rss version="2.0"><channel><title>T</title>{entry * 20}</channel></rss>')
    assert errors(items(path)) == [f"{path}: file is 0.0 MB, over the 0.001 MB limit {LIMIT_HELP}"]


_MEASURE = """
import resource, sys
from truthmeter.ingest import read_items
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
n = sum(1 for _ in read_items([sys.argv[1]]))
print(n, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def _write_big_json(path: Path, size: int) -> int:
    body = "The singer announced a world tour on Monday, her publicist confirmed in a statement. " * 12
    n = 0
    with open(path, "w") as f:
        f.write("[")
        while f.tell() < size:
            f.write(("," if n else "") + json.dumps({"id": f"a{n}", "text": f"Story {n}. {body}"}))
            n += 1
        f.write("]")
    return n


def _write_big_feed(path: Path, size: int) -> int:
    body = "The singer announced a world tour on Monday, her publicist confirmed in a statement. " * 12
    n = 0
    with open(path, "w") as f:
        f.write('<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>')
        while f.tell() < size:
            f.write(f"<item><title>Story {n}</title><description>{body}</description></item>")
            n += 1
        f.write("</channel></rss>")
    return n


@pytest.mark.parametrize("kind", ["json", "rss"])
def test_23_mb_json_lists_and_feeds_stream_in_flat_memory(tmp_path: Path, kind: str) -> None:
    # Read whole, the 23 MB file cost 70 MB (JSON) and 120 MB (feed) on top of the interpreter.
    path = tmp_path / f"big.{kind}"
    n = (_write_big_json if kind == "json" else _write_big_feed)(path, 23_000_000)
    env = cli_env(TRUTHMETER_MAX_FILE_BYTES="30000000")  # a feed's limit is on the file
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True,
                         env=env, timeout=300, check=True).stdout.split()
    assert int(out[0]) == n
    assert int(out[1]) < 15, f"reading {path.name} grew memory by {out[1]} MB"


# ---- 6: UTF-16, ratings, a CSV without rows ----

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_a_byte_order_mark_are_text(tmp_path: Path, encoding: str) -> None:
    bom = {"utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    text = "Zoë’s Café Opens\n\nZoë Brontë opened her café in Montréal, her publicist confirmed.\n"
    rows = json.dumps({"id": "u1", "text": "Zoë’s café opened."}, ensure_ascii=False)
    files = {"a.txt": text, "b.jsonl": f"{rows}\n{{\"id\": \"u2\", \"text\": }}\n",
             "c.csv": "id,text\nc1,Zoë’s café\n", "d.json": f"[{rows}]", "e.dat": text}
    for name, content in files.items():
        (tmp_path / name).write_bytes(bom + content.encode(encoding))
    results = items(tmp_path)
    assert errors(results) == [f"{tmp_path}/b.jsonl:2: not valid JSON: Expecting value (column 22)"]
    docs = {Path(x.origin.path).name: x for x in results if isinstance(x, RawDocument)}
    assert docs["a.txt"].text == docs["e.dat"].text == text
    assert docs["b.jsonl"].text == docs["d.json"].text == "Zoë’s café opened."
    assert docs["c.csv"].text == "Zoë’s café"


@pytest.mark.parametrize("value", ["11", "ten", "-3", "12/10", "5/0", "10.4", "N/A"])
def test_a_rating_that_is_no_rating_from_0_to_10_is_an_error(tmp_path: Path, value: str) -> None:
    path = tmp_path / "check.txt"
    path.write_text(f"Star Did Not Split\n\nTruth rating: {value}\n\n{STILL_MARRIED}\n")
    (error,) = truthmeter.read(path)
    assert str(error) == f"{path}: rating line 'Truth rating: {value}' is not a rating from 0 to 10"


@pytest.mark.parametrize(("value", "rating"), [("0", 0), ("10", 10), ("2/5", 4), ("70 out of 100", 7)])
def test_ratings_from_0_to_10_still_read(tmp_path: Path, value: str, rating: int) -> None:
    path = tmp_path / "check.txt"
    path.write_text(f"Star Did Not Split\n\nTruth rating: {value}\n\n{STILL_MARRIED}\n")
    (article,) = truthmeter.read(path)
    assert isinstance(article, Article) and article.fact_check_rating == rating


@pytest.mark.parametrize("content", ["id,title,text\n", "id,title,text\n\n\n", "\nid,text"])
def test_a_csv_without_rows_says_so(tmp_path: Path, content: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(content)
    assert errors(items(path)) == [f"{path}: no rows"]


def test_an_empty_json_list_says_so(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text("[ ]\n")
    assert errors(items(path)) == [f"{path}: no items"]


# ---- the corpus, through the command line ----

# Per file in data/bad (and the extras the test makes): the lines of its good items ("" for a whole-file
# document), and the exact reason of each bad one, by line (None for the file).
EXPECTED: dict[str, tuple[list[str], list[tuple[int | None, str]]]] = {
    "big.json": (["1", "3"], [(2, f"item is 21.0 MB, over the 20 MB limit {LIMIT_HELP}")]),
    "big.rss": ([], [(None, f"file is 23.0 MB, over the 20 MB limit {LIMIT_HELP}")]),
    "dangling.txt": ([], [(None, "broken symbolic link")]),
    "deep.jsonl": (["1", "3"], [(2, "JSON nested too deeply")]),
    "empty-entry.atom": (["1"], [(2, "feed entry has no title or text")]),
    "empty-list.json": ([], [(None, "no items")]),
    "entities.rss": (["1", "2"], []),
    "header-only.csv": ([], [(None, "no rows")]),
    "list.json": (["1", "6"], [(2, "not valid JSON: Expecting value"), (3, "binary data, not text"),
                               (4, "JSON nested too deeply"), (5, "not a JSON object (found int)")]),
    "loop.txt": ([], [(None, f"could not read: {LOOP}")]),
    "nul.csv": (["2", "4"], [(3, "binary data, not text")]),
    "nul.jsonl": (["1", "3"], [(2, "binary data, not text")]),
    "rating-11.txt": ([], [(None, "rating line 'Truth rating: 11' is not a rating from 0 to 10")]),
    "rating-ok.txt": ([""], []),
    "rating-ten.txt": ([], [(None, "rating line 'Truth rating: ten' is not a rating from 0 to 10")]),
    "truncated.json": (["1", "2"], [(3, "not valid JSON: the file ends inside the list")]),
    "utf16.jsonl": (["1"], [(2, "not valid JSON: Expecting value (column 25)")]),
    "utf16.txt": ([""], []),
    "utf16be.csv": (["2"], []),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """data/bad copied, plus a link loop, a broken link and two 23 MB files; and a named pipe beside it."""
    root = tmp_path_factory.mktemp("corpus")
    folder = root / "bad"
    shutil.copytree(BAD, folder)
    os.symlink("loop.txt", folder / "loop.txt")
    os.symlink("gone.txt", folder / "dangling.txt")
    huge = {"id": "big-2", "text": "word " * 4_200_000}  # 21 MB
    (folder / "big.json").write_text(json.dumps([record(1), huge, record(3)]))
    _write_big_feed(folder / "big.rss", 23_000_000)
    os.mkfifo(root / "fifo.txt")
    assert sorted(p.name for p in folder.iterdir()) == sorted(EXPECTED)
    return folder, root / "fifo.txt"


def expected(folder: Path, fifo: Path) -> tuple[list[str], list[str]]:
    """The sources of the good items and the error lines, in input order (the folder, then the pipe)."""
    good, bad = [], []
    for name, (lines, reasons) in sorted(EXPECTED.items()):
        good += [f"{folder / name}:{line}" if line else str(folder / name) for line in lines]
        bad += [f"error: {folder / name}{'' if line is None else f':{line}'}: {why}" for line, why in reasons]
    return good, [*bad, f"error: {fifo}: not a regular file (a named pipe)"]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, encoding="utf-8",
                          env=cli_env(PYTHONIOENCODING="utf-8"), timeout=300)


def error_lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_rate_the_bad_corpus(corpus: tuple[Path, Path]) -> None:
    folder, fifo = corpus
    result = run_cli("rate", "--format", "jsonl", str(folder), str(fifo))
    good, bad = expected(folder, fifo)
    assert error_lines(result.stderr) == bad
    rated = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source"] for r in rated] == good
    assert all(r["truth_rating"] in range(11) for r in rated)
    assert result.returncode == 1


def test_ingest_the_bad_corpus(corpus: tuple[Path, Path], tmp_path: Path) -> None:
    folder, fifo = corpus
    db = tmp_path / "x.db"
    result = run_cli("ingest", "--db", str(db), str(folder), str(fifo))
    good, bad = expected(folder, fifo)
    assert error_lines(result.stderr) == bad
    with truthmeter.open_store(db) as store:
        stored = [str(s.article.origin) for s in reversed(store.list(limit=100))]  # list() is newest first
    assert stored == good
    n = len(good)
    assert result.stderr.splitlines()[-1] == f"read {n} articles, {n} new, {len(bad)} errors; {n} stored"
    assert result.returncode == 1
