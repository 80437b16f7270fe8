"""Low-level reading shared by every reader: decoding, binary and size checks, content sniffing.

Every byte a reader turns into text is decoded here (`decode`, `iter_text`, `iter_lines`), so all
readers agree on encodings: UTF-8, UTF-16/32 with a byte order mark, else cp1252 or latin-1.

Also the reader for one-document files (plain text and HTML): the whole file is one RawDocument.
"""

from __future__ import annotations

import codecs
import io
import os
import re
from collections.abc import Iterable, Iterator
from typing import IO

from .. import settings
from ..errors import ParseError
from ..types import Origin, RawDocument

__all__ = ["SNIFF_BYTES", "TEXT_FIELDS", "decode", "iter_text", "iter_lines", "block_lines", "split_lines",
           "looks_binary", "is_binary", "read_head", "max_bytes", "size_error", "over_limit", "sniff_kind",
           "read_document", "document_from_bytes", "wide_encoding"]

SNIFF_BYTES = 8192
_PIECE = 1 << 16  # the most bytes decoded at a time when streaming
# Column / key names that can hold an article's text, in order of preference.
TEXT_FIELDS = ("text", "content", "news_text", "body", "title")

_TAG = re.compile(r"<(?:!doctype\s+html|html|head|body|article|p|div|meta|title)\b", re.I)
_JSON_START = re.compile(r'\{\s*["}]|\[\s*[\[{"\]\d-]')
_COLUMN = re.compile(r"^[a-z_][\w\-]{0,40}$")
_FEED = re.compile(r"<(?:rss|feed|rdf:rdf)\b", re.I)
# UTF-32 LE's mark starts with UTF-16 LE's, so it is tried first.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def wide_encoding(head: bytes) -> str | None:
    """UTF-16 or UTF-32 when `head` starts with its byte order mark: text full of NUL bytes that
    only such a mark tells from a binary file."""
    return next((encoding for bom, encoding in _BOMS if head.startswith(bom)), None)


def decode(data: bytes) -> str:
    """Decode bytes of unknown encoding; never fails."""
    wide = wide_encoding(data)
    if wide:  # "replace": a cut-off last character (a sniffed head) must not fail the decode
        return data.decode(wide, errors="replace")
    return _decode_narrow(data)


def _decode_narrow(data: bytes) -> str:
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


def is_binary(head: bytes, *, by_line: bool = False) -> bool:
    """`looks_binary` for the local readers, which decode UTF-16/32: text with a byte order mark is
    judged by its characters. With `by_line` (JSON Lines, CSV, JSON: each line or element an item of
    its own) the file is binary only when most lines of `head` are, so a stray NUL byte fails its own
    line and not the file; a line cut off by the end of `head` is left to its reader, unless it is
    the only one."""
    wide = wide_encoding(head)
    if wide:
        head = head.decode(wide, errors="replace").encode("utf-8")
    if not by_line:
        return looks_binary(head)
    lines = head.split(b"\n")
    if len(head) >= SNIFF_BYTES and len(lines) > 1:
        lines.pop()
    judged = [looks_binary(line) for line in lines if line.strip()]
    return sum(judged) * 2 > len(judged)


def read_head(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read(SNIFF_BYTES)


def _whole_chars(piece: bytes) -> int:
    """Where the last whole UTF-8 character of `piece` ends: a cut there splits no character."""
    for back in range(1, min(4, len(piece)) + 1):
        byte = piece[-back]
        if byte & 0xC0 != 0x80:  # not a continuation byte: a character starts here
            needed = 1 if byte < 0xC0 else 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(piece) - back if needed > back else len(piece)
    return len(piece)


def iter_text(source: IO[bytes]) -> Iterator[str]:
    """A stream's text in pieces (a line, or 64 KB of a longer one) so memory stays flat however
    large the file. Pieces are decoded one by one like `decode`, so a file mixing encodings line by
    line still reads; UTF-16/32 with a byte order mark is decoded as a whole stream."""
    piece = source.read(4)  # room for any byte order mark
    wide = wide_encoding(piece)
    if wide:
        decoder = codecs.getincrementaldecoder(wide)(errors="replace")
        while piece:
            yield decoder.decode(piece)
            piece = source.read(_PIECE)
        yield decoder.decode(b"", final=True)  # a cut-off last character, as U+FFFD
        return
    yield from _narrow_pieces(source, piece)


def _narrow_pieces(source: IO[bytes], piece: bytes) -> Iterator[str]:
    """`iter_text` past the byte order mark probe: `piece`, what the probe read, starts the first line."""
    carry, piece = b"", piece + source.readline(_PIECE)
    while piece:
        piece = carry + piece
        cut = len(piece) if piece.endswith(b"\n") else _whole_chars(piece)
        piece, carry = piece[:cut], piece[cut:]
        if piece:  # (a mark only at the very start says a file is UTF-16/32)
            yield _decode_narrow(piece)
        piece = source.readline(_PIECE)
    if carry:
        yield _decode_narrow(carry)


def split_lines(pieces: Iterable[str]) -> Iterator[str]:
    """Text pieces regrouped into lines, each with its "\\n" (only "\\n" ends a line, as in a file
    read in binary; CSV keeps its quoted "\\r"s)."""
    pending: list[str] = []
    for piece in pieces:
        *ends, rest = piece.split("\n")
        for end in ends:
            pending.append(end)
            yield "".join(pending) + "\n"
            pending.clear()
        if rest:
            pending.append(rest)
    if pending:
        yield "".join(pending)


def iter_lines(path: str) -> Iterator[str]:
    """Stream a file's lines, decoding them piece by piece so a mixed-encoding file still reads."""
    with open(path, "rb") as f:
        yield from split_lines(iter_text(f))


def block_lines(data: bytes, *, at_start: bool) -> Iterator[str]:
    """The lines of `data`, whole lines of a file in a narrow encoding (a range a worker reads, at the
    file's start or not), exactly as `iter_lines` gives them for the whole file."""
    # Valid UTF-8 without a byte order mark anywhere decodes the same whole as piece by piece (each
    # piece is cut at a character boundary, and "utf-8-sig" only strips a mark that starts a piece).
    if b"\xef\xbb\xbf" not in data:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            *whole, rest = text.split("\n")
            yield from (line + "\n" for line in whole)
            if rest:
                yield rest
            return
    source = io.BytesIO(data)
    # Past the file's start a line begins with a plain read, as `iter_text` reads every later line.
    yield from split_lines(_narrow_pieces(source, source.read(4) if at_start else b""))


def max_bytes() -> int:
    """The size limit on a document read whole, and on one item of a JSON list."""
    return int(settings.get("max_file_bytes"))  # type: ignore[call-overload]


def size_error(path: str, size: int) -> ParseError | None:
    """The error for a file of `size` bytes when that is over the limit."""
    return over_limit(path, size) if size > max_bytes() else None


def over_limit(path: str, size: int, line: int | None = None, what: str = "file") -> ParseError:
    return ParseError(path, line, f"{what} is {size / 1e6:.1f} MB, over the {max_bytes() / 1e6:g} MB limit "
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
    if is_binary(data[:SNIFF_BYTES]):
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
