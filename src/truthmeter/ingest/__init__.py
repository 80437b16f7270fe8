"""Readers: turn paths, folders, stdin and URLs into RawDocuments (or ParseErrors), in input order.

`read_items` never raises for bad input: each bad file, row or URL is yielded as one ParseError
(FetchError for URLs) and the stream goes on with the next item.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterable, Iterator

from ..errors import FetchError, ParseError
from ..types import RawDocument
from .feeds import read_feed
from .fetch import fetch
from .parquet import read_parquet
from .tabular import read_csv, read_json_text, read_jsonl
from .text import decode, document_from_bytes, iter_lines, looks_binary, read_document, read_head, sniff_kind

__all__ = ["read_items", "file_kind", "Item", "STDIN"]

Item = RawDocument | ParseError
STDIN = "<stdin>"

_EXTENSIONS = {
    ".txt": "text", ".md": "text", ".html": "html", ".htm": "html",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv",
    ".rss": "feed", ".atom": "feed", ".xml": "feed", ".parquet": "parquet",
}
# Content types that settle the format of a fetched page without sniffing.
_CONTENT_TYPES = (("html", "html"), ("rss", "feed"), ("atom", "feed"), ("xml", "feed"),
                  ("json", "json"), ("csv", "csv"))
# Errors a malformed or unreadable input can raise while being read; anything else is a bug.
_READ_ERRORS = (OSError, ValueError, csv.Error, RecursionError)


def read_items(paths: Iterable[str], *, text_field: str | None = None) -> Iterator[Item]:
    """Yield one RawDocument per document found, or one ParseError per bad item, in input order."""
    for path in paths:
        yield from _read_path(path, text_field)


def _read_path(path: str, text_field: str | None) -> Iterator[Item]:
    try:
        if path == "-":
            yield from _read_stdin(text_field)
        elif path.lower().startswith(("http://", "https://")):
            yield from _read_url(path, text_field)
        elif os.path.isdir(path):
            for file in _walk(path):
                yield from _read_file_safely(file, text_field, explicit=False)
        elif not os.path.exists(path):
            yield ParseError(path, None, "no such file or folder")
        else:
            yield from _read_file_safely(path, text_field, explicit=True)
    except OSError as exc:  # e.g. an unreadable folder
        yield ParseError(path, None, f"could not read: {exc.strerror or exc}")


def _walk(folder: str) -> Iterator[str]:
    """Files under `folder`, depth first in name order, skipping hidden files and folders."""
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        # Symlinked folders are not followed: a link back up the tree would never end.
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path)
        elif entry.is_file():
            yield entry.path


def _read_file_safely(path: str, text_field: str | None, *, explicit: bool) -> Iterator[Item]:
    try:
        yield from _read_file(path, text_field, explicit=explicit)
    except _READ_ERRORS as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        yield ParseError(path, None, f"could not read: {reason}")


def file_kind(path: str) -> str | None:
    """The reader a file's extension picks ("jsonl", "csv", "parquet", ...), or None: sniff the content."""
    return _EXTENSIONS.get(os.path.splitext(path)[1].lower())


def _read_file(path: str, text_field: str | None, *, explicit: bool) -> Iterator[Item]:
    kind = file_kind(path)
    if kind is None:
        head = read_head(path)
        if looks_binary(head):
            # Stray binaries (images, archives) in a folder are not articles; only complain
            # when the user named the file.
            if explicit:
                yield ParseError(path, None, "binary file, not text")
            return
        kind = sniff_kind(decode(head))
    if kind in ("text", "html"):
        yield read_document(path, kind)
        return
    if kind == "parquet":  # binary by design: checked by its own reader, not as text
        yield from read_parquet(path, text_field)
        return
    head = read_head(path)
    if looks_binary(head):
        yield ParseError(path, None, "binary file, not text")
    elif kind == "jsonl":
        yield from read_jsonl(path, iter_lines(path), text_field)
    elif kind in ("csv", "tsv"):
        yield from read_csv(path, iter_lines(path), text_field, "\t" if kind == "tsv" else ",")
    else:
        with open(path, "rb") as f:
            data = f.read()
        yield from _read_bytes(path, data, kind, text_field)


def _read_bytes(path: str, data: bytes, kind: str | None, text_field: str | None,
                fields: dict[str, str] | None = None) -> Iterator[Item]:
    """Read content already in memory (stdin, a fetched page, a feed or JSON file)."""
    if looks_binary(data[:8192]):
        yield ParseError(path, None, "binary file, not text")
        return
    if kind is None:
        kind = sniff_kind(decode(data[:8192]))
    if kind == "feed":
        yield from read_feed(path, data)
    elif kind in ("json", "jsonl"):
        yield from read_json_text(path, decode(data), text_field)
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
        data, content_type = fetch(url)
    except FetchError as exc:
        yield exc
        return
    kind = next((k for marker, k in _CONTENT_TYPES if marker in content_type), None)
    if kind is None or (kind == "feed" and sniff_kind(decode(data[:8192])) == "html"):
        kind = sniff_kind(decode(data[:8192]))  # text/plain and friends, or XHTML served as XML
    yield from _read_bytes(url, data, kind, text_field, {"url": url})
