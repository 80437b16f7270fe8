"""Work fanned out to forked processes and taken back in input order, with little in flight.

Rating, the rate workers' byte ranges and the story facts of ingest all do this: a fork shares the
loaded model instead of unpickling it; at most `window` tasks are out at once, so memory stays flat
however long the input (Pool.imap would read all of it ahead of the workers).
"""

from __future__ import annotations

from collections import deque
from itertools import chain, islice
from typing import Callable, Generic, Iterable, Iterator, Protocol, TypeVar

__all__ = ["can_fork", "two_or_more", "in_order", "Ready"]

T = TypeVar("T")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class Pending(Protocol[R_co]):
    def get(self) -> R_co: ...


class Ready(Generic[R]):
    """A result known without a worker, taken back in its place like the others."""

    def __init__(self, value: R) -> None:
        self._value = value

    def get(self) -> R:
        return self._value


def can_fork() -> bool:
    import multiprocessing as mp  # imported here only: a few articles in-process start faster without it

    return "fork" in mp.get_all_start_methods()


def two_or_more(items: Iterator[T]) -> tuple[bool, Iterator[T]]:
    """Whether there are at least two items (one is done in-process: forking would cost more than it
    saves), and all the items still to come."""
    head = list(islice(items, 2))
    return len(head) == 2, chain(head, items)


def in_order(tasks: Iterable[T], submit: Callable[[T], Pending[R]], window: int) -> Iterator[tuple[T, R]]:
    """Each task with its result, in input order; at most `window` submitted and not yet taken back."""
    pending: deque[tuple[T, Pending[R]]] = deque()
    for task in tasks:
        pending.append((task, submit(task)))
        if len(pending) >= window:
            done, result = pending.popleft()
            yield done, result.get()
    while pending:
        done, result = pending.popleft()
        yield done, result.get()
