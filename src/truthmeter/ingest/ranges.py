"""JSON Lines files cut into byte ranges that rating workers read on their own (`truthmeter rate
--workers N`): the process that plans them only counts newlines, never decodes or parses a line.

A range ends at a newline and knows the number of its first line, so a worker reading it gives the
very records and errors, with the same line numbers, as `read_jsonl` over the whole file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..errors import ParseError
from ..types import RawDocument
from .tabular import read_jsonl
from .text import block_lines

__all__ = ["LineRange", "line_ranges", "read_range"]

_SCAN_BYTES = 1 << 22  # read at a time while counting newlines
# The whole-file reader decodes the file's first 4 bytes (read to look for a byte order mark) with the
# rest of the line they end in, as one piece (text.iter_text): no range may end inside that piece.
_FIRST_PIECE = 4


@dataclass(frozen=True)
class LineRange:
    """Bytes [offset, offset + length) of the JSON Lines file `path`, whole lines, the first numbered
    `first_line`. `whole`: the range is the whole file (it alone may find the file empty); `last`:
    no range of the file follows."""

    path: str
    offset: int
    length: int
    first_line: int
    whole: bool
    last: bool


def line_ranges(path: str, size: Callable[[int], int]) -> Iterator[LineRange]:
    """The ranges of a file, each of about `size(file size)` bytes and ending at a newline (the last
    one at the end of the file), in order; a file of no bytes is one empty range."""
    with open(path, "rb") as f:
        target = max(1, size(f.seek(0, 2)))
        f.seek(0)
        start, line, pos, pending = 0, 1, 0, 0  # pending: newlines in [start, pos)
        cut: tuple[int, int] | None = None  # the range ending before the current one, held back
        while chunk := f.read(_SCAN_BYTES):
            i = 0
            while (j := chunk.find(b"\n", max(i, start + target - 1 - pos, _FIRST_PIECE - pos))) >= 0:
                if cut is not None:
                    yield LineRange(path, cut[0], start - cut[0], cut[1], whole=False, last=False)
                cut = (start, line)
                line += pending + chunk.count(b"\n", i, j + 1)
                start, pending, i = pos + j + 1, 0, j + 1
            pending += chunk.count(b"\n", i)
            pos += len(chunk)
    # The range of the file's end is held back until its end is known: it may be the last range.
    if pos > start or cut is None:
        if cut is not None:
            yield LineRange(path, cut[0], start - cut[0], cut[1], whole=False, last=False)
        yield LineRange(path, start, pos - start, line, whole=cut is None, last=True)
    else:
        yield LineRange(path, cut[0], start - cut[0], cut[1], whole=cut[0] == 0, last=True)


def read_range(r: LineRange, text_field: str | None) -> Iterator[RawDocument | ParseError]:
    """The records and errors of one range, as `read_jsonl` over the whole file gives them (the file
    is opened once the first is asked for)."""
    with open(r.path, "rb") as f:
        f.seek(r.offset)
        data = f.read(r.length)
    lines = block_lines(data, at_start=r.offset == 0)
    yield from read_jsonl(r.path, lines, text_field, first_line=r.first_line, whole=r.whole)
