"""JSON files: a list of objects, one object, or JSON Lines under a .json name. Streamed.

A list is cut into the texts of its elements as it is read, by following its strings and brackets;
each element is then parsed on its own. So a bad element (broken JSON, a NUL byte, nesting too deep,
over the size limit) is one error naming it, the elements around it still read, and memory holds one
element at a time, never the file. An element's 1-based index stands in for its line number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import IO

from ..errors import ParseError
from ..types import RawDocument
from .tabular import json_record, read_jsonl
from .text import iter_text, max_bytes, over_limit, split_lines

__all__ = ["read_json"]

Item = RawDocument | ParseError

# What matters outside a string: brackets, the list's commas, a string's start.
_OUTSIDE = re.compile(r'[][{}",]')
_INSIDE = re.compile(r'["\\]')


class _Elements:
    """Cuts the text of a JSON list into the texts of its elements, fed piece by piece.

    Only a "," or "]" at depth 1 outside strings ends an element; a "}" at depth 1 is a stray that
    fails its own element's parse and leaves the cuts around it standing.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.depth = 0
        self.in_string = False
        self.skip = 0  # characters of the next piece already consumed: an escape cut off by a piece end
        self.parts: list[str] = []
        self.size = 0
        self.count = 0
        self.closed = False  # the list's "]" has been seen
        self.extra = False  # something other than whitespace followed it

    def feed(self, piece: str) -> Iterator[str | int]:
        """The elements finished in `piece`: each one's text, or its size when over the limit."""
        if self.closed:
            self.extra = self.extra or bool(piece.strip())
            return
        i, start, self.skip = self.skip, 0, 0
        while m := (_INSIDE if self.in_string else _OUTSIDE).search(piece, i):
            c, i = m.group(), m.end()
            if self.in_string:
                if c == "\\":
                    i += 1  # the escaped character, whatever it is
                else:
                    self.in_string = False
            elif c == '"':
                self.in_string = True
            elif c in "[{":
                self.depth += 1
                start = i if self.depth == 1 else start  # the list opens: its first element starts
            elif c in "]}" and self.depth > 1:
                self.depth -= 1
            elif c == "]":  # depth 1: the list's own end
                yield from self._cut(piece[start:i - 1], last=True)
                self.closed, self.extra = True, bool(piece[i:].strip())
                return
            elif c == "," and self.depth == 1:
                yield from self._cut(piece[start:i - 1])
                start = i
        self.skip = max(0, i - len(piece))
        if self.depth:
            self._keep(piece[start:])

    def _keep(self, text: str) -> None:
        self.size += len(text)
        if self.size <= self.limit:
            self.parts.append(text)
        else:  # counted on, never kept: an oversized element costs no memory
            self.parts.clear()

    def _cut(self, tail: str, last: bool = False) -> Iterator[str | int]:
        self._keep(tail)
        text, size = "".join(self.parts), self.size
        self.parts, self.size = [], 0
        if last and not self.count and not text.strip():
            return  # "[]": a list without elements
        self.count += 1
        yield size if size > self.limit else text


def _read_list(path: str, pieces: Iterable[str], text_field: str | None) -> Iterator[Item]:
    elements = _Elements(max_bytes())
    for piece in pieces:
        for element in elements.feed(piece):
            index = elements.count
            if isinstance(element, int):  # over the limit: only its size was kept
                yield over_limit(path, element, index, "item")
            else:
                yield json_record(path, index, element, text_field, column=False)
    if not elements.closed:
        yield ParseError(path, elements.count + 1, "not valid JSON: the file ends inside the list")
    elif elements.extra:
        yield ParseError(path, None, "not valid JSON: extra data after the list")
    elif not elements.count:
        yield ParseError(path, None, "no items")


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _through_first_text(parts: Iterator[str]) -> list[str]:
    """The parts read up to and including the first that is not blank (all of them when none is)."""
    seen: list[str] = []
    for part in parts:
        seen.append(part)
        if part.strip():
            break
    return seen


def _read_other(path: str, pieces: Iterable[str], text_field: str | None) -> Iterator[Item]:
    """Not a list: JSON Lines when the first line is a JSON value by itself, else one document (up
    to the size limit) and, when that does not parse either, JSON Lines after all."""
    lines = split_lines(pieces)
    head = _through_first_text(lines)
    if _parses(head[-1]):
        yield from read_jsonl(path, chain(head, lines), text_field)
        return
    size, limit = sum(map(len, head)), max_bytes()
    for line in lines:
        head.append(line)
        size += len(line)
        if size > limit:  # too big for one document to be read whole: JSON Lines is all that is left
            yield from read_jsonl(path, chain(head, lines), text_field)
            return
    document = "".join(head)
    if _parses(document):
        yield json_record(path, 1, document, text_field, column=False)
    else:  # most likely JSON Lines whose first line is broken: each line stands alone
        yield from read_jsonl(path, head, text_field)


def read_json(path: str, source: IO[bytes], text_field: str | None = None) -> Iterator[Item]:
    """The records of a JSON file or stream, in order; each bad element or line is one ParseError."""
    pieces = iter_text(source)
    seen = _through_first_text(pieces)
    if not seen or not seen[-1].strip():
        yield ParseError(path, None, "empty file")
    elif seen[-1].lstrip().startswith("["):
        yield from _read_list(path, chain(seen, pieces), text_field)
    else:
        yield from _read_other(path, chain(seen, pieces), text_field)
