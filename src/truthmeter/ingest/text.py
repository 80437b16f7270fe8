"""Low-level reading shared by every reader: decoding, binary and size checks, content sniffing.

Also the reader for one-document files (plain text and HTML): the whole file is one RawDocument.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from .. import settings
from ..errors import ParseError
from ..types import Origin, RawDocument

__all__ = ["SNIFF_BYTES", "TEXT_FIELDS", "decode", "iter_lines", "looks_binary", "read_head",
           "size_error", "sniff_kind", "read_document", "document_from_bytes"]

SNIFF_BYTES = 8192
# Column / key names that can hold an article's text, in order of preference.
TEXT_FIELDS = ("text", "content", "news_text", "body", "title")

_TAG = re.compile(r"<(?:!doctype\s+html|html|head|body|article|p|div|meta|title)\b", re.I)
_JSON_START = re.compile(r'\{\s*["}]|\[\s*[\[{"\]\d-]')
_COLUMN = re.compile(r"^[a-z_][\w\-]{0,40}$")
_FEED = re.compile(r"<(?:rss|feed|rdf:rdf)\b", re.I)


def decode(data: bytes) -> str:
    """Decode bytes of unknown encoding; never fails."""
    # UTF-8 is strict enough that a successful decode is almost surely right; cp1252 is the usual
    # culprit otherwise (Windows "smart quotes"); latin-1 maps every byte, so it is the last resort.
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def looks_binary(head: bytes) -> bool:
    """True for NUL bytes or more than 10% control characters (tabs and newlines excepted)."""
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if (b < 32 and b not in (9, 10, 12, 13)) or b == 127)
    return bool(head) and control > len(head) * 0.10


def read_head(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read(SNIFF_BYTES)


def iter_lines(path: str) -> Iterator[str]:
    """Stream a file's lines, decoding each one separately so a mixed-encoding file still reads."""
    with open(path, "rb") as f:
        for raw in f:
            yield decode(raw)


def size_error(path: str, size: int) -> ParseError | None:
    limit = int(settings.get("max_file_bytes"))  # type: ignore[call-overload]
    if size <= limit:
        return None
    return ParseError(path, None, f"file is {size / 1e6:.1f} MB, over the {limit / 1e6:g} MB limit "
                                  "(set TRUTHMETER_MAX_FILE_BYTES)")


def sniff_kind(head: str) -> str:
    """Guess a format from the start of some content: html, feed, json, csv or text."""
    start = head.lstrip("\ufeff \t\r\n")
    if _JSON_START.match(start):
        return "json"
    window = start[:4000]
    if start.startswith("<") and _FEED.search(window):
        return "feed"
    if _TAG.search(window):
        return "html"
    if start.startswith("<?xml"):
        return "feed"
    first = start.split("\n", 1)[0].strip().lower()
    for delimiter in (",", "\t", ";", "|"):
        columns = [c.strip().strip('"') for c in first.split(delimiter)]
        # Only a header made of identifier-like names counts, so "Title, text" prose stays text.
        if len(columns) > 1 and any(c in TEXT_FIELDS for c in columns) and all(
                _COLUMN.match(c) for c in columns):
            return "csv"
    return "text"


def document_from_bytes(path: str, data: bytes, kind: str,
                        fields: dict[str, str] | None = None) -> RawDocument | ParseError:
    """One RawDocument from a whole file's bytes, or the reason there is none."""
    if looks_binary(data[:SNIFF_BYTES]):
        return ParseError(path, None, "binary file, not text")
    text = decode(data)
    if not text.strip():
        return ParseError(path, None, "empty file")
    return RawDocument(Origin(path), kind, text, dict(fields or {}))


def read_document(path: str, kind: str) -> RawDocument | ParseError:
    """Read a one-document file, refusing oversized files before reading a byte of them."""
    error = size_error(path, os.stat(path).st_size)
    if error is not None:
        return error
    with open(path, "rb") as f:
        return document_from_bytes(path, f.read(), kind)
