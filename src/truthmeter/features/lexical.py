"""lexical.v1: hashed word 1-2-grams and char 2-5-grams with learned IDF (small, stateless vocab)."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse as sp

from truthmeter.features._base import Doc, Span, register
from truthmeter.features._grams import BatchGrams, GramShape, attribute_batch, batch_counts, batch_grams
from truthmeter.features._weigh import weighted

__all__ = ["Lexical"]

# Counting in chunks bounds memory when fitting on many docs.
_CHUNK = 2048


@register("lexical.v1")
class Lexical:
    name = "lexical.v1"
    lean_transform = True  # transform(docs, explain=False): counts only, nothing kept for explaining

    def __init__(self, word_bits: int = 18, char_bits: int = 18, max_tokens: int = 160,
                 char_range: tuple[int, int] = (2, 5)) -> None:
        # char_bits=0 turns the char-gram block off (word n-grams only).
        self.word_bits, self.char_bits, self.max_tokens = word_bits, char_bits, max_tokens
        self.shape = GramShape(2 ** word_bits, 2 ** char_bits if char_bits else 0, tuple(char_range), max_tokens)
        self.word_n, self.char_n, self.char_range = self.shape.word_n, self.shape.char_n, self.shape.char_range
        self.idf_word = np.ones(self.word_n, dtype=np.float32)
        self.idf_char = np.ones(self.char_n, dtype=np.float32)
        self._last: BatchGrams | None = None

    @property
    def n_features(self) -> int:
        return self.shape.n_features

    def _counts(self, docs: Sequence[Doc], explain: bool = True) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """Word and char gram counts (equal to sklearn's HashingVectorizer word 1-2-grams and
        char_wb grams, tested)."""
        m = self._all_counts(docs, explain)
        return m[:, : self.word_n], m[:, self.word_n:]

    def _all_counts(self, docs: Sequence[Doc], explain: bool = True) -> sp.csr_matrix:
        """Both blocks' counts, word columns first. With `explain`, the batch's grams are kept for
        explaining it next (the last chunk's only: a caller explaining a batch keeps it within _CHUNK
        docs); without, only the counts are built (the same matrix, less work)."""
        parts = []
        self._last = None
        for i in range(0, len(docs), _CHUNK):
            chunk = docs if len(docs) <= _CHUNK else docs[i:i + _CHUNK]
            if explain:
                self._last = batch_grams(chunk, self.shape)
                parts.append(self._last.counts(self.n_features))
            else:
                parts.append(batch_counts(chunk, self.shape))
        if len(parts) == 1:
            return parts[0]
        return sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, self.n_features), dtype=np.float32)

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
        w, c = self._counts(docs, explain=False)
        self.idf_word, self.idf_char = self._idf(w), self._idf(c)
        return self

    @staticmethod
    def _weigh(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
        m = counts.astype(np.float32)
        m.data = (1 + np.log(m.data)) * idf[m.indices]
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1
        return sp.csr_matrix(sp.diags(1 / norms) @ m)

    def transform(self, docs: Sequence[Doc], explain: bool = True) -> sp.csr_matrix:
        """The weighted counts; `explain=False` when no explanation of these docs will follow."""
        counts = self._all_counts(docs, explain)
        X = weighted(counts, self.word_n, self.idf_word, self.idf_char)
        return X if X is not None else self._reference_weights(counts)

    def _reference_weights(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Each block weighed on its own and stacked: the formula `weighted` reproduces (tested)."""
        w, c = counts[:, : self.word_n], counts[:, self.word_n:]
        return sp.hstack([self._weigh(w, self.idf_word), self._weigh(c, self.idf_char)], format="csr")


    def _span(self, doc: Doc, a: int, b: int) -> Span:
        start, end = doc.offsets[a][0], doc.offsets[b][1]
        return Span(start, end, doc.text[start:end])

    def attribute(self, doc: Doc, cols: np.ndarray, vals: np.ndarray, top: int | None = None
                  ) -> list[tuple[str, float, Span | None]]:
        """Each column's contribution is shared equally among the grams of this doc that hash to it,
        then summed per word (its unigram and char grams) and per bigram: exact, nothing dropped."""
        contrib = sp.csr_matrix((vals, (np.zeros(len(cols), np.int64), cols)), shape=(1, self.n_features))
        bg = batch_grams([doc], self.shape)
        return [(f"{self.name}:{k}", w, self._span(doc, a, b)) for k, w, a, b in attribute_batch(bg, contrib, top)[0]]

    def attribute_batch(self, docs: Sequence[Doc], contrib: sp.csr_matrix, top: int | None
                        ) -> list[list[tuple[str, float, Span | None]]]:
        """`attribute` for every doc of the batch just transformed, in a few numpy calls."""
        bg = self._last if self._last is not None and self._last.docs is docs else batch_grams(docs, self.shape)
        return [[(f"{self.name}:{k}", w, self._span(doc, a, b)) for k, w, a, b in per_doc]
                for doc, per_doc in zip(docs, attribute_batch(bg, contrib, top))]

    def params(self) -> dict[str, object]:
        return {"word_bits": self.word_bits, "char_bits": self.char_bits, "max_tokens": self.max_tokens,
                "char_range": list(self.char_range)}

    def state(self) -> dict[str, np.ndarray]:
        return {"idf_word": self.idf_word, "idf_char": self.idf_char}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.idf_word = state["idf_word"].astype(np.float32)
        self.idf_char = state["idf_char"].astype(np.float32)
