"""The progress line of long commands (`rate`, `ingest`): drawn on stderr only when it is a terminal."""

from __future__ import annotations

import os
import sys
import time
from typing import Callable, Iterable, Iterator, TextIO, TypeVar

import click

from truthmeter.ingest.count import count_items

__all__ = ["Progress", "is_terminal"]

T = TypeVar("T")


def is_terminal(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


class Progress:
    """One line on stderr while long work runs, when stderr is a terminal: done/total (when the total
    is known), percent, articles a second and time left, redrawn a few times a second; cleared before
    any other line goes to stderr (`echo`) and at the end. Where stderr is not a terminal it prints
    nothing, and `echo` is a plain line."""

    def __init__(self, label: str, total: int | None = None, *, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic, every: float = 0.2) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = is_terminal(self.stream)
        self.clock, self.every = clock, every
        self.shown = 0  # characters of the progress line on the screen now
        self.phase(label, total)

    @classmethod
    def over(cls, label: str, paths: Iterable[str]) -> Progress:
        """Progress over reading `paths`, their total counted (cheaply) only for a terminal."""
        return cls(label, count_items(paths) if is_terminal(sys.stderr) else None)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def phase(self, label: str, total: int | None) -> None:
        """Start counting something else (from 0, timed afresh)."""
        self.label, self.total, self.done = label, total, 0
        self.start = self.last = self.clock()
        self.draw()

    def step(self, n: int = 1) -> None:
        self.done += n
        if self.live and self.clock() - self.last >= self.every:
            self.draw()

    def track(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            self.step()
            yield item

    def echo(self, line: str) -> None:
        """A line of its own on stderr (an error), the progress line drawn again under it."""
        self.clear()
        click.echo(line, file=self.stream)
        self.draw()

    def line(self) -> str:
        total = self.total if self.total is not None and self.done <= self.total else None
        parts = [f"{self.label} {self.done:,}" + ("" if total is None else f"/{total:,}") + " articles"]
        if total:
            parts.append(f"{100 * self.done // total}%")
        elapsed = self.clock() - self.start
        if self.done >= 10 and elapsed >= 1:  # before that, a speed says little
            speed = self.done / elapsed
            parts.append(f"{speed:,.0f} articles/s")
            if total is not None:
                parts.append(f"ETA {_duration((total - self.done) / speed)}")
        return "  ".join(parts)

    def draw(self) -> None:
        if not self.live:
            return
        try:
            width = os.get_terminal_size(self.stream.fileno()).columns or 80  # 0: a terminal of unknown size
        except (AttributeError, ValueError, OSError):
            width = 80
        text = self.line()[: max(width - 1, 20)]  # never wrap: a wrapped line cannot be taken back
        self.stream.write("\r" + text.ljust(self.shown))
        self.stream.flush()
        self.shown, self.last = len(text), self.clock()

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0

    def close(self) -> None:
        """Take the line away for good (the work is done, or its output starts on the same terminal)."""
        self.clear()
        self.live = False


def _duration(seconds: float) -> str:
    s = int(seconds + 0.5)
    return f"{s // 3600}:{s // 60 % 60:02}:{s % 60:02}" if s >= 3600 else f"{s // 60}:{s % 60:02}"
