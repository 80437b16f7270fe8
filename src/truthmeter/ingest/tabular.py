"""Dataset readers: JSON Lines and CSV/TSV (JSON files: jsonfile.py). Streamed row by row, so no
size limit.

Every row becomes a RawDocument of kind "record" (text = the text column, fields = the known
metadata columns under canonical names) or a ParseError naming its line; a bad row (broken JSON,
nesting too deep for the parser, a NUL byte) never stops the rows after it.
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from typing import Protocol

from ..errors import ParseError
from ..types import Origin, RawDocument
from .text import TEXT_FIELDS

__all__ = ["FIELD_ALIASES", "BINARY_ROW", "make_record", "json_record", "read_jsonl", "read_csv"]

# Canonical field -> the names datasets use for it (ARG, LLMFake, UPFD, generic exports).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "source_id", "news_id"),
    "title": ("title", "headline"),
    "url": ("url", "news_url", "link"),
    "label": ("label",),
    "date": ("date", "time", "published", "published_at", "pubdate"),
    "outlet": ("outlet", "source", "site", "sitename", "publisher"),
    "author": ("author", "authors", "byline"),
}

# A NUL byte is never text: the row holding one is refused (the file as a whole is binary only when
# most of its lines are: text.is_binary).
BINARY_ROW = "binary data, not text"

csv.field_size_limit(sys.maxsize)  # article bodies easily exceed the 128 KB default


def _scalar(value: object) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _expected(text_field: str | None) -> str:
    return text_field if text_field else "one of " + ", ".join(TEXT_FIELDS)


def make_record(obj: dict[str, object], origin: Origin,
                text_field: str | None = None) -> RawDocument | ParseError:
    """Build a record from one row/object; keys are matched case-insensitively."""
    row = {str(k).strip().lower(): v for k, v in obj.items()}
    candidates = (text_field.lower(),) if text_field else TEXT_FIELDS
    present = [name for name in candidates if name in row]
    if not present:
        return ParseError(origin.path, origin.line, f"no text field: expected {_expected(text_field)}")
    text = next((t for t in (_scalar(row[name]) for name in present) if t), None)
    if text is None:
        return ParseError(origin.path, origin.line, f"empty text in field {present[0]!r}")
    # Plain loops, not generators: this runs once per row of a dataset (a third of reading a JSON line).
    fields: dict[str, str] = {}
    for canonical, aliases in FIELD_ALIASES.items():
        for alias in aliases:
            if alias in row:
                value = _scalar(row[alias])
                if value:  # the first alias with a value
                    fields[canonical] = value
                    break
    return RawDocument(origin, "record", text, fields)


def _json_error(exc: json.JSONDecodeError, column: bool) -> str:
    return f"not valid JSON: {exc.msg}" + (f" (column {exc.colno})" if column else "")


def _record_from_value(value: object, origin: Origin, text_field: str | None) -> RawDocument | ParseError:
    if not isinstance(value, dict):
        return ParseError(origin.path, origin.line, f"not a JSON object (found {type(value).__name__})")
    return make_record(value, origin, text_field)


def json_record(path: str, number: int, text: str, text_field: str | None, *,
                column: bool = True) -> RawDocument | ParseError:
    """One record from the JSON text of one line or list element numbered `number`. `column`: name the
    column of a syntax error (it means little inside a list element spread over lines)."""
    if "\x00" in text:
        return ParseError(path, number, BINARY_ROW)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return ParseError(path, number, _json_error(exc, column))
    except RecursionError:  # the stdlib parser recurses once per level of nesting
        return ParseError(path, number, "JSON nested too deeply")
    return _record_from_value(value, Origin(path, number), text_field)


def read_jsonl(path: str, lines: Iterable[str], text_field: str | None = None, *, first_line: int = 1,
               whole: bool = True) -> Iterator[RawDocument | ParseError]:
    """One record per non-blank line; bad lines become errors naming their line number. `first_line`:
    the number of the first of `lines` (a range of a file); `whole`: they are the whole file, so
    without a non-blank line the file is empty (a blank range of a larger file says nothing)."""
    seen = False
    for number, line in enumerate(lines, first_line):
        if not line.strip():
            continue
        seen = True
        yield json_record(path, number, line, text_field)
    if not seen and whole:
        yield ParseError(path, None, "empty file")


def _delimiter(header: str, default: str) -> str:
    # Judge by the header line only: UPFD rows carry tab-separated tweet ids inside a
    # comma-separated file, so counting over data rows would pick the wrong delimiter.
    counts = {d: header.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts.get(default, 0) else default


def _text_column(columns: list[str], text_field: str | None) -> str | None:
    wanted = (text_field.lower(),) if text_field else TEXT_FIELDS
    return next((name for name in wanted if name in columns), None)


def read_csv(path: str, lines: Iterable[str], text_field: str | None = None,
             default_delimiter: str = ",") -> Iterator[RawDocument | ParseError]:
    """CSV/TSV with a header row; origin lines are physical line numbers (header = 1)."""
    stream, skipped = iter(lines), 0
    first = next(stream, None)
    while first is not None and not first.strip():  # leading blank lines still count as lines
        first, skipped = next(stream, None), skipped + 1
    if first is None:
        yield ParseError(path, None, "empty file")
        return
    reader = csv.reader(itertools.chain([first], stream), delimiter=_delimiter(first, default_delimiter))
    columns = [c.strip().lower() for c in next(reader)]
    if _text_column(columns, text_field) is None:
        found = ", ".join(c for c in columns if c) or "none"
        why = f"no text column: expected {_expected(text_field)} (found: {found})"
        yield ParseError(path, 1 + skipped, why)
        return
    yield from _csv_rows(path, reader, columns, text_field, skipped)


class _Reader(Protocol):
    line_num: int

    def __next__(self) -> list[str]: ...


def _csv_rows(path: str, reader: _Reader, columns: list[str],
              text_field: str | None, skipped: int) -> Iterator[RawDocument | ParseError]:
    previous, seen = reader.line_num, False
    while True:
        try:
            row = next(reader)
        except StopIteration:
            if not seen:  # a header alone: say so, rather than rate nothing in silence
                yield ParseError(path, None, "no rows")
            return
        except csv.Error as exc:
            seen = True
            yield ParseError(path, reader.line_num + skipped, f"bad CSV row: {exc}")
            if reader.line_num == previous:  # no progress: give up rather than loop
                return
            previous = reader.line_num
            continue
        start, previous = previous + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        seen = True
        if any("\x00" in cell for cell in row):
            yield ParseError(path, start + skipped, BINARY_ROW)
            continue
        yield make_record(dict(zip(columns, row)), Origin(path, start + skipped), text_field)
