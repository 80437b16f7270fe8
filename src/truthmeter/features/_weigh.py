"""lexical.v1's weighting without scipy's per-block machinery: log-scaled counts times IDF, each
block (word grams, char grams) L2-normalised per row.

`weighted` gives exactly what `Lexical._reference_weights` gives (scipy: each block sliced out, scaled
by `diags(1 / norms) @ block`, the blocks stacked), which rated every article before: the same float32
values in the same order. Both matter for the bytes: a row's norm is numpy's (pairwise) sum over its
entries, which `np.add.reduceat` over the same entries repeats; its score sums the row in its order,
and scipy's product leaves each block's columns in descending order, which the C part repeats.
tests/test_weigh.py holds the two to the same bytes. None (the caller then takes the reference path)
without the compiled part, or where they could differ (a product of 0, which scipy drops).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from truthmeter.features import _accel

__all__ = ["weighted"]


def _block_scales(v: np.ndarray, indptr: np.ndarray, n_word: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1 / each row's L2 norm in the word block and in the char block (1 for an empty one), summed as
    scipy's `block.multiply(block).sum(axis=1)` sums: `np.add.reduceat` over each row's entries."""
    n = len(indptr) - 1
    n_char = np.diff(indptr) - n_word
    starts = np.stack([indptr[:-1], indptr[:-1] + n_word], axis=1).ravel()
    has = np.stack([n_word > 0, n_char > 0], axis=1).ravel()
    total = np.zeros(2 * n, dtype=np.float32)
    if has.any():
        total[has] = np.add.reduceat(v * v, starts[has])
    norms = np.sqrt(total)
    norms[norms == 0] = 1
    scale = 1 / norms
    return scale[0::2], scale[1::2]


def weighted(counts: sp.csr_matrix, word_n: int, idf_word: np.ndarray, idf_char: np.ndarray) -> sp.csr_matrix | None:
    """The feature rows of a counts matrix (word columns first, each row's columns ascending)."""
    if _accel.FAST is None:
        return None
    n, n_features = counts.shape
    indptr, cols = counts.indptr.astype(np.int64), counts.indices.astype(np.int32, copy=False)
    idf = np.concatenate([idf_word, idf_char]) if len(idf_char) else idf_word
    v = (1 + np.log(counts.data.astype(np.float32))) * idf[cols]
    words_before = np.concatenate([[0], np.cumsum(cols < word_n)])
    n_word = words_before[indptr[1:]] - words_before[indptr[:-1]]
    scale_word, scale_char = _block_scales(v, indptr, n_word)
    done = _accel.FAST.scale_rows(indptr, cols, np.ascontiguousarray(v, np.float32), scale_word.astype(np.float32),
                                  scale_char.astype(np.float32), word_n)
    if done is None:
        return None
    data, out_cols = done
    return sp.csr_matrix((np.frombuffer(data, np.float32), np.frombuffer(out_cols, np.int32), counts.indptr),
                         shape=(n, n_features))
