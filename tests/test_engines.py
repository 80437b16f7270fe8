"""The Dask engine (`--engine dask`): the same output, errors and stored rows as the local engine.

The parts' cutting is checked in-process against the local reader (every line number included) at
many part sizes; the engine itself runs on one 2-worker LocalCluster of real processes, started once
for the module, so the model must really travel to the workers. JSONL with bad lines, CSV with
quoted newlines and bad rows, Parquet with several row groups, a folder of mixed files, fsspec URLs,
--out shards in both formats, ingest, and the ARG val file when ../shared is present.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import truthmeter
from conftest import bulk_rows, cli_env, labelled_rows
from truthmeter.cli import main
from truthmeter.errors import ParseError

distributed = pytest.importorskip("distributed")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from truthmeter.engines import DaskEngine, EngineError  # noqa: E402
from truthmeter.engines.partitions import LineBlock, ParquetPart, part_articles, plan  # noqa: E402

pytestmark = pytest.mark.usefixtures("clean_env")

VAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "arg_gossipcop" / "val.jsonl"
SMALL = "20000"  # bytes per part in the CLI runs: a few dozen parts per file


# ---- the inputs: every kind of row the readers know, bad ones in the middle of blocks ----

def _rows(n: int) -> list[dict[str, object]]:
    rows = bulk_rows(n, seed=5)
    for i, row in enumerate(labelled_rows(60, seed=5)):
        rows.insert(i * 37 + 3, row)
    return rows


def _jsonl_bytes(rows: list[dict[str, object]]) -> bytes:
    bad = [b"{not json", b"[1, 2]", b'{"id": "nt", "headline_only": "x"}', b'{"id": "et", "content": "  "}', b"",
           b"   ", '{"id": "cp", "content": "Caf\xe9 owner Zo\xeb opens a bistro, her representative confirmed."}'
           .encode("cp1252")]
    lines = []
    for i, row in enumerate(rows):
        lines.append(json.dumps(row, ensure_ascii=False).encode())
        if i % 250 == 17:
            lines.append(bad[(i // 250) % len(bad)])
    return b"\n".join(lines) + b"\n"


def _csv_text(rows: list[dict[str, object]], delimiter: str = ",") -> str:
    out = io.StringIO()
    out.write("\n")  # a leading blank line: the header is line 2
    w = csv.writer(out, delimiter=delimiter)
    w.writerow(["id", "title", "content", "label"])
    for i, row in enumerate(rows):
        body = str(row["content"])
        if i % 97 == 5:  # quoted newlines: a row over several lines, which no newline split may cut
            body = body.replace(". ", ".\n\n", 2) + ' She said "yes, really".'
        w.writerow([row["id"], row["title"], body if i % 301 != 40 else "", row.get("label", "")])
        if i % 701 == 300:
            out.write(f"bad{i},a title\rwith a bare carriage return,some text,1\r\n")  # a bad CSV row
        if i % 503 == 9:
            out.write("\r\n")
    return out.getvalue()


def _parquet(path: Path, rows: list[dict[str, object]]) -> Path:
    cols = {k: [r.get(k) for r in rows] for k in ("id", "title", "content", "label")}
    for row, empty in ((10, ""), (1234, None)):  # an empty text and a missing one: errors naming their rows
        cols["content"][row] = cols["title"][row] = empty
    table = pa.table({**cols, "date": pa.array([1_600_000_000_000 + i * 86_400_000 for i in range(len(rows))],
                                               pa.timestamp("ms"))})
    pq.write_table(table, path, row_group_size=300)
    return path


class Corpus:
    def __init__(self, root: Path) -> None:
        rows = _rows(3000)
        self.root = root
        self.jsonl = root / "corpus.jsonl"
        self.jsonl.write_bytes(_jsonl_bytes(rows))
        self.csv = root / "corpus.csv"
        self.csv.write_text(_csv_text(rows), encoding="utf-8", newline="")
        self.tsv = root / "corpus.tsv"
        self.tsv.write_text(_csv_text(rows[:800], "\t"), encoding="utf-8", newline="")
        self.parquet = _parquet(root / "corpus.parquet", rows)
        self.folder = root / "mixed"
        (self.folder / "sub").mkdir(parents=True)
        (self.folder / "a_story.txt").write_text("Ivo Orlby Joins Moonwater\n\nIvo Orlby joined the cast of "
                                                 "Moonwater, his representative confirmed on Monday.\n")
        (self.folder / "sub" / "part.jsonl").write_bytes(_jsonl_bytes(rows[:400]))
        (self.folder / "z.csv").write_text(_csv_text(rows[400:600]), encoding="utf-8", newline="")
        (self.folder / "stray.bin").write_bytes(b"\x00\x01\x02" * 100)  # skipped in a folder, as locally
        (self.folder / ".hidden.jsonl").write_text("{not even json")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return Corpus(tmp_path_factory.mktemp("engines"))


@pytest.fixture(scope="module")
def cluster():  # type: ignore[no-untyped-def]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as c:
        yield c


runner = CliRunner()


def invoke(*args: str) -> Result:
    result = runner.invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.stderr, result.stderr
    return result


def errors(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


@functools.lru_cache(maxsize=None)
def local(*args: str) -> Result:
    """The local engine's answer (the same arguments give the same answer: asked once per module),
    streamed like the dask engine's: neither groups articles into stories then."""
    return invoke("rate", "--no-stories", *args)


def dask(cluster, *args: str) -> Result:  # type: ignore[no-untyped-def]
    return invoke("rate", "--engine", "dask", "--scheduler", cluster.scheduler_address, "--blocksize", SMALL, *args)


# ---- the parts, in-process: read back, they are the local reader's items, line numbers and all ----

def _read_parts(path: Path, blocksize: int) -> tuple[list[object], list[object]]:
    parts = list(plan([str(path)], text_field=None, blocksize=lambda size: blocksize, batch=512))
    items = [x for p in parts for x in ([p] if isinstance(p, ParseError) else part_articles(p, None))]
    return parts, [str(x) if isinstance(x, ParseError) else x for x in items]


@pytest.mark.parametrize("blocksize", [1, 4096, 10**9])
@pytest.mark.parametrize("name", ["jsonl", "csv", "tsv", "parquet"])
def test_parts_read_exactly_as_the_local_reader(corpus: Corpus, name: str, blocksize: int) -> None:
    path = getattr(corpus, name)
    expected = [str(x) if isinstance(x, ParseError) else x for x in truthmeter.read(path)]
    assert any(isinstance(x, str) for x in expected) and len(expected) > 500
    parts, got = _read_parts(path, blocksize)
    assert got == expected
    kind = ParquetPart if name == "parquet" else LineBlock
    assert all(isinstance(p, kind) for p in parts)
    if blocksize < 10**9:
        assert len(parts) > 5


@pytest.mark.parametrize("content", [b"", b"\n\n   \n" * 50])
def test_an_empty_or_blank_file_is_one_error_whatever_the_parts(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_bytes(content)
    for blocksize in (1, 10, 10**6):
        assert _read_parts(path, blocksize)[1] == [f"{path}: empty file"]


def test_a_csv_header_that_cannot_travel_keeps_its_file_whole(tmp_path: Path) -> None:
    """No text column: one error, not one per part; a header over two lines: no cuts at all."""
    rows = "".join(f"{i},{i},Nerys Dravik announced tour number {i} on Friday.\n" for i in range(60))
    (tmp_path / "cols.csv").write_text("id,score,words\n" + rows)
    (tmp_path / "quoted.csv").write_text('id,"sco\nre",text\n' + rows)
    for name in ("cols.csv", "quoted.csv"):
        expected = [str(x) if isinstance(x, ParseError) else x for x in truthmeter.read(tmp_path / name)]
        parts, got = _read_parts(tmp_path / name, 1)
        assert got == expected and len(parts) == 1
    assert len(expected) == 60


# ---- the engine on a 2-worker cluster of processes, through the CLI ----

def test_jsonl_same_output_and_errors_as_local(cluster, corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    want, got = local("--format", "jsonl", str(corpus.jsonl)), dask(cluster, "--format", "jsonl", str(corpus.jsonl))
    assert got.stdout == want.stdout and len(want.stdout.splitlines()) > 3000
    assert errors(got) == errors(want) and len(errors(want)) >= 6
    assert errors(want)[0] == f"error: {corpus.jsonl}:19: not valid JSON: Expecting property name enclosed in " \
                              "double quotes (column 2)"
    assert got.exit_code == want.exit_code == 1


@pytest.mark.parametrize("name", ["csv", "parquet"])
def test_csv_and_parquet_same_output_and_errors_as_local(cluster, corpus: Corpus, name: str) -> None:  # type: ignore
    path = str(getattr(corpus, name))
    want, got = local("--format", "jsonl", path), dask(cluster, "--format", "jsonl", path)
    assert got.stdout == want.stdout and len(want.stdout.splitlines()) > 3000
    assert errors(got) == errors(want) and errors(want)
    assert got.exit_code == want.exit_code == 1


def test_a_mixed_folder_and_a_missing_path_in_input_order_in_any_format(cluster, corpus: Corpus) -> None:  # type: ignore
    paths = [str(corpus.folder), str(corpus.root / "missing.jsonl"), str(corpus.tsv)]
    for fmt in ("table", "csv", "json"):
        want, got = local("--format", fmt, *paths), dask(cluster, "--format", fmt, *paths)
        assert got.stdout == want.stdout
        assert errors(got) == errors(want)
        assert f"error: {corpus.root / 'missing.jsonl'}: no such file or folder" in errors(got)
    assert "Ivo Orlby Joins Moonwater" in local("--format", "table", *paths).stdout.splitlines()[1]


def test_stdin_same_as_local(cluster, corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    data = (corpus.folder / "sub" / "part.jsonl").read_bytes()
    want = runner.invoke(main, ["rate", "--no-stories", "--format", "jsonl", "-"], input=data)
    got = runner.invoke(main, ["rate", "--engine", "dask", "--scheduler", cluster.scheduler_address, "--format",
                               "jsonl", "-"], input=data)
    assert got.stdout == want.stdout and len(want.stdout.splitlines()) > 300
    assert errors(got) == errors(want) and errors(want)[0].startswith("error: <stdin>:19: ")


def test_out_shards_concatenate_to_the_local_output(cluster, corpus: Corpus, tmp_path: Path) -> None:  # type: ignore
    want = local("--format", "jsonl", str(corpus.jsonl), str(corpus.csv))
    got = dask(cluster, "--out", str(tmp_path / "out"), str(corpus.jsonl), str(corpus.csv))
    shards = sorted((tmp_path / "out").glob("part-*.jsonl"))
    assert len(shards) > 10 and got.stdout == ""
    assert "".join(p.read_text(encoding="utf-8") for p in shards) == want.stdout
    assert errors(got) == errors(want) and got.exit_code == 1
    n = len(want.stdout.splitlines())
    assert f"rated {n} articles into {len(shards)} shards in {tmp_path / 'out'}; {len(errors(want))} errors" \
           in got.stderr
    again = dask(cluster, "--out", str(tmp_path / "out"), str(corpus.jsonl))
    assert again.exit_code == 1
    assert errors(again) == [f"error: {tmp_path / 'out'}: already holds part-* shards; give an empty or new folder"]


def test_parquet_shards_hold_the_local_rows(cluster, corpus: Corpus, tmp_path: Path) -> None:  # type: ignore
    want = local("--format", "jsonl", str(corpus.parquet))
    got = dask(cluster, "--out", str(tmp_path / "pq"), "--out-format", "parquet", str(corpus.parquet))
    shards = sorted((tmp_path / "pq").glob("part-*.parquet"))
    assert len(shards) > 1 and errors(got) == errors(want)
    rows = [r for p in shards for r in pq.read_table(p).to_pylist()]
    assert rows == [json.loads(line) for line in want.stdout.splitlines()]


def test_val_file_identical_ratings(cluster) -> None:  # type: ignore[no-untyped-def]
    if not VAL.exists():
        pytest.skip(f"{VAL} is absent (the shared ARG data)")
    want, got = local("--format", "jsonl", str(VAL)), dask(cluster, "--format", "jsonl", str(VAL))
    assert got.exit_code == want.exit_code == 0
    rated = {}
    for line in got.stdout.splitlines():
        d = json.loads(line)
        rated[d["id"]] = (d["p_true"], d["truth_rating"])
    expected = {(d := json.loads(line))["id"]: (d["p_true"], d["truth_rating"]) for line in want.stdout.splitlines()}
    assert rated == expected and len(rated) > 1000
    assert got.stdout == want.stdout


def _stored(db: Path) -> tuple[list[dict[str, object]], list[tuple[object, ...]]]:
    with truthmeter.open_store(str(db)) as store:
        articles = [{**a.to_dict(), "ingested_at": None} for a in store.list(limit=10**6)]
        stories = sorted((tuple(s.article_ids), s.title, s.story_rating, s.verdict)
                         for s in store.list_stories(limit=10**6))
    return articles, stories


def test_ingest_stores_what_the_local_engine_stores(cluster, corpus: Corpus, tmp_path: Path) -> None:  # type: ignore
    paths = [str(corpus.tsv), str(corpus.folder)]
    want = invoke("ingest", *paths, "--db", str(tmp_path / "local.db"))
    got = invoke("ingest", "--engine", "dask", "--scheduler", cluster.scheduler_address, "--blocksize", SMALL,
                 *paths, "--db", str(tmp_path / "dask.db"))
    assert got.exit_code == want.exit_code == 1
    assert got.stderr == want.stderr
    articles, stories = _stored(tmp_path / "dask.db")
    assert (articles, stories) == _stored(tmp_path / "local.db") and len(articles) > 800 and len(stories) > 5


def test_the_model_travels_once_per_worker(cluster, corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    assert dask(cluster, "--format", "jsonl", str(corpus.tsv)).stdout  # in a few parts, on both workers
    with distributed.Client(cluster) as client:
        loaded = client.run(lambda: len(__import__("truthmeter.engines.dask_engine", fromlist=["x"])._MODELS))
    # Every earlier run sent the same model: each worker process loaded it once and kept that copy.
    assert sorted(loaded.values()) == [1, 1]


def test_fsspec_urls(corpus: Corpus, tmp_path: Path) -> None:
    """memory:// needs the workers in this process (processes=False); file:// works anywhere."""
    import fsspec

    mem, small = fsspec.filesystem("memory"), corpus.folder / "sub" / "part.jsonl"
    mem.pipe("/h5/in/sub/a.jsonl", small.read_bytes())
    mem.pipe("/h5/in/b.tsv", corpus.tsv.read_bytes())
    mem.pipe("/h5/in/note.txt", b"A note about nothing in particular.\n")
    want = [json.loads(x) for x in local("--format", "jsonl", str(corpus.tsv), str(small)).stdout.splitlines()]
    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None,
                                  silence_logs=logging.ERROR) as c:
        got = invoke("rate", "--engine", "dask", "--scheduler", c.scheduler_address, "--blocksize", SMALL,
                     "--format", "jsonl", "memory://h5/in")
        out = invoke("rate", "--engine", "dask", "--scheduler", c.scheduler_address, "--out", "memory://h5/out",
                     str(small))
        shards = sorted(p for p in mem.ls("/h5/out", detail=False))
        shard_text = "".join(mem.cat(p).decode() for p in shards)
    rows = [json.loads(x) for x in got.stdout.splitlines()]
    assert [r["source"].split(":")[-1] for r in rows] == [w["source"].split(":")[-1] for w in want]
    assert rows[0]["source"] == "memory://h5/in/b.tsv:3"
    assert [{**r, "source": None} for r in rows] == [{**w, "source": None} for w in want]
    assert ("error: memory://h5/in/note.txt: the dask engine reads .jsonl, .ndjson, .csv, .tsv and .parquet "
            "files at URLs") in errors(got)
    assert out.exit_code == 1 and shards
    assert shard_text == local("--format", "jsonl", str(small)).stdout


def test_file_urls_on_the_process_cluster(cluster, corpus: Corpus) -> None:  # type: ignore[no-untyped-def]
    got = dask(cluster, "--format", "jsonl", corpus.csv.as_uri())
    want = local("--format", "jsonl", str(corpus.csv))
    assert [{**json.loads(x), "source": 0} for x in got.stdout.splitlines()] == \
           [{**json.loads(x), "source": 0} for x in want.stdout.splitlines()]
    assert json.loads(got.stdout.splitlines()[0])["source"] == f"{corpus.csv.as_uri()}:3"
    assert [e.replace(corpus.csv.as_uri(), "F") for e in errors(got)] == \
           [e.replace(str(corpus.csv), "F") for e in errors(want)]


# ---- refusals: one clear line each ----

def test_options_of_the_dask_engine_alone(corpus: Corpus, tmp_path: Path) -> None:
    result = invoke("rate", "--out", str(tmp_path), str(corpus.jsonl))
    assert result.exit_code == 2 and "--out only with --engine dask" in result.stderr
    result = invoke("ingest", "--scheduler", "tcp://127.0.0.1:8786", str(corpus.jsonl), "--db", str(tmp_path / "x"))
    assert result.exit_code == 2 and "--scheduler only with --engine dask" in result.stderr
    result = invoke("rate", "--engine", "dask", "--format", "csv", "--out", str(tmp_path), str(corpus.jsonl))
    assert result.exit_code == 2 and "--format is for stdout; with --out, use --out-format" in result.stderr


def test_the_engines_own_cluster_runs_without_the_profiler() -> None:
    # Its sampled profile history grew each worker by ~35 MB per million articles (docs/scale.md).
    with DaskEngine(workers=1) as engine:
        flags = engine.client.run(lambda: __import__("dask").config.get("distributed.worker.profile.enabled"))
    assert list(flags.values()) == [False]


def test_unreachable_scheduler_is_one_error() -> None:
    with pytest.raises(EngineError, match=r"^could not reach the Dask scheduler at tcp://127\.0\.0\.1:9: "):
        DaskEngine("tcp://127.0.0.1:9", connect_timeout=1).start()


def test_without_dask_installed_one_error_line(corpus: Corpus) -> None:
    code = "import sys; sys.modules['distributed'] = None; from truthmeter.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", code, "rate", "--engine", "dask", str(corpus.jsonl)],
                            capture_output=True, text=True, env=cli_env(), timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == "error: the dask engine needs dask[distributed]: pip install 'truthmeter[dask]'\n"
