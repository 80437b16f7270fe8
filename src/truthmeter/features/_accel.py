"""Whether lexical.v1's C part (_fastgrams.c) is used, and a way to run without it.

The C part is optional: setup.py builds it where a C compiler is there. Without it (or with
TRUTHMETER_PURE_PYTHON=1) the pure-Python path runs; both give the same tokens, columns and counts,
so the same ratings (tests/test_fastgrams.py compares them).
"""

from __future__ import annotations

from contextlib import contextmanager
from types import ModuleType
from typing import Iterator

from truthmeter import settings

__all__ = ["FAST", "accelerated", "pure_python"]

try:
    from truthmeter.features import _fastgrams as _compiled
except ImportError:  # no compiler at install time: the pure path
    _compiled = None

FAST: ModuleType | None = None if settings.get("pure_python") not in ("", "0") else _compiled


def accelerated() -> bool:
    """Whether features are computed by the compiled part now."""
    return FAST is not None


@contextmanager
def pure_python() -> Iterator[None]:
    """Compute features in pure Python inside this block (to compare the two paths)."""
    global FAST
    saved, FAST = FAST, None
    try:
        yield
    finally:
        FAST = saved
