"""Input partitions: every input cut into parts that a worker reads on its own, kept in input order.

JSON Lines are cut at newlines, CSV/TSV at row ends (each later part carries the header line) and
Parquet at row groups. Each part knows the number of its first line, so sources and errors name the
same FILE:LINE as the local engine. Finding the cuts streams the file once through the driver: a
newline count for JSON Lines, the CSV reader itself for CSV (quoted fields may hold newlines, so
only the reader knows where a row ends), the footer for Parquet. Nothing is loaded whole.

Other inputs (stdin, web pages, documents, JSON lists) are read in the driver by the local readers;
only their rating goes to the workers. Paths are local or fsspec URLs (memory://, file://, s3://...).
"""

from __future__ import annotations

import io
import os
import posixpath
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain, islice
from typing import IO, Callable, Iterable, Iterator, Union

from truthmeter import pipeline
from truthmeter.errors import ParseError
from truthmeter.ingest import READ_ERRORS, file_kind, guarded, unreadable
from truthmeter.ingest.parquet import PYARROW_MISSING, missing_text_column, outline, read_parquet
from truthmeter.ingest.tabular import read_csv, read_jsonl
from truthmeter.ingest.text import SNIFF_BYTES, decode, looks_binary
from truthmeter.parse import parse_each
from truthmeter.types import Article, Origin, RawDocument

__all__ = ["LineBlock", "ParquetPart", "Loaded", "Part", "plan", "part_articles",
           "TABULAR"]

TABULAR = ("jsonl", "csv", "tsv", "parquet")
# What a malformed or unreadable input can raise while being read, as in the local readers.
_SCAN_BYTES = 1 << 22
_URL_KINDS = "the dask engine reads .jsonl, .ndjson, .csv, .tsv and .parquet files at URLs"


@dataclass(frozen=True)
class LineBlock:
    """Bytes [offset, offset + length) of a JSON Lines or CSV/TSV file, whose first line is number
    `first_line`; a CSV part after the first carries the raw header line. `whole`: the block is the
    whole file, so it alone may report the file empty."""

    name: str  # as sources and errors show it
    url: str  # what any worker opens with fsspec
    kind: str
    offset: int
    length: int
    first_line: int
    header: bytes | None = None
    whole: bool = False

    def documents(self, text_field: str | None) -> Iterator[RawDocument | ParseError]:
        import fsspec

        with fsspec.open(self.url, "rb") as f:
            f.seek(self.offset)
            data = f.read(self.length)
        lines = (decode(raw) for raw in io.BytesIO(data))  # split at b"\n" only, as the local reader does
        if self.kind == "jsonl":
            docs = read_jsonl(self.name, lines, text_field)
            if not self.whole:  # a blank stretch of a larger file is not an empty file
                docs = (x for x in docs if not (isinstance(x, ParseError) and x.line is None))
            return _shifted(docs, self.first_line - 1)
        delimiter = "\t" if self.kind == "tsv" else ","
        if self.header is None:
            return read_csv(self.name, lines, text_field, delimiter)
        return _shifted(read_csv(self.name, chain([decode(self.header)], lines), text_field, delimiter),
                        self.first_line - 2)


@dataclass(frozen=True)
class ParquetPart:
    """Row groups `row_groups` of a Parquet file, whose first row is number `first_row`."""

    name: str
    url: str
    row_groups: tuple[int, ...]
    first_row: int

    def documents(self, text_field: str | None) -> Iterator[RawDocument | ParseError]:
        import fsspec

        with fsspec.open(self.url, "rb") as f:
            yield from read_parquet(self.name, text_field, file=f, row_groups=list(self.row_groups),
                                    first_row=self.first_row)


@dataclass(frozen=True)
class Loaded:
    """Articles the driver read itself (stdin, pages, documents), errors in place."""

    items: tuple[Article | ParseError, ...]


Part = Union[LineBlock, ParquetPart, Loaded]


def _shifted(docs: Iterable[RawDocument | ParseError], by: int) -> Iterator[RawDocument | ParseError]:
    """Block-local line numbers made the file's own."""
    for x in docs:
        if by == 0 or (isinstance(x, ParseError) and x.line is None):
            yield x
        elif isinstance(x, ParseError):
            yield ParseError(x.path, x.line + by, x.why)  # type: ignore[operator]
        else:
            yield replace(x, origin=Origin(x.origin.path, x.origin.line + by))  # type: ignore[operator]


def part_articles(part: Part, text_field: str | None) -> Iterator[Article | ParseError]:
    """On a worker: the part's articles, and its errors in place (what pipeline.read gives locally)."""
    if isinstance(part, Loaded):
        yield from part.items
        return
    yield from parse_each(guarded(part.name, part.documents(text_field)))


def plan(paths: Iterable[str], *, text_field: str | None, blocksize: Callable[[int], int], batch: int
         ) -> Iterator[Part | ParseError]:
    """The parts of every input, in input order, with the errors found on the way in place.
    `blocksize(file_size)` is the bytes per part; `batch`, the articles per driver-read part."""
    for path in paths:
        try:
            yield from _plan_path(path, text_field, blocksize, batch)
        except (*READ_ERRORS, ImportError) as exc:  # an unreadable folder, an unknown URL protocol, no s3fs
            yield unreadable(path, exc)


def _loaded(items: Iterable[Article | ParseError], batch: int) -> Iterator[Part | ParseError]:
    it = iter(items)
    while chunk := list(islice(it, batch)):
        if any(isinstance(x, Article) for x in chunk):
            yield Loaded(tuple(chunk))
        else:
            yield from chunk  # type: ignore[misc]


def _plan_path(path: str, text_field: str | None, blocksize: Callable[[int], int], batch: int
               ) -> Iterator[Part | ParseError]:
    import fsspec
    from fsspec.implementations.local import LocalFileSystem

    if path == "-" or path.lower().startswith(("http://", "https://")):
        yield from _loaded(pipeline.read([path], text_field=text_field), batch)
        return
    url = "://" in path
    fs, root = fsspec.core.url_to_fs(path) if url else (LocalFileSystem(), os.path.abspath(path))
    join = posixpath.join if url else os.path.join
    if fs.isdir(root):
        files = _walk(fs, root, path, join)
    elif not fs.exists(root):
        yield ParseError(path, None, "no such file or folder")
        return
    else:
        files = iter([(root, path, True)])
    for fspath, name, explicit in files:
        try:
            yield from _plan_file(fs, fspath, name, explicit, local=not url, text_field=text_field,
                                  blocksize=blocksize, batch=batch)
        except READ_ERRORS as exc:
            yield unreadable(name, exc)


def _walk(fs: object, root: str, name: str, join: Callable[[str, str], str]) -> Iterator[tuple[str, str, bool]]:
    """(fs path, shown name, False) of the files under a folder, as the local reader walks it: depth
    first in name order, hidden entries and symlinked folders skipped."""
    entries = [(e["name"].rstrip("/").rsplit("/", 1)[-1], e) for e in fs.ls(root, detail=True)]  # type: ignore
    for base, entry in sorted(entries, key=lambda x: x[0]):
        if base.startswith("."):
            continue
        if entry["type"] == "directory":
            if not entry.get("islink"):
                yield from _walk(fs, entry["name"], join(name, base), join)
        elif entry["type"] == "file":
            yield entry["name"], join(name, base), False


def _plan_file(fs: object, fspath: str, name: str, explicit: bool, *, local: bool, text_field: str | None,
               blocksize: Callable[[int], int], batch: int) -> Iterator[Part | ParseError]:
    kind = file_kind(name)
    if kind not in TABULAR:
        if not local:
            yield ParseError(name, None, _URL_KINDS)
        elif kind is not None or explicit or not looks_binary(_head(fs, fspath)):
            # (the local reader passes over stray binaries in folders, as here)
            yield from _loaded(pipeline.read([name], text_field=text_field), batch)
        return
    url, size = fs.unstrip_protocol(fspath), fs.size(fspath)  # type: ignore[attr-defined]
    if kind == "parquet":
        yield from _parquet_parts(fs, fspath, name, url, text_field, blocksize(size))
        return
    if looks_binary(_head(fs, fspath)):
        yield ParseError(name, None, "binary file, not text")
        return
    make = partial(LineBlock, name, url, kind)
    with fs.open(fspath, "rb") as f:  # type: ignore[attr-defined]
        if kind == "jsonl":
            yield from _line_cuts(f, blocksize(size), make, name)
        else:
            yield from _row_cuts(f, blocksize(size), make, size, lambda lines: read_csv(
                name, lines, text_field, "\t" if kind == "tsv" else ","))


def _head(fs: object, fspath: str) -> bytes:
    with fs.open(fspath, "rb") as f:  # type: ignore[attr-defined]
        return f.read(SNIFF_BYTES)


def _line_cuts(f: IO[bytes], size: int, make: Callable[..., LineBlock], name: str
               ) -> Iterator[LineBlock | ParseError]:
    """Blocks of about `size` bytes ending at a newline, each with its first line number."""
    start = pos = newlines = 0
    line, seen = 1, False
    while chunk := f.read(_SCAN_BYTES):
        seen = seen or not chunk.isspace()
        i = 0
        while (j := chunk.find(b"\n", max(i, start + size - 1 - pos))) >= 0:
            newlines += chunk.count(b"\n", i, j + 1)
            yield make(start, pos + j + 1 - start, line)
            start, line, newlines, i = pos + j + 1, line + newlines, 0, j + 1
        newlines += chunk.count(b"\n", i)
        pos += len(chunk)
    if pos > start or pos == 0:
        yield make(start, pos - start, line, whole=start == 0)
    if start > 0 and not seen:  # every block was blank, and blocks keep quiet about that
        yield ParseError(name, None, "empty file")


def _row_cuts(f: IO[bytes], size: int, make: Callable[..., LineBlock], file_size: int,
              reader: Callable[[Iterator[str]], Iterator[object]]) -> Iterator[LineBlock]:
    """Blocks of about `size` bytes ending at a row end, found by `reader`: the very CSV reader the
    workers use, run over the file once."""
    taken = [0, 0]  # bytes and lines the reader has consumed
    header: list[bytes] = []

    def lines() -> Iterator[str]:
        for raw in f:
            taken[0], taken[1] = taken[0] + len(raw), taken[1] + 1
            text = decode(raw)
            if not header and text.strip():
                header.append(raw)
            yield text

    start, line, cut = 0, 1, None
    for _ in reader(lines()):
        if cut is not None:  # rows follow the cut, so it stands (a lone header error must not repeat)
            yield make(start, cut[0] - start, line, header[0] if start else None)
            start, line, cut = cut[0], cut[1] + 1, None
        # A header with a quoted newline spans lines that one header line cannot carry: no cuts.
        if taken[0] - start >= size and header and header[0].count(b'"') % 2 == 0:
            cut = (taken[0], taken[1])
    yield make(start, file_size - start, line, header[0] if start else None)


def _parquet_parts(fs: object, fspath: str, name: str, url: str, text_field: str | None, size: int
                   ) -> Iterator[ParquetPart | ParseError]:
    """Runs of whole row groups of about `size` uncompressed bytes."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        yield ParseError(name, None, PYARROW_MISSING)
        return
    with fs.open(fspath, "rb") as f:  # type: ignore[attr-defined]
        names, groups = outline(f)
    error = missing_text_column(name, names, text_field)
    if error is None and not sum(rows for rows, _ in groups):
        error = ParseError(name, None, "empty file")
    if error is not None:
        yield error
        return
    run: list[int] = []
    first, row, nbytes = 1, 1, 0
    for i, (rows, group_bytes) in enumerate(groups):
        run.append(i)
        row, nbytes = row + rows, nbytes + group_bytes
        if nbytes >= size or i == len(groups) - 1:
            yield ParquetPart(name, url, tuple(run), first)
            run, first, nbytes = [], row, 0
