"""lexical.v1: hashed word 1-2-grams and char 2-5-grams with learned IDF (small, stateless vocab)."""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

from truthmeter.features._base import Doc, Span, register

__all__ = ["Lexical"]


def _bucket(gram: str, n: int) -> int:
    h = murmurhash3_32(gram, seed=0, positive=False)
    # Mirrors sklearn's hashing so explanations land on the columns the model used.
    return (2147483647 - (n - 1)) % n if h == -2147483648 else abs(h) % n


@lru_cache(maxsize=200_000)
def _char_buckets(word: str, lo: int, hi: int, n: int) -> tuple[int, ...]:
    # Words repeat across articles, so explaining a batch hashes each word's grams once.
    return tuple(_bucket(g, n) for g in _char_grams(word, lo, hi))


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
        self.word_n, self.char_n = 2 ** word_bits, 2 ** char_bits
        self.word_bits, self.char_bits, self.max_tokens = word_bits, char_bits, max_tokens
        self.char_range = tuple(char_range)
        self._word = HashingVectorizer(n_features=self.word_n, analyzer="word", token_pattern=r"\S+",
                                       lowercase=False, ngram_range=(1, 2), alternate_sign=False, norm=None)
        self._char = HashingVectorizer(n_features=self.char_n, analyzer="char_wb", lowercase=False,
                                       ngram_range=self.char_range, alternate_sign=False, norm=None)
        self.idf_word = np.ones(self.word_n, dtype=np.float32)
        self.idf_char = np.ones(self.char_n, dtype=np.float32)

    @property
    def n_features(self) -> int:
        return self.word_n + self.char_n

    def _counts(self, docs: Sequence[Doc]) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        texts = [d.window(self.max_tokens) for d in docs]
        return self._word.transform(texts).tocsr(), self._char.transform(texts).tocsr()

    @staticmethod
    def _idf(counts: sp.csr_matrix) -> np.ndarray:
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        return (np.log((1 + counts.shape[0]) / (1 + df)) + 1).astype(np.float32)

    def fit(self, docs: Sequence[Doc]) -> "Lexical":
        w, c = self._counts(docs)
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
        w, c = self._counts(docs)
        return sp.hstack([self._weigh(w, self.idf_word), self._weigh(c, self.idf_char)], format="csr")

    def column_name(self, column: int, doc: Doc) -> str:
        return "word n-gram" if column < self.word_n else "char n-gram"

    def _occurrences(self, doc: Doc) -> dict[int, list[tuple[str, list[int]]]]:
        """Column -> the grams of this doc that hash there, each with the token positions behind it."""
        toks = doc.tokens[: self.max_tokens]
        occ: dict[int, list[tuple[str, list[int]]]] = defaultdict(list)
        for i, t in enumerate(toks):
            occ[_bucket(t, self.word_n)].append((t, [i]))
            if i + 1 < len(toks):
                bg = f"{t} {toks[i + 1]}"
                occ[_bucket(bg, self.word_n)].append((bg, [i, i + 1]))
            for b in _char_buckets(t, *self.char_range, self.char_n):
                occ[self.word_n + b].append((t, [i]))
        return occ

    def attribute(self, doc: Doc, contrib: dict[int, float]) -> list[tuple[str, float, Span | None]]:
        occ = self._occurrences(doc)
        by_gram: dict[str, float] = defaultdict(float)
        where: dict[str, list[int]] = {}
        for col, value in contrib.items():
            hits = occ.get(col)
            if not hits:
                continue
            share = value / len(hits)
            for gram, positions in hits:
                by_gram[gram] += share
                where.setdefault(gram, positions)
        out = []
        for gram, weight in by_gram.items():
            pos = where[gram]
            start, end = doc.offsets[pos[0]][0], doc.offsets[pos[-1]][1]
            out.append((f"{self.name}:{gram}", weight, Span(start, end, doc.text[start:end])))
        return out

    def params(self) -> dict[str, object]:
        return {"word_bits": self.word_bits, "char_bits": self.char_bits, "max_tokens": self.max_tokens,
                "char_range": list(self.char_range)}

    def state(self) -> dict[str, np.ndarray]:
        return {"idf_word": self.idf_word, "idf_char": self.idf_char}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.idf_word = state["idf_word"].astype(np.float32)
        self.idf_char = state["idf_char"].astype(np.float32)
