"""lexical.v1: hashed word 1-2-grams and char 2-5-grams with learned IDF (small, stateless vocab)."""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np
import scipy.sparse as sp
import mmh3

from truthmeter.features._base import Doc, Span, register

__all__ = ["Lexical"]


def _bucket(gram: str, n: int) -> int:
    # MurmurHash3 x86_32, seed 0, signed: the hash sklearn's HashingVectorizer uses (tested equal).
    h = mmh3.hash(gram, 0, signed=True)
    # Mirrors sklearn's hashing so explanations land on the columns the model used.
    return (2147483647 - (n - 1)) % n if h == -2147483648 else abs(h) % n


# Grams of the batch being transformed, keyed by identity (the doc is kept to make the key safe):
# rating explains the docs it has just transformed. Each transform starts a new batch, which
# bounds memory by the batch size.
_GRAM_MEMO: dict[tuple[int, int, int], tuple[Doc, tuple[np.ndarray, np.ndarray, list[str]]]] = {}
_GRAM_MEMO_MAX = 8192


@lru_cache(maxsize=500_000)
def _bigram_bucket(gram: str, n: int) -> int:
    return _bucket(gram, n)


@lru_cache(maxsize=100_000)
def _token_columns(word: str, word_n: int, char_n: int, char_range: tuple[int, int]) -> np.ndarray:
    # Words repeat across articles: each word's unigram and char-gram columns are hashed once.
    chars = [word_n + _bucket(g, char_n) for g in _char_grams(word, *char_range)] if char_n else []
    return np.asarray([_bucket(word, word_n), *chars], dtype=np.int32)


def _char_grams(word: str, lo: int, hi: int) -> list[str]:
    padded = f" {word} "
    out = []
    for n in range(lo, hi + 1):
        if len(padded) < n:
            break
        out.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
    return out


@register("lexical.v1")
class Lexical:
    name = "lexical.v1"

    def __init__(self, word_bits: int = 18, char_bits: int = 18, max_tokens: int = 160,
                 char_range: tuple[int, int] = (2, 5)) -> None:
        # char_bits=0 turns the char-gram block off (word n-grams only).
        self.word_n, self.char_n = 2 ** word_bits, (2 ** char_bits if char_bits else 0)
        self.word_bits, self.char_bits, self.max_tokens = word_bits, char_bits, max_tokens
        self.char_range = tuple(char_range)
        self.idf_word = np.ones(self.word_n, dtype=np.float32)
        self.idf_char = np.ones(self.char_n, dtype=np.float32)

    @property
    def n_features(self) -> int:
        return self.word_n + self.char_n

    def _counts(self, docs: Sequence[Doc]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Word and char gram counts, from the same per-word column cache the explanations use
        (equal to sklearn's HashingVectorizer word 1-2-grams and char_wb grams, tested)."""
        indptr, indices, data = [0], [], []
        for doc in docs:
            cols, counts = np.unique(self._grams(doc)[0], return_counts=True)
            indices.append(cols)
            data.append(counts)
            indptr.append(indptr[-1] + len(cols))
        m = sp.csr_matrix((np.concatenate(data) if data else np.zeros(0), np.concatenate(indices) if indices
                           else np.zeros(0, np.int64), np.asarray(indptr)), shape=(len(docs), self.n_features))
        return m[:, : self.word_n], m[:, self.word_n:]

    def _sklearn_counts(self, docs: Sequence[Doc]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """The reference implementation the cache must match (used by the tests)."""
        from sklearn.feature_extraction.text import HashingVectorizer

        texts = [d.window(self.max_tokens) for d in docs]
        word = HashingVectorizer(n_features=self.word_n, analyzer="word", token_pattern=r"\S+", lowercase=False,
                                 ngram_range=(1, 2), alternate_sign=False, norm=None)
        char = HashingVectorizer(n_features=max(self.char_n, 1), analyzer="char_wb", lowercase=False,
                                 ngram_range=self.char_range, alternate_sign=False, norm=None)
        chars = char.transform(texts).tocsr() if self.char_n else sp.csr_matrix((len(docs), 0))
        return word.transform(texts).tocsr(), chars

    @staticmethod
    def _idf(counts: sp.csr_matrix) -> np.ndarray:
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        return (np.log((1 + counts.shape[0]) / (1 + df)) + 1).astype(np.float32)

    def fit(self, docs: Sequence[Doc]) -> "Lexical":
        w, c = self._counts(docs)
        _GRAM_MEMO.clear()
        self.idf_word, self.idf_char = self._idf(w), self._idf(c)
        return self

    @staticmethod
    def _weigh(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
        m = counts.astype(np.float32)
        m.data = (1 + np.log(m.data)) * idf[m.indices]
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1
        return sp.csr_matrix(sp.diags(1 / norms) @ m)

    def transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        _GRAM_MEMO.clear()
        w, c = self._counts(docs)
        return sp.hstack([self._weigh(w, self.idf_word), self._weigh(c, self.idf_char)], format="csr")

    def column_name(self, column: int, doc: Doc) -> str:
        return "word n-gram" if column < self.word_n else "char n-gram"

    def _grams(self, doc: Doc) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Every gram of this doc as (column, owner), owners being token positions for words and
        char grams, and len(tokens) + i for the bigram starting at token i. Memoised per doc:
        rating computes features and then explanations from the same grams."""
        key = (id(doc), self.word_n, self.char_n)
        hit = _GRAM_MEMO.get(key)
        if hit is not None and hit[0] is doc:
            return hit[1]
        toks = doc.tokens[: self.max_tokens]
        per_tok = [_token_columns(t, self.word_n, self.char_n, self.char_range) for t in toks]
        bigrams = [f"{a} {b}" for a, b in zip(toks, toks[1:])]
        cols = np.concatenate([*per_tok, np.fromiter((_bigram_bucket(g, self.word_n) for g in bigrams), np.int32,
                                                     len(bigrams))]) if toks else np.zeros(0, np.int32)
        owners = np.concatenate([np.repeat(np.arange(len(toks), dtype=np.int32), [len(c) for c in per_tok]),
                                 np.arange(len(toks), len(toks) + len(bigrams), dtype=np.int32)]) if toks else cols
        if len(_GRAM_MEMO) < _GRAM_MEMO_MAX:
            _GRAM_MEMO[key] = (doc, (cols, owners, bigrams))
        return cols, owners, bigrams

    def attribute(self, doc: Doc, cols: np.ndarray, vals: np.ndarray, top: int | None = None
                  ) -> list[tuple[str, float, Span | None]]:
        """Each column's contribution is shared equally among the grams of this doc that hash to it,
        then summed per word (its unigram and char grams) and per bigram: exact, nothing dropped.
        With `top`, only the `top` largest by size are returned."""
        gcols, owners, bigrams = self._grams(doc)
        if not len(gcols):
            return []
        uniq, inverse, counts = np.unique(gcols, return_inverse=True, return_counts=True)
        order = np.argsort(cols)
        sorted_cols, sorted_vals = cols[order], vals[order]
        pos = np.minimum(np.searchsorted(sorted_cols, uniq), max(len(cols) - 1, 0))
        found = sorted_cols[pos] == uniq if len(cols) else np.zeros(len(uniq), bool)
        value = np.where(found, sorted_vals[pos] if len(cols) else 0.0, 0.0) / counts
        n_tok = len(doc.tokens[: self.max_tokens])
        per_owner = np.bincount(owners, weights=value[inverse], minlength=n_tok + len(bigrams))
        keys = [*doc.tokens[:n_tok], *bigrams]
        ids: dict[str, int] = {}
        owner_ids = np.fromiter((ids.setdefault(k, len(ids)) for k in keys), np.int64, len(keys))
        per_gram = np.bincount(owner_ids, weights=per_owner, minlength=len(ids))
        firsts = np.full(len(ids), len(keys))
        np.minimum.at(firsts, owner_ids, np.arange(len(keys)))
        chosen = np.flatnonzero(per_gram)
        if top is not None and len(chosen) > top:
            chosen = chosen[np.argsort(-np.abs(per_gram[chosen]), kind="stable")[:top]]
        out = []
        for g in chosen.tolist():
            o = int(firsts[g])
            a, b = (o, o) if o < n_tok else (o - n_tok, o - n_tok + 1)
            start, end = doc.offsets[a][0], doc.offsets[b][1]
            out.append((f"{self.name}:{keys[o]}", float(per_gram[g]), Span(start, end, doc.text[start:end])))
        return out

    def params(self) -> dict[str, object]:
        return {"word_bits": self.word_bits, "char_bits": self.char_bits, "max_tokens": self.max_tokens,
                "char_range": list(self.char_range)}

    def state(self) -> dict[str, np.ndarray]:
        return {"idf_word": self.idf_word, "idf_char": self.idf_char}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.idf_word = state["idf_word"].astype(np.float32)
        self.idf_char = state["idf_char"].astype(np.float32)
