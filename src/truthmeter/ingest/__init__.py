"""Readers: turn paths, folders, stdin and URLs into RawDocuments (or ParseErrors), in input order.

`read_items` never raises for bad input: each bad file, row or URL is yielded as one ParseError
(FetchError for URLs) and the stream goes on with the next item. Files are streamed, except
one-document files (text, HTML), read whole up to the size limit. Feeds are streamed, yet limited in
size as those are: one that is not well-formed XML is read again whole.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from ..errors import FetchError, ParseError
from ..types import RawDocument
from .jsonfile import read_json
from .parquet import read_parquet
from .ranges import LineRange, line_ranges
from .tabular import read_csv, read_jsonl
from .text import (SNIFF_BYTES, decode, document_from_bytes, is_binary, iter_lines, read_document, read_head,
                   size_error, sniff_kind, wide_encoding)

__all__ = ["read_items", "plan_items", "file_kind", "walk", "guarded", "unreadable", "READ_ERRORS", "Item", "STDIN"]

Item = RawDocument | ParseError
STDIN = "<stdin>"
T = TypeVar("T")

_EXTENSIONS = {
    ".txt": "text", ".md": "text", ".html": "html", ".htm": "html",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv",
    ".rss": "feed", ".atom": "feed", ".xml": "feed", ".parquet": "parquet",
}
# Content types that settle the format of a fetched page without sniffing.
_CONTENT_TYPES = (("html", "html"), ("rss", "feed"), ("atom", "feed"), ("xml", "feed"),
                  ("json", "json"), ("csv", "csv"))
# Errors a malformed or unreadable input can raise while being read; anything else is a bug.
READ_ERRORS = _READ_ERRORS = (OSError, ValueError, csv.Error, RecursionError)


def unreadable(name: str, exc: BaseException) -> ParseError:
    """The error for a source that could not be read: the OSError's own words when it has them."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return ParseError(name, None, f"could not read: {reason}")


def guarded(name: str, items: Iterator[T]) -> Iterator[T | ParseError]:
    """`items` as they come; a read that fails partway ends them with one error in its place."""
    try:
        yield from items
    except _READ_ERRORS as exc:
        yield unreadable(name, exc)


# Bytes per range of a JSON Lines file, given the file's size; None: files are read, not cut.
RangeSize = Callable[[int], int] | None


def read_items(paths: Iterable[str], *, text_field: str | None = None) -> Iterator[Item]:
    """Yield one RawDocument per document found, or one ParseError per bad item, in input order."""
    for path in paths:
        yield from _read_path(path, text_field, None)


def plan_items(paths: Iterable[str], *, text_field: str | None, range_size: Callable[[int], int]
               ) -> Iterator[Item | LineRange]:
    """`read_items`, except that each local JSON Lines file in a narrow encoding (UTF-8, cp1252...) is
    given as LineRanges of about `range_size(file size)` bytes, for workers to read (ranges.read_range);
    the checks on the file as a whole (there, regular, not binary) are made here, as `read_items` makes
    them. Everything else (stdin, URLs, CSV, JSON, documents) is read here."""
    for path in paths:
        yield from _read_path(path, text_field, range_size)


def _read_path(path: str, text_field: str | None, split: RangeSize) -> Iterator[Item | LineRange]:
    try:
        if path == "-":
            yield from _read_stdin(text_field)
        elif path.lower().startswith(("http://", "https://")):
            yield from _read_url(path, text_field)
        elif os.path.isdir(path):
            for file in walk(path):
                if isinstance(file, ParseError):
                    yield file
                else:
                    yield from _read_file_safely(file, text_field, split, explicit=False)
        else:
            yield from _read_named_file(path, text_field, split)
    except OSError as exc:  # e.g. an unreadable folder
        yield ParseError(path, None, f"could not read: {exc.strerror or exc}")


_NOT_REGULAR = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                (stat.S_ISBLK, "a device"))


def _mode(path: str) -> int | ParseError:
    """The type and mode bits of what `path` leads to (through links), or why it leads nowhere."""
    try:
        return os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return ParseError(path, None, "broken symbolic link" if os.path.islink(path) else "no such file or folder")
    except OSError as exc:  # a symbolic link loop, a name too long, no permission
        return ParseError(path, None, f"could not read: {exc.strerror or exc}")


def _read_named_file(path: str, text_field: str | None, split: RangeSize) -> Iterator[Item | LineRange]:
    mode = _mode(path)
    if isinstance(mode, ParseError):
        yield mode
    elif not stat.S_ISREG(mode):  # never opened: opening a named pipe waits for a writer, forever
        what = next((name for test, name in _NOT_REGULAR if test(mode)), "a special file")
        yield ParseError(path, None, f"not a regular file ({what})")
    else:
        yield from _read_file_safely(path, text_field, split, explicit=True)


def walk(folder: str) -> Iterator[str | ParseError]:
    """Regular files under `folder`, depth first in name order, skipping hidden files and folders (and
    pipes, sockets, devices: not articles). A link that leads nowhere (a loop, a missing target) or an
    unreadable subfolder is an error in its place, and the walk goes on."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield ParseError(folder, None, f"could not read: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        # Symlinked folders are not followed: a link back up the tree would never end.
        if entry.is_dir(follow_symlinks=False):
            yield from walk(entry.path)
        elif entry.is_symlink():  # followed to a file; one that leads nowhere is an error
            mode = _mode(entry.path)
            if isinstance(mode, ParseError) or stat.S_ISREG(mode):
                yield mode if isinstance(mode, ParseError) else entry.path
        elif entry.is_file(follow_symlinks=False):
            yield entry.path


def _read_file_safely(path: str, text_field: str | None, split: RangeSize, *, explicit: bool
                      ) -> Iterator[Item | LineRange]:
    yield from guarded(path, _read_file(path, text_field, split, explicit=explicit))


def file_kind(path: str) -> str | None:
    """The reader a file's extension picks ("jsonl", "csv", "parquet", ...), or None: sniff the content."""
    return _EXTENSIONS.get(os.path.splitext(path)[1].lower())


def _read_file(path: str, text_field: str | None, split: RangeSize, *, explicit: bool
               ) -> Iterator[Item | LineRange]:
    kind = file_kind(path)
    if kind == "parquet":  # binary by design: checked by its own reader, not as text
        yield from read_parquet(path, text_field)
        return
    head = read_head(path)
    if kind is None:
        if is_binary(head):
            # Stray binaries (images, archives) in a folder are not articles; only complain
            # when the user named the file.
            if explicit:
                yield ParseError(path, None, "binary file, not text")
            return
        kind = sniff_kind(decode(head))
    if kind in ("text", "html"):
        yield read_document(path, kind)
    # In a dataset, a stray NUL byte fails its own line or element, not the file.
    elif is_binary(head, by_line=kind != "feed"):
        yield ParseError(path, None, "binary file, not text")
    elif kind == "jsonl" and split is not None and not wide_encoding(head):
        yield from line_ranges(path, split)  # UTF-16/32 is decoded as one stream: never cut
    elif kind == "jsonl":
        yield from read_jsonl(path, iter_lines(path), text_field)
    elif kind in ("csv", "tsv"):
        yield from read_csv(path, iter_lines(path), text_field, "\t" if kind == "tsv" else ",")
    elif kind == "feed":
        yield from _read_feed_file(path)
    else:
        with open(path, "rb") as f:
            yield from read_json(path, f, text_field)


def _read_feed_file(path: str) -> Iterator[Item]:
    # The limit is on the file: a feed that is not well-formed XML is read again whole (feeds.py).
    too_big = size_error(path, os.stat(path).st_size)
    if too_big is not None:
        yield too_big
        return
    with open(path, "rb") as f:
        from .feeds import read_feed  # feedparser and lxml: imported when a feed is read (start-up)

        yield from read_feed(path, f)


def _read_bytes(path: str, data: bytes, kind: str | None, text_field: str | None,
                fields: dict[str, str] | None = None) -> Iterator[Item]:
    """Read content already in memory (stdin, a fetched page)."""
    if is_binary(data[:SNIFF_BYTES]):
        yield ParseError(path, None, "binary file, not text")
        return
    if kind is None:
        kind = sniff_kind(decode(data[:SNIFF_BYTES]))
    if kind == "feed":
        from .feeds import read_feed

        yield from read_feed(path, io.BytesIO(data))
    elif kind in ("json", "jsonl"):
        yield from read_json(path, io.BytesIO(data), text_field)
    elif kind in ("csv", "tsv"):
        yield from read_csv(path, decode(data).splitlines(keepends=True), text_field,
                            "\t" if kind == "tsv" else ",")
    else:
        yield document_from_bytes(path, data, kind, fields)


def _read_stdin(text_field: str | None) -> Iterator[Item]:
    stream = getattr(sys.stdin, "buffer", None)
    data = stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
    yield from _read_bytes(STDIN, data, None, text_field)


def _read_url(url: str, text_field: str | None) -> Iterator[Item]:
    try:
        from .fetch import fetch  # httpx: imported when a URL is read (start-up)

        data, content_type = fetch(url)
    except FetchError as exc:
        yield exc
        return
    kind = next((k for marker, k in _CONTENT_TYPES if marker in content_type), None)
    if kind is None or (kind == "feed" and sniff_kind(decode(data[:SNIFF_BYTES])) == "html"):
        kind = sniff_kind(decode(data[:SNIFF_BYTES]))  # text/plain and friends, or XHTML served as XML
    yield from _read_bytes(url, data, kind, text_field, {"url": url})
