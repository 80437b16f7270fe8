"""Small helpers every SQL module of the store shares (articles, stories, the desk)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from itertools import islice
from typing import Any

__all__ = ["Row", "CHUNK", "utc_now", "marks", "chunks", "check_page"]

# A result row: sqlite3.Row, or the PostgreSQL adapter's row (by name and by position alike).
Row = Any

# Ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def marks(n: int) -> str:
    """n placeholders for an IN (...) list."""
    return ", ".join("?" * n)


def chunks(items: Iterable[str]) -> Iterator[list[str]]:
    it = iter(items)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def check_page(limit: int, offset: int) -> None:
    if limit < 0 or offset < 0:
        raise ValueError(f"limit and offset must be >= 0, got {limit} and {offset}")
