"""Parquet reader: rows streamed one record batch at a time with pyarrow (an optional dependency, the
`dask` extra), into the same records as the CSV and JSON Lines readers. A row's line is its 1-based
row number in the file, so errors and sources read FILE:ROW.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from typing import IO

from ..errors import ParseError
from ..types import Origin, RawDocument
from .tabular import FIELD_ALIASES, make_record
from .text import TEXT_FIELDS

__all__ = ["PYARROW_MISSING", "read_parquet", "outline", "missing_text_column"]

PYARROW_MISSING = "reading Parquet needs pyarrow: pip install 'truthmeter[dask]'"
_BATCH_ROWS = 1024  # rows decoded at a time: memory stays flat however large the file


def _wanted(text_field: str | None) -> set[str]:
    names = {*TEXT_FIELDS, *(a for aliases in FIELD_ALIASES.values() for a in aliases)}
    return names | {text_field.lower()} if text_field else names


def missing_text_column(path: str, names: Sequence[str], text_field: str | None) -> ParseError | None:
    """The one error for a file with no column that can hold the text (rather than one per row)."""
    columns = [n.strip().lower() for n in names]
    wanted = (text_field.lower(),) if text_field else TEXT_FIELDS
    if any(w in columns for w in wanted):
        return None
    expected = text_field if text_field else "one of " + ", ".join(TEXT_FIELDS)
    return ParseError(path, None, f"no text column: expected {expected} (found: {', '.join(columns) or 'none'})")


def outline(file: IO[bytes]) -> tuple[list[str], list[tuple[int, int]]]:
    """The column names, and the (rows, uncompressed bytes) of each row group: the footer alone is read."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(file)
    meta = pf.metadata
    groups = [(meta.row_group(i).num_rows, meta.row_group(i).total_byte_size) for i in range(meta.num_row_groups)]
    return pf.schema_arrow.names, groups


def _plain(value: object) -> object:
    # Timestamps and dates read like the text a CSV export would hold, so `date` is kept.
    return str(value) if isinstance(value, (dt.date, dt.time)) else value


def read_parquet(path: str, text_field: str | None = None, *, file: IO[bytes] | None = None,
                 row_groups: Sequence[int] | None = None, first_row: int = 1) -> Iterator[RawDocument | ParseError]:
    """One record per row. `file` reads from an open file instead of `path` (which names the rows);
    `row_groups` reads only those groups, whose first row is number `first_row`. The text column is
    checked only when the whole file is read: a reader of parts checks once itself."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        yield ParseError(path, None, PYARROW_MISSING)
        return
    with open(path, "rb") if file is None else nullcontext(file) as f:
        pf = pq.ParquetFile(f)
        names = pf.schema_arrow.names
        if row_groups is None:
            error = missing_text_column(path, names, text_field)
            if error is None and pf.metadata.num_rows == 0:
                error = ParseError(path, None, "empty file")
            if error is not None:
                yield error
                return
        wanted = _wanted(text_field)
        columns = [n for n in names if n.strip().lower() in wanted]  # wide files: decode only what is used
        row = first_row
        for batch in pf.iter_batches(batch_size=_BATCH_ROWS, row_groups=row_groups, columns=columns):
            for obj in batch.to_pylist():
                yield make_record({k: _plain(v) for k, v in obj.items()}, Origin(path, row), text_field)
                row += 1
