"""How many items reading some paths will give, counted cheaply up front: only for a progress line
(done/total), so an estimate that gives up (None) after a time budget is fine."""

from __future__ import annotations

import csv
import os
import time
from typing import Iterable

from truthmeter.errors import ParseError
from truthmeter.ingest import file_kind, walk
from truthmeter.ingest.text import decode, is_binary, read_head, sniff_kind

__all__ = ["count_items"]


def count_items(paths: Iterable[str], budget: float = 2.0) -> int | None:
    """About how many items (articles and errors) reading `paths` gives: one per document file, a JSONL
    file's non-blank lines, a CSV's rows, a Parquet file's rows; None when unknown (stdin, URLs, JSON
    and feed files) or when counting takes over `budget` seconds. Only for the progress line."""
    deadline = time.monotonic() + budget
    total = 0
    for path in paths:
        if path == "-" or path.lower().startswith(("http://", "https://")):
            return None
        if os.path.isdir(path):
            files, explicit = walk(path), False
        else:
            files, explicit = iter([path]), True
        for file in files:  # the very walk `read` makes: a link loop in a folder is one error there too
            n = 1 if isinstance(file, ParseError) else _count_file(file, explicit, deadline)
            if n is None or time.monotonic() > deadline:
                return None
            total += n
    return total


def _count_file(path: str, explicit: bool, deadline: float) -> int | None:
    try:
        kind = file_kind(path)
        if kind is None:
            head = read_head(path)
            if is_binary(head):
                return 1 if explicit else 0  # a named binary is one error; in a folder, skipped
            kind = sniff_kind(decode(head))
        if kind in ("text", "html"):
            return 1
        if kind == "jsonl":
            n = 0
            with open(path, "rb") as f:
                for i, line in enumerate(f):
                    n += bool(line.strip())
                    if i % 65536 == 0 and time.monotonic() > deadline:
                        return None
            return max(n, 1)  # an empty file is one error
        if kind in ("csv", "tsv"):
            n = 0
            with open(path, encoding="utf-8", errors="replace", newline="") as f:
                for i, row in enumerate(csv.reader(f, delimiter="\t" if kind == "tsv" else ",")):
                    n += any(cell.strip() for cell in row)
                    if i % 65536 == 0 and time.monotonic() > deadline:
                        return None
            return max(n - 1, 1)  # the header; a header alone is one error
        if kind == "parquet":
            import pyarrow.parquet as pq  # the reader needs it too

            return int(pq.ParquetFile(path).metadata.num_rows) or 1
    except (OSError, ValueError, csv.Error, ImportError):
        return 1 if explicit else None  # a named file that cannot be read is one error
    return None  # JSON, feeds: as many items as they hold
