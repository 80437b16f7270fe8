"""Hashed grams for lexical.v1: which columns a doc's words, char grams and bigrams land in, and
which word or bigram "owns" each occurrence, so contributions can be traced back to text.

A whole batch is handled in a few numpy calls (one doc is a batch of one); tests hold a batch's
explanations equal to each doc's own, and the counts equal to sklearn's HashingVectorizer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

import mmh3
import numpy as np
import scipy.sparse as sp

from truthmeter.features import _accel
from truthmeter.features._base import Doc

__all__ = ["bucket", "BatchGrams", "batch_grams", "batch_counts", "attribute_batch", "GramShape"]


@dataclass(frozen=True)
class GramShape:
    word_n: int
    char_n: int
    char_range: tuple[int, int]
    max_tokens: int

    @property
    def n_features(self) -> int:
        return self.word_n + self.char_n


def bucket(gram: str, n: int) -> int:
    # MurmurHash3 x86_32, seed 0, signed, folded as sklearn's HashingVectorizer does (tested equal).
    h = mmh3.hash(gram, 0, signed=True)
    return (2147483647 - (n - 1)) % n if h == -2147483648 else abs(h) % n


def _char_grams(word: str, lo: int, hi: int) -> list[str]:
    padded = f" {word} "
    out = []
    for n in range(lo, hi + 1):
        if len(padded) < n:
            break
        out.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return out


# 20k words fill within a few thousand real articles, so a rating process reaches its final size
# early and then stays flat however long the input (bench/dask_scaling.py --only memory). The earlier
# 100k words + 500k cached bigrams took ~75 MB more per process (255 vs 181 MB on val + 6,000 train
# articles) and were no faster (996 vs 1,010 articles/s): docs/scale.md.
@lru_cache(maxsize=20_000)
def _token_columns(word: str, word_n: int, char_n: int, char_range: tuple[int, int]) -> np.ndarray:
    # Words repeat across articles: each word's unigram and char-gram columns are hashed once.
    chars = [word_n + bucket(g, char_n) for g in _char_grams(word, *char_range)] if char_n else []
    return np.asarray([bucket(word, word_n), *chars], dtype=np.int32)


def _doc_parts(doc: Doc, shape: GramShape) -> tuple[list[np.ndarray], list[str], tuple[str, ...]]:
    toks = doc.tokens[: shape.max_tokens]
    per_tok = [_token_columns(t, shape.word_n, shape.char_n, shape.char_range) for t in toks]
    return per_tok, [f"{a} {b}" for a, b in zip(toks, toks[1:])], toks


@dataclass(frozen=True)
class BatchGrams:
    """Every gram occurrence of a batch: its doc, column and owner (a global index into `keys`)."""

    docs: Sequence[Doc]
    doc_of: np.ndarray
    cols: np.ndarray
    owner: np.ndarray
    keys: Sequence[str]  # owner texts: the token or the bigram
    owner_doc: np.ndarray
    owner_span: np.ndarray  # (first token, last token) of each owner, doc-local
    _occ: tuple | None = field(default=None, repr=False, compare=False)
    _ids: np.ndarray | None = field(default=None, repr=False, compare=False)  # owner_ids(), when already known

    def owner_ids(self) -> np.ndarray:
        """Each owner's rank among the batch's distinct owner texts, in order of first appearance."""
        if self._ids is None:
            object.__setattr__(self, "_ids", _first_ids(self.keys))
        return self._ids  # type: ignore[return-value]

    def occurrences(self, n_features: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sorted distinct (doc * n_features + column) keys, each occurrence's index into them, and
        their counts: shared by the counts matrix and the explanations of the same batch."""
        if self._occ is None or self._occ[0] != n_features:
            keys = self.doc_of.astype(np.int64) * n_features + self.cols
            uniq, inv, cnt = np.unique(keys, return_inverse=True, return_counts=True)
            object.__setattr__(self, "_occ", (n_features, uniq, inv, cnt))
        return self._occ[1], self._occ[2], self._occ[3]  # type: ignore[index]

    def counts(self, n_features: int) -> sp.csr_matrix:
        uniq, _, cnt = self.occurrences(n_features)
        return _counts_matrix(uniq, cnt, len(self.docs), n_features)


def _counts_matrix(uniq: np.ndarray, cnt: np.ndarray, n_docs: int, n_features: int) -> sp.csr_matrix:
    rows = uniq // n_features
    indptr = np.searchsorted(rows, np.arange(n_docs + 1))
    # Keys are sorted, so rows come in order with sorted columns: a canonical CSR, no re-sort.
    m = sp.csr_matrix((cnt.astype(np.float32), (uniq % n_features).astype(np.int32), indptr),
                      shape=(n_docs, n_features))
    m.has_sorted_indices = True
    return m


def batch_counts(docs: Sequence[Doc], shape: GramShape) -> sp.csr_matrix:
    """`batch_grams(docs, shape).counts(...)` without what only explanations need (which word or
    bigram owns each occurrence, their texts and spans): the same matrix, for rating without signals."""
    if _accel.FAST is not None:
        return _fast_counts(docs, shape)
    n_features, word_n = shape.n_features, shape.word_n
    cols: list[np.ndarray] = []
    sizes = []
    for doc in docs:
        toks = doc.tokens[: shape.max_tokens]
        per_tok = [_token_columns(t, word_n, shape.char_n, shape.char_range) for t in toks]
        n_bi = max(len(toks) - 1, 0)
        bigrams = np.fromiter((bucket(f"{a} {b}", word_n) for a, b in zip(toks, toks[1:])), np.int32, n_bi)
        cols.extend(per_tok)
        cols.append(bigrams)
        sizes.append(sum(len(c) for c in per_tok) + n_bi)
    doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), sizes)
    keys = doc_of * n_features + _cat(cols)
    uniq, cnt = np.unique(keys, return_counts=True)
    return _counts_matrix(uniq, cnt, len(docs), n_features)


def _fast_counts(docs: Sequence[Doc], shape: GramShape) -> sp.csr_matrix:
    indptr, cols, cnt = _accel.FAST.counts([d.tokens for d in docs], shape.word_n, shape.char_n,  # type: ignore[union-attr]
                                           *shape.char_range, shape.max_tokens)
    m = sp.csr_matrix((np.frombuffer(cnt, np.int32).astype(np.float32), np.frombuffer(cols, np.int32),
                       np.frombuffer(indptr, np.int64)), shape=(len(docs), shape.n_features))
    m.has_sorted_indices = True  # the C part emits each row's columns in order
    return m


class _OwnerTexts(Sequence[str]):
    """BatchGrams.keys for the compiled path: an owner's text made when asked (a token, or a bigram's
    "a b"): explaining a batch reads ten of its ~300 owners per doc."""

    def __init__(self, docs: Sequence[Doc], n_tok: np.ndarray, owner_doc: np.ndarray, local: np.ndarray) -> None:
        self._docs, self._n_tok, self._doc, self._local = docs, n_tok, owner_doc, local

    def __len__(self) -> int:
        return len(self._doc)

    def __getitem__(self, o: int) -> str:  # type: ignore[override]
        if not -len(self) <= o < len(self):
            raise IndexError(o)
        d, i = int(self._doc[o]), int(self._local[o])
        n, toks = int(self._n_tok[d]), self._docs[d].tokens
        return toks[i] if i < n else f"{toks[i - n]} {toks[i - n + 1]}"


def _fast_grams(docs: Sequence[Doc], shape: GramShape) -> BatchGrams:
    """batch_grams' arrays from the C part's columns and per-token sizes (the same layout), with the
    occurrences' (doc, column) entries and counts and the owners' ids already found."""
    cols, sizes, ids, indptr, entry_cols, cnt, inv = _accel.FAST.grams(  # type: ignore[union-attr]
        [d.tokens for d in docs], shape.word_n, shape.char_n, *shape.char_range, shape.max_tokens)
    n_tok = np.array([min(len(d.tokens), shape.max_tokens) for d in docs], dtype=np.int64)
    n_bi = np.maximum(n_tok - 1, 0)
    od = np.repeat(np.arange(len(docs), dtype=np.int32), n_tok + n_bi)
    local = np.arange(len(od)) - np.searchsorted(od, od)
    bigram = local >= n_tok[od] if len(od) else np.zeros(0, bool)
    per_owner = np.ones(len(od), np.int64)  # occurrences per owner: a token's columns, a bigram's one
    per_owner[~bigram] = np.frombuffer(sizes, np.int32)
    first = np.where(bigram, local - n_tok[od], local)
    span = np.stack([first, first + bigram], axis=1).astype(np.int32)
    owner = np.repeat(np.arange(len(od), dtype=np.int64), per_owner)
    ptr = np.frombuffer(indptr, np.int64)
    entry_doc = np.repeat(np.arange(len(docs), dtype=np.int64), np.diff(ptr))
    uniq = entry_doc * shape.n_features + np.frombuffer(entry_cols, np.int32)
    occ = (shape.n_features, uniq, np.frombuffer(inv, np.int32), np.frombuffer(cnt, np.int32).astype(np.int64))
    return BatchGrams(docs, od[owner], np.frombuffer(cols, np.int32), owner, _OwnerTexts(docs, n_tok, od, local),
                      od, span, occ, np.frombuffer(ids, np.int64))


def batch_grams(docs: Sequence[Doc], shape: GramShape) -> BatchGrams:
    if _accel.FAST is not None:
        return _fast_grams(docs, shape)
    cols, doc_of, owner, keys, owner_doc, spans = [], [], [], [], [], []
    for d, doc in enumerate(docs):
        per_tok, bigrams, toks = _doc_parts(doc, shape)
        base, n = len(keys), len(toks)
        lens = [len(c) for c in per_tok]
        cols.extend(per_tok)
        cols.append(np.fromiter((bucket(g, shape.word_n) for g in bigrams), np.int32, len(bigrams)))
        owner.append(np.repeat(np.arange(base, base + n), lens))
        owner.append(np.arange(base + n, base + n + len(bigrams)))
        doc_of.append(np.full(sum(lens) + len(bigrams), d, np.int32))
        keys.extend(toks)
        keys.extend(bigrams)
        owner_doc.append(np.full(n + len(bigrams), d, np.int32))
        spans.append(np.concatenate([np.arange(n), np.arange(len(bigrams))]))
    od, first = _cat(owner_doc), _cat(spans)
    n_tok = np.array([min(len(doc.tokens), shape.max_tokens) for doc in docs], dtype=np.int64)
    # Owners are laid out doc by doc, tokens before bigrams: the doc-local index tells which.
    local = np.arange(len(od)) - np.searchsorted(od, od)
    bigram = local >= n_tok[od] if len(od) else np.zeros(0, bool)
    span = np.stack([first, first + bigram], axis=1).astype(np.int32)
    return BatchGrams(docs, _cat(doc_of), _cat(cols), _cat(owner, np.int64), keys, od, span)


def _cat(parts: list[np.ndarray], dtype: type = np.int32) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def _lookup(contrib: sp.csr_matrix, keys: np.ndarray, n_features: int) -> np.ndarray:
    """Each (doc * n_features + column) key's contribution; 0 where the matrix has none."""
    if _accel.FAST is not None and len(keys):
        found = _accel.FAST.align(np.ascontiguousarray(keys, np.int64), contrib.indptr.astype(np.int32),
                                  contrib.indices.astype(np.int32), contrib.data.astype(np.float64), n_features)
        if found is not None:
            return np.frombuffer(found, np.float64)
    # Keys are distinct, so sorting each row's columns (C, per row) orders them as a global sort would.
    c = (contrib if contrib.has_sorted_indices else contrib.sorted_indices()).tocoo()
    ckey, cval = c.row.astype(np.int64) * n_features + c.col, np.asarray(c.data, np.float64)
    if not len(ckey):
        return np.zeros(len(keys))
    if len(ckey) == len(keys) and np.array_equal(ckey, keys):  # the usual case: the counts' own entries
        return cval
    pos = np.minimum(np.searchsorted(ckey, keys), len(ckey) - 1)
    return np.where(ckey[pos] == keys, cval[pos], 0.0)


def _first_ids(keys: Sequence[str]) -> np.ndarray:
    """Each key's rank among the distinct keys in order of first appearance (the compiled path finds
    these while hashing: BatchGrams.owner_ids)."""
    ids: dict[str, int] = {}
    return np.fromiter((ids.setdefault(k, len(ids)) for k in keys), np.int64, len(keys))


def _fast_attribute(bg: BatchGrams, vals: np.ndarray, inv: np.ndarray, cnt: np.ndarray, top: int | None
                    ) -> list[list[tuple[str, float, int, int]]]:
    """attribute_batch's selection by the C part (the same sums in the same order, the same ties)."""
    gid = bg.owner_ids()
    n_ids = int(gid.max()) + 1 if len(gid) else 0
    docs, firsts, weights = _accel.FAST.attribute(  # type: ignore[union-attr]
        np.ascontiguousarray(bg.owner, np.int64), np.ascontiguousarray(inv, np.int32),
        np.ascontiguousarray(vals, np.float64), np.ascontiguousarray(cnt, np.int64),
        np.ascontiguousarray(bg.owner_doc, np.int32), np.ascontiguousarray(gid, np.int64), n_ids,
        -1 if top is None else top)
    out: list[list[tuple[str, float, int, int]]] = [[] for _ in bg.docs]
    first = np.frombuffer(firsts, np.int64)
    keys = bg.keys
    for d, o, w, (a, b) in zip(np.frombuffer(docs, np.int32).tolist(), first.tolist(),
                               np.frombuffer(weights, np.float64).tolist(), bg.owner_span[first].tolist()):
        out[d].append((keys[o], w, a, b))
    return out


def attribute_batch(bg: BatchGrams, contrib: sp.csr_matrix, top: int | None
                    ) -> list[list[tuple[str, float, int, int]]]:
    """Per doc: (word or bigram, contribution, first token, last token), largest first.

    `contrib` holds each column's contribution to each doc's score; a column's contribution is
    shared equally among the doc's gram occurrences that hash to it, then summed per word (its
    unigram and char grams) and per bigram, exactly as the single-doc path does.
    """
    n_features = contrib.shape[1]
    uniq, inv, cnt = bg.occurrences(n_features)
    if _accel.FAST is not None:
        return _fast_attribute(bg, _lookup(contrib, uniq, n_features), inv, cnt, top)
    share = (_lookup(contrib, uniq, n_features) / cnt)[inv]
    per_owner = np.bincount(bg.owner, weights=share, minlength=len(bg.keys))
    gid = bg.owner_ids()
    n_ids = int(gid.max()) + 1 if len(gid) else 0
    ug, first, ginv = np.unique(bg.owner_doc.astype(np.int64) * max(n_ids, 1) + gid,
                                return_index=True, return_inverse=True)
    weight = np.bincount(ginv, weights=per_owner, minlength=len(ug))
    gdoc = ug // max(n_ids, 1)
    sel = np.flatnonzero(weight)
    sel = sel[np.lexsort((-np.abs(weight[sel]), gdoc[sel]))]
    if top is not None:
        d = gdoc[sel]
        sel = sel[np.arange(len(sel)) - np.searchsorted(d, d) < top]
    out: list[list[tuple[str, float, int, int]]] = [[] for _ in bg.docs]
    for g in sel.tolist():
        o = int(first[g])
        out[int(gdoc[g])].append((bg.keys[o], float(weight[g]), int(bg.owner_span[o, 0]), int(bg.owner_span[o, 1])))
    return out
