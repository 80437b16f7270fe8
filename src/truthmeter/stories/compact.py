"""Compact storage for the story clusterer: numpy rows that grow in place, and a hash table that keeps
4 bytes a slot by not storing its keys.

At a million articles Python objects per article cost more than the data: a dict entry with an int
key and value is about 110 bytes, and LSH inserts 16 of them per article. Here an article's rows are
numpy rows, and the tables hold row numbers only, the keys being recomputed from those rows.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["Rows", "KeyTable"]

# Growing by an eighth keeps unused capacity small; `ndarray.resize` reallocates (large blocks are
# remapped, not copied), so growing never holds two copies of the rows.
_GROWTH = 1.125
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_GOLDEN_INT, _MASK64 = 0x9E3779B97F4A7C15, (1 << 64) - 1
# Slots probed at once per key: at the table's load most keys end within the first window.
_WINDOW = np.arange(16)
_ROWS = np.arange(64)


class Rows:
    """An array that grows by appending rows: `view()` holds the rows appended so far."""

    def __init__(self, dtype: object, width: int | None = None, fill: int = 0) -> None:
        self._shape = () if width is None else (width,)
        self._fill = fill
        self._data = np.full((64, *self._shape), fill, dtype=dtype)
        self.n = 0

    def _reserve(self, rows: int) -> None:
        have = len(self._data)
        if rows > have:
            new = max(rows, int(have * _GROWTH) + 64)
            self._data.resize((new, *self._shape), refcheck=False)
            if self._fill:
                self._data[have:] = self._fill

    def append(self, value: object) -> int:
        """Append one row; its index."""
        self._reserve(self.n + 1)
        self._data[self.n] = value
        self.n += 1
        return self.n - 1

    def extend(self, values: np.ndarray) -> None:
        self._reserve(self.n + len(values))
        self._data[self.n:self.n + len(values)] = values
        self.n += len(values)

    def view(self) -> np.ndarray:
        return self._data[:self.n]

    def __getitem__(self, index: object) -> np.ndarray:
        return self._data[:self.n][index]

    def __setitem__(self, index: object, value: object) -> None:
        self._data[:self.n][index] = value

    def __len__(self) -> int:
        return self.n

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)


class KeyTable:
    """A map from uint64 keys to int32 values (>= 0), open addressing with linear probing. The keys
    are not stored: `key_of(values)` recomputes them (`key_of_one` one at a time, for the scalar
    calls), so a slot costs 4 bytes."""

    def __init__(self, key_of: Callable[[np.ndarray], np.ndarray], key_of_one: Callable[[int], int] | None = None,
                 load: float = 0.6) -> None:
        self._key_of, self._load = key_of, load
        self._key_of_one = key_of_one or (lambda v: int(key_of(np.array([v]))[0]))
        self._slots = np.full(1 << 10, -1, dtype=np.int32)
        self._used = 0
        self.version = 0  # changes with every write: a `find` result is good until then
        self._last: tuple[int, int, int, int] = (-1, -1, -1, -1)  # key, version, value, slot of the last probe

    @staticmethod
    def _start(keys: np.ndarray, size: int) -> np.ndarray:
        bits = np.uint64(64 - (size.bit_length() - 1))
        return ((keys * _GOLDEN) >> bits).astype(np.int64)

    def _probe(self, key: int, pos: int) -> tuple[int, int]:
        """(value or -1, slot) for one key, probing from `pos`."""
        slots, mask = self._slots, len(self._slots) - 1
        while True:
            held = int(slots[pos])
            if held < 0 or self._key_of_one(held) == key:
                return held, pos
            pos = (pos + 1) & mask

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per key: its value or -1, and its slot (where it is, or the empty slot it would take)."""
        keys = np.asarray(keys, dtype=np.uint64)
        size = len(self._slots)
        start = self._start(keys, size)
        if not self._used:
            return np.full(len(keys), -1, dtype=np.int64), start
        # One window per key settles almost every lookup: that case takes no bookkeeping. (An empty
        # slot's -1 reads the last value's key: any key, as the slot is known empty.)
        pos = start[:, None] + _WINDOW
        pos &= size - 1
        held = self._slots.take(pos)
        taken = held >= 0
        match = self._key_of(held.ravel()).reshape(held.shape) == keys[:, None]
        match &= taken
        stop = np.logical_or(match, ~taken, out=taken)
        first = stop.argmax(axis=1)
        rows = _ROWS[:len(keys)] if len(keys) <= len(_ROWS) else np.arange(len(keys))
        if stop[rows, first].all():
            return np.where(match[rows, first], held[rows, first], -1), pos[rows, first]
        out = np.full(len(keys), -1, dtype=np.int64)
        where = np.empty(len(keys), dtype=np.int64)
        todo = np.arange(len(keys))
        while len(todo):
            # A window of slots per key in one pass: at the table's load most keys end inside it.
            pos = (start[todo, None] + _WINDOW) & (size - 1)
            held = self._slots[pos]
            taken = held >= 0
            match = taken & (self._key_of(np.maximum(held, 0).ravel()).reshape(held.shape) == keys[todo, None])
            stop = match | ~taken  # the key, or an empty slot: no key lies past one
            first = stop.argmax(axis=1)
            rows = np.arange(len(todo))
            where[todo] = pos[rows, first]
            out[todo] = np.where(match[rows, first], held[rows, first], -1)
            more = ~stop[rows, first]  # ran past the window: the next one
            todo, start = todo[more], start.copy()
            start[todo] += len(_WINDOW)
        return out, where

    def _probe_one(self, key: int) -> tuple[int, int]:
        last = self._last
        if last[0] == key and last[1] == self.version:  # a lookup just before a write: probed already
            return last[2], last[3]
        held, pos = self._probe(key, (((key * _GOLDEN_INT) & _MASK64) >> self._shift()))
        self._last = (key, self.version, held, pos)
        return held, pos

    def _shift(self) -> int:
        return 64 - (len(self._slots).bit_length() - 1)

    def get(self, key: int) -> int:
        """The value of one key, or -1."""
        return self._probe_one(key)[0] if self._used else -1

    def put(self, keys: np.ndarray, values: np.ndarray,
            found: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """Set each key's value (distinct keys); the values they had, or -1. `found`: what `find`
        returned for these keys, when nothing was written since."""
        keys = np.asarray(keys, dtype=np.uint64)
        values = np.asarray(values, dtype=np.int64)
        old, where = found or self.find(keys)
        fresh = old < 0
        if len(set(where.tolist())) < len(where):  # two new keys want one empty slot: one at a time
            for k, v in zip(keys.tolist(), values.tolist()):
                self.put(np.array([k], dtype=np.uint64), np.array([v]))
            return old
        self._slots[where] = values
        self._wrote(int(np.count_nonzero(fresh)))
        return old

    def put_one(self, key: int, value: int) -> int:
        """`put` for one key, without numpy's per-call cost; the value it had, or -1."""
        old, pos = self._probe_one(key)
        self._slots[pos] = value
        self._wrote(old < 0)
        return old

    def _wrote(self, fresh: int) -> None:
        self.version += 1
        self._used += fresh
        if self._used > self._load * len(self._slots):
            self._rehash()

    def _rehash(self) -> None:
        held = self._slots[self._slots >= 0]
        self._slots = np.full(len(self._slots) * 2, -1, dtype=np.int32)
        mask = len(self._slots) - 1
        for at in range(0, len(held), 1 << 18):  # keys recomputed a chunk at a time: bounded memory
            values = held[at:at + (1 << 18)]
            where = self._start(self._key_of(values), len(self._slots))
            while len(values):
                # Of the values wanting one empty slot, the first takes it; the rest probe on.
                free = self._slots[where] < 0
                _, first = np.unique(where, return_index=True)
                take = np.zeros(len(values), dtype=bool)
                take[first] = True
                take &= free
                self._slots[where[take]] = values[take]
                values, where = values[~take], (where[~take] + (~free[~take])) & mask
