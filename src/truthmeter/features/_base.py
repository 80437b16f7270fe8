from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import numpy as np
import scipy.sparse as sp

from truthmeter.errors import ModelError
from truthmeter.types import Article

__all__ = ["Doc", "Span", "FeatureFamily", "FACT_CHECKERS", "make_doc", "register", "create", "registry"]

# Tokens are runs of letters/digits; punctuation and spacing are dropped, so ARG's
# space-tokenised text ("ex - wife") and a real article ("ex-wife") give the same tokens.
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "é": "e", "É": "E"})


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Doc:
    """What the features see of an article: its text (title + body) and its tokens with offsets."""

    text: str
    tokens: tuple[str, ...]
    offsets: tuple[tuple[int, int], ...]
    n_quotes_named: int = 0
    n_quotes_anonymous: int = 0

    def window(self, max_tokens: int) -> str:
        return " ".join(self.tokens[:max_tokens])


def _tokenize(text: str) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    folded = text.translate(_FOLD)
    toks, offs = [], []
    for m in _TOKEN.finditer(folded):
        toks.append(m.group().lower())
        offs.append(m.span())
    return tuple(toks), tuple(offs)


# Fact-checkers' names are masked: in GossipCop data, pages naming "Gossip Cop" are its own debunks,
# so the name itself would become a "fake" feature and a 10/10 fact-check would be called fake.
FACT_CHECKERS = re.compile(r"\b(?:gossip\s*cop|snopes|politifact|factcheck\s*\.?\s*org|lead\s+stories)\b", re.I)

_ANON = re.compile(r"^(a|an|one|another)\b|^(sources?|insiders?)\b", re.I)


def _mask_fact_checkers(text: str, tokens: tuple[str, ...], offsets: tuple[tuple[int, int], ...]
                        ) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    spans = [m.span() for m in FACT_CHECKERS.finditer(text)]
    if not spans:
        return tokens, offsets
    toks, offs = [], []
    for tok, (a, b) in zip(tokens, offsets):
        hit = next((s for s in spans if s[0] <= a < s[1]), None)
        if hit is None:
            toks.append(tok)
            offs.append((a, b))
        elif a == hit[0]:
            toks.append("factchecker")
            offs.append(hit)
    return tuple(toks), tuple(offs)


# ARG training text is the first ~900 characters of each article (about 160 tokens). Every doc is
# cut to the same window, so counts and n-grams mean the same in training and in rating.
WINDOW_TOKENS = 160


def make_doc(article: Article, window: int = WINDOW_TOKENS) -> Doc:
    # A title made from (or repeating) the body's first sentence is not said twice.
    with_title = bool(article.title and article.body and not article.body.startswith(article.title))
    full = f"{article.title}\n\n{article.body}" if with_title else (article.body or article.title)
    tokens, offsets = _mask_fact_checkers(full, *_tokenize(full))
    tokens, offsets = tokens[:window], offsets[:window]
    text = full[: offsets[-1][1]] if len(tokens) == window else full
    # Quote offsets are into the body; the title and blank line come first in the doc text.
    shift = len(article.title) + 2 if with_title else 0
    inside = [q for q in article.quotes if q.start + shift < len(text)]
    named = sum(1 for q in inside if q.speaker and not _ANON.search(q.speaker))
    anon = sum(1 for q in inside if q.speaker and _ANON.search(q.speaker))
    return Doc(text, tokens, offsets, named, anon)


class FeatureFamily(Protocol):
    name: str

    @property
    def n_features(self) -> int: ...

    def fit(self, docs: Sequence[Doc]) -> "FeatureFamily": ...

    def transform(self, docs: Sequence[Doc]) -> sp.csr_matrix: ...

    def column_name(self, column: int, doc: Doc) -> str: ...

    def attribute(self, doc: Doc, cols: np.ndarray, vals: np.ndarray) -> list[tuple[str, float, Span | None]]:
        """Group this doc's per-column contributions (family-local columns and their values)
        into named signals with their text spans."""
        ...

    def params(self) -> dict[str, object]: ...

    def state(self) -> dict[str, np.ndarray]: ...

    def load_state(self, state: dict[str, np.ndarray]) -> None: ...


_REGISTRY: dict[str, Callable[..., FeatureFamily]] = {}


def register(name: str) -> Callable[[Callable[..., FeatureFamily]], Callable[..., FeatureFamily]]:
    def deco(factory: Callable[..., FeatureFamily]) -> Callable[..., FeatureFamily]:
        _REGISTRY[name] = factory
        return factory
    return deco


def create(name: str, params: dict[str, object] | None = None) -> FeatureFamily:
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise ModelError(f"unknown feature family {name!r} (known: {', '.join(sorted(_REGISTRY))})") from None
    return factory(**(params or {}))


def registry() -> dict[str, Callable[..., FeatureFamily]]:
    return dict(_REGISTRY)
