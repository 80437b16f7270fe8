"""Parquet input: the same articles as the same rows in JSON Lines (a row's line is its row number),
one clear error per bad file or row, and one error line when pyarrow is not installed."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import truthmeter
from conftest import bulk_rows, cli_env, labelled_rows, write_jsonl
from truthmeter.types import Origin

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

pytestmark = pytest.mark.usefixtures("clean_env")


def rows() -> list[dict[str, object]]:
    out = labelled_rows(40) + bulk_rows(200)
    for i, row in enumerate(out):
        row["date"] = f"2020-09-{1 + i % 28:02d} 12:26:40"
    return out


def write_parquet(path: Path, data: list[dict[str, object]], **columns: object) -> Path:
    table = pa.Table.from_pylist(data)
    for name, values in columns.items():
        table = table.append_column(name, values)  # type: ignore[arg-type]
    pq.write_table(table, path, row_group_size=64)
    return path


def items(path: Path) -> list[object]:
    """Articles with their origin's path left out (the files differ), and errors as their line."""
    return [str(x) if isinstance(x, truthmeter.ParseError) else replace(x, origin=Origin("-", x.origin.line))
            for x in truthmeter.read(path)]


def test_same_articles_as_jsonl_with_row_numbers(tmp_path: Path) -> None:
    data = rows()
    parquet = items(write_parquet(tmp_path / "a.parquet", data))
    assert parquet == items(write_jsonl(tmp_path / "a.jsonl", data))
    assert len(parquet) == 240 and parquet[-1].origin.line == 240  # type: ignore[union-attr]


def test_timestamps_read_as_their_text_and_extra_columns_pass(tmp_path: Path) -> None:
    data = rows()
    stamps = pa.array([f"{d['date']}" for d in data]).cast(pa.timestamp("s"))
    nested = pa.array([[1, 2]] * len(data))
    plain = [{k: v for k, v in d.items() if k != "date"} for d in data]
    got = items(write_parquet(tmp_path / "t.parquet", plain, date=stamps, tags=nested))
    assert got == items(write_jsonl(tmp_path / "t.jsonl", data))


def test_text_field_option(tmp_path: Path) -> None:
    data = [{"id": f"r{i}", "title": f"Headline {i}", "rewritten": f"Nerys Dravik said on Friday it is tour {i}."}
            for i in range(5)]
    path = write_parquet(tmp_path / "r.parquet", data)
    got = list(truthmeter.read(path, text_field="rewritten"))
    assert [a.body for a in got] == [d["rewritten"] for d in data]  # type: ignore[union-attr]


def test_bad_rows_and_files_one_error_each(tmp_path: Path) -> None:
    data = rows()[:5]
    data[2] = {**data[2], "content": "", "title": ""}
    path = write_parquet(tmp_path / "rows.parquet", data)
    errors = [str(x) for x in truthmeter.read(path) if isinstance(x, truthmeter.ParseError)]
    assert errors == [f"{path}:3: empty text in field 'content'"]

    no_text = write_parquet(tmp_path / "cols.parquet", [{"id": "x", "Score": 3}])
    assert [str(x) for x in truthmeter.read(no_text)] == [
        f"{no_text}: no text column: expected one of text, content, news_text, body, title (found: id, score)"]

    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"content": pa.array([], pa.string())}), empty)
    assert [str(x) for x in truthmeter.read(empty)] == [f"{empty}: empty file"]

    fake = tmp_path / "fake.parquet"
    fake.write_text("id,content\n1,not parquet at all\n")
    assert [str(x) for x in truthmeter.read(fake)] == [
        f"{fake}: could not read: Parquet magic bytes not found in footer. Either the file is corrupted or this "
        "is not a parquet file."]


def test_read_in_folders_and_by_the_cli(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from truthmeter.cli import main

    folder = tmp_path / "mixed"
    folder.mkdir()
    write_parquet(folder / "b.parquet", rows()[:10])
    write_jsonl(folder / "a.jsonl", rows()[10:15])
    got = list(truthmeter.read(folder))
    assert [a.origin.path for a in got] == [str(folder / "a.jsonl")] * 5 + [str(folder / "b.parquet")] * 10
    result = CliRunner().invoke(main, ["rate", "--format", "jsonl", str(folder / "b.parquet")])
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 10


def test_without_pyarrow_one_error_line(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "a.parquet", rows()[:3])
    code = "import sys; sys.modules['pyarrow'] = None; from truthmeter.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", code, "rate", "--format", "jsonl", str(path)],
                            capture_output=True, text=True, env=cli_env(), timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == f"error: {path}: reading Parquet needs pyarrow: pip install 'truthmeter[dask]'\n"
