"""`truthmeter rate --no-stories` with workers that own their I/O (issue 13): JSON Lines cut into byte
ranges that workers read, rate and render themselves give byte for byte what the in-process path
(`rate_stream(read(...))` and the format's writer) gives, errors with the same file and line in the
same places; and the range reader gives exactly the lines the whole-file reader gives."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import truthmeter
from conftest import CLI, bulk_rows, cli_env, labelled_rows, write_jsonl
from truthmeter import pipeline
from truthmeter._workers import Rendered, _tasks, range_size, rate_files
from truthmeter.errors import ParseError
from truthmeter.ingest import plan_items
from truthmeter.ingest.ranges import line_ranges, read_range
from truthmeter.ingest.tabular import read_jsonl
from truthmeter.ingest.text import block_lines, iter_lines
from truthmeter.publish.formats import writer_for

pytestmark = pytest.mark.usefixtures("clean_env")

FORMATS = ("jsonl", "json", "csv", "table")


def old_path(paths: list[str], fmt: str, signals: int = 5) -> tuple[bytes, list[str]]:
    """What `truthmeter rate --no-stories` printed before: rate_stream over read, the format's writer."""
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    writer, errors = writer_for(fmt, out), []
    for item in pipeline.rate_stream(truthmeter.read(paths), signals=signals):
        if isinstance(item, ParseError):
            errors.append(str(item))
        else:
            writer.write(item)
    writer.close()
    return raw.getvalue(), errors


def new_path(paths: list[str], fmt: str, workers: int, range_bytes: int | None, signals: int = 5
             ) -> tuple[bytes, list[str]]:
    """rate_files, written as the CLI writes it."""
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    writer, errors, count = writer_for(fmt, out), [], 0
    for item in rate_files(paths, writer_for(fmt, io.StringIO()), workers=workers, signals=signals,
                           range_bytes=range_bytes):
        if isinstance(item, ParseError):
            errors.append(str(item))
        else:
            assert isinstance(item, Rendered) and item.count > 0
            count += item.count
            writer.write_rendered(item.data)
    writer.close()
    return raw.getvalue(), errors


def mixed_inputs(root: Path) -> list[str]:
    """A JSON Lines file of many ranges with bad lines among good ones (broken JSON, not an object,
    no text, a NUL byte, blank lines, a cp1252 line, a byte order mark inside), a blank-only file of
    several ranges, an empty one, a CSV file, a missing file and a folder."""
    root.mkdir(parents=True, exist_ok=True)
    rows = [json.dumps(r, ensure_ascii=False).encode() for r in [*labelled_rows(40), *bulk_rows(30)]]
    bad = [b"{not json", b"[1, 2]", b'{"id": "x", "score": 3}', b'{"content": "a\x00b"}', b"", b"   ",
           '{"id": "w", "content": "Zo\u00eb Br\u00f6nte opens a caf\u00e9 in Paris, says her agent."}'
           .encode("cp1252"),
           b'\xef\xbb\xbf{"id": "bom", "content": "A line that starts with a byte order mark, says a rep."}']
    lines = rows[:20] + bad[:4] + rows[20:45] + bad[4:] + rows[45:]
    big = root / "mixed.jsonl"
    big.write_bytes(b"\n".join(lines))  # no newline at the end
    blank = root / "blank.jsonl"
    blank.write_bytes(b"\n  \n" * 500)
    (root / "empty.jsonl").write_bytes(b"")
    folder = root / "folder"
    folder.mkdir()
    write_jsonl(folder / "a.jsonl", bulk_rows(5, seed=3))
    (folder / "b.csv").write_text("id,content\nc1,Nerys Dravik announced a world tour on Friday.\nc2,\n")
    return [str(big), str(blank), str(root / "empty.jsonl"), str(root / "missing.jsonl"), str(folder)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_workers_render_what_the_in_process_path_prints(tmp_path: Path, fmt: str) -> None:
    paths = mixed_inputs(tmp_path / "in")
    before = old_path(paths, fmt)
    errors = before[1]
    assert f"{paths[0]}:21: not valid JSON: Expecting property name enclosed in double quotes (column 2)" in errors
    assert f"{paths[1]}: empty file" in errors and f"{paths[2]}: empty file" in errors
    assert new_path(paths, fmt, 1, None) == before
    for workers, range_bytes in ((2, 2000), (2, 1), (3, 700), (1, 3000)):
        assert new_path(paths, fmt, workers, range_bytes) == before, (workers, range_bytes)


def test_signals_0_and_a_bad_file_alone(tmp_path: Path) -> None:
    paths = mixed_inputs(tmp_path / "in")
    assert new_path(paths, "jsonl", 2, 1500, signals=0) == old_path(paths, "jsonl", signals=0)
    for path in paths[1:4]:
        assert new_path([path], "json", 2, 10) == old_path([path], "json")


def test_cli_workers_1_and_2_give_the_same_bytes(tmp_path: Path) -> None:
    """The installed command over a file of several ranges (64 KB each with 2 workers) with a
    bad line in the middle: 1 worker, 2 workers and the in-process path, byte for byte."""
    rows = [json.dumps(r) for r in labelled_rows(500, seed=5)]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join([*rows[:250], '{"id": "broken", ', *rows[250:]]) + "\n")
    assert path.stat().st_size > 3 * 64 * 1024
    runs = {}
    for workers in ("1", "2"):
        for fmt in ("jsonl", "csv"):
            done = subprocess.run([*CLI, "rate", "--no-stories", "--format", fmt, "--workers", workers, str(path)],
                                  capture_output=True, env=cli_env(PYTHONIOENCODING="utf-8"), timeout=300)
            assert done.returncode == 1 and b"Traceback" not in done.stderr
            runs[workers, fmt] = done.stdout, done.stderr.decode().splitlines()
    for fmt in ("jsonl", "csv"):
        assert runs["1", fmt] == runs["2", fmt]
        stdout, stderr = runs["2", fmt]
        assert len(stderr) == 1 and stderr[0].startswith(f"error: {path}:251: not valid JSON: Expecting property")
        old_stdout, old_errors = old_path([str(path)], fmt)
        assert stdout == old_stdout and stderr == [f"error: {e}" for e in old_errors]
    assert len(runs["2", "jsonl"][0].splitlines()) == 500


def test_ranges_cover_the_file_with_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "f.jsonl"
    data = b"".join(b"x" * (i % 7) + b"\n" for i in range(300)) + b"tail"
    path.write_bytes(data)
    for size in (1, 5, 64, 1000, 10**6):
        ranges = list(line_ranges(str(path), lambda _: size))
        assert b"".join(data[r.offset:r.offset + r.length] for r in ranges) == data
        assert [r.last for r in ranges] == [False] * (len(ranges) - 1) + [True]
        assert all(r.whole == (len(ranges) == 1) for r in ranges)
        assert [r.first_line for r in ranges] == [data[:r.offset].count(b"\n") + 1 for r in ranges]
    (tmp_path / "e.jsonl").write_bytes(b"")
    assert [(r.length, r.whole, r.last) for r in line_ranges(str(tmp_path / "e.jsonl"), lambda _: 10)] == \
           [(0, True, True)]


_LINE = st.lists(st.sampled_from(["a", "é", "€", "\ufeff", "\x85", " ", '"', "\r", "\u2028"]), max_size=12)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(st.tuples(_LINE, st.sampled_from(["utf-8", "cp1252", "latin-1", "utf-8-sig"])), max_size=12),
       size=st.integers(1, 40), end=st.booleans())
def test_ranges_read_the_lines_the_file_reader_reads(tmp_path_factory: pytest.TempPathFactory,
                                                     lines: list, size: int, end: bool) -> None:
    """Mixed encodings line by line, marks and odd whitespace: the ranges' lines are the file's."""
    data = b"\n".join("".join(chars).encode(enc, errors="replace") for chars, enc in lines) + (b"\n" if end else b"")
    path = tmp_path_factory.mktemp("r") / "f.jsonl"
    path.write_bytes(data)
    ranges = list(line_ranges(str(path), lambda _: size))
    whole = list(iter_lines(str(path)))
    assert [line for r in ranges for line in block_lines(data[r.offset:r.offset + r.length], at_start=r.offset == 0)] \
        == whole
    def docs(items):  # noqa: ANN001, ANN202 (the whole file's "empty file": the ranges leave it to their reader)
        return [str(x) if isinstance(x, ParseError) else (x.origin, x.text) for x in items
                if not (isinstance(x, ParseError) and x.line is None)]

    assert docs(x for r in ranges for x in read_range(r, None)) == docs(read_jsonl(str(path), whole))


def test_long_lines_of_mixed_encodings_read_alike(tmp_path: Path) -> None:
    """Lines longer than a read piece (64 KB), cut mid-character, a piece in cp1252."""
    long_utf8 = ("é" * 40000 + "x").encode()
    mixed = "a".encode() * 65535 + "é".encode() + "ü".encode("cp1252") * 10
    data = b"\n".join([b"short", long_utf8, mixed, long_utf8[1:], b"end"])
    path = tmp_path / "long.jsonl"
    path.write_bytes(data)
    whole = list(iter_lines(str(path)))
    for size in (1, 70000, 200000):
        ranges = list(line_ranges(str(path), lambda _: size))
        assert [line for r in ranges for line in block_lines(data[r.offset:r.offset + r.length],
                                                             at_start=r.offset == 0)] == whole


@pytest.mark.parametrize("data", [b"\xe9\n\xc3\xa9\n", b"\n\xef\xbb\xbf", b"a\n\n\xef\xbb\xbfb\nc", b"\n\n\n\xe9\n\xc3\xa9"])
def test_the_first_lines_read_with_the_byte_order_mark_probe(tmp_path: Path, data: bytes) -> None:
    """The whole-file reader decodes the first 4 bytes with the rest of the line they end in, as one
    piece (a cp1252 first line makes the UTF-8 start of the next one cp1252 too): no range cuts it."""
    path = tmp_path / "f.jsonl"
    path.write_bytes(data)
    ranges = list(line_ranges(str(path), lambda _: 1))
    assert ranges[0].length >= min(len(data), 4)
    assert [line for r in ranges for line in block_lines(data[r.offset:r.offset + r.length],
                                                         at_start=r.offset == 0)] == list(iter_lines(str(path)))


def test_a_folder_of_small_files_is_rated_in_batches(tmp_path: Path) -> None:
    """Small files travel together, whole (a task per file would rate articles one at a time)."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(30):
        write_jsonl(folder / f"{i:02}.jsonl", bulk_rows(3, seed=i))
    (folder / "05b.jsonl").write_text("\n\n")
    (folder / "07b.jsonl").write_text('{"id": 1}\n')
    tasks = list(_tasks(plan_items([str(folder)], text_field=None, range_size=range_size(2)), 512, 1 << 20))
    assert len(tasks) == 1 and len(tasks[0]) == 32
    assert new_path([str(folder)], "jsonl", 2, None) == old_path([str(folder)], "jsonl")
    assert new_path([str(folder)], "jsonl", 2, 1) == old_path([str(folder)], "jsonl")


def test_writers_write_what_they_wrote_before(tmp_path: Path) -> None:
    """`write` is now `render` then `write_text`: the bytes of the writers as they were written before
    (json.dumps per article; the array's "[\\n" and ",\\n"; the CSV row with its signals joined)."""
    import csv

    rated = truthmeter.rate([x for x in truthmeter.read(write_jsonl(tmp_path / "r.jsonl", labelled_rows(6)))])
    dicts = [x.to_dict() for x in rated]
    expected = {"jsonl": "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in dicts),
                "json": "[\n" + ",\n".join(json.dumps(d, ensure_ascii=False, indent=2) for d in dicts) + "\n]\n"}
    text = io.StringIO()
    rows = csv.DictWriter(text, fieldnames=writer_for("csv", io.StringIO()).csv.fieldnames, extrasaction="ignore")
    rows.writeheader()
    for d in dicts:
        rows.writerow({**d, "signals": "; ".join(f"{s['name']} ({s['weight']:+.2f})" for s in d["signals"])})
    expected["csv"] = text.getvalue()
    for fmt, want in expected.items():
        out = io.StringIO()
        w = writer_for(fmt, out)
        for x in rated:
            w.write(x)
        w.close()
        assert out.getvalue() == want
    out = io.StringIO()
    writer_for("json", out).close()
    assert out.getvalue() == "[]\n"
