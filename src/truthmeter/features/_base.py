from __future__ import annotations

import re
from itertools import accumulate
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import numpy as np
import scipy.sparse as sp

from truthmeter.errors import ModelError
from truthmeter.features import _accel
from truthmeter.features.outlet import outlet_key
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
class QuoteSpan:
    start: int
    end: int
    on_record: bool  # a named speaker, not "a source" / "an insider"


@dataclass(frozen=True)
class Doc:
    """What the features see of an article: `Article.text` cut to the training window, its tokens
    with offsets, and its attributed quotes (offsets into `text`)."""

    text: str
    tokens: tuple[str, ...]
    offsets: tuple[tuple[int, int], ...]
    quotes: tuple[QuoteSpan, ...] = ()
    outlet: str | None = None  # outlet.v1's key: URL domain, else the outlet's name

    def window(self, max_tokens: int) -> str:
        return " ".join(self.tokens[:max_tokens])


def _tokenize(text: str) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    # _FOLD maps one character to one, so offsets into `folded` are offsets into `text`.
    folded = text.translate(_FOLD)
    toks, gaps = _TOKEN.findall(folded), _TOKEN.split(folded)
    # Offsets from the lengths of gap, token, gap, token, ...: C-level work instead of a match loop.
    ends = list(accumulate(len(x) for pair in zip(gaps, toks) for x in pair))
    return tuple(t.lower() for t in toks), tuple(zip(ends[0::2], ends[1::2]))


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


def _tokens(text: str, window: int) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
    """The text's tokens, fact-checkers masked: the first `window` at least (all in the pure path)."""
    if _accel.FAST is not None:
        # The C tokenizer stops after `window` tokens and says whether any of them could begin a
        # fact-checker's name (a superset test); only then is the exact regex path needed.
        tokens, offsets, maybe = _accel.FAST.tokenize(text, window)
        if not maybe:
            return tokens, offsets
    return _mask_fact_checkers(text, *_tokenize(text))


def make_doc(article: Article, window: int = WINDOW_TOKENS) -> Doc:
    full = article.text
    # 160 tokens rarely need 40 characters each: read a prefix, and the whole text only if short of tokens.
    head = full[: window * 40]
    tokens, offsets = _tokens(head, window)
    if len(tokens) < window and len(head) < len(full):
        tokens, offsets = _tokens(full, window)
    tokens, offsets = tokens[:window], offsets[:window]
    text = full[: offsets[-1][1]] if len(tokens) == window else full
    # Quote offsets are into the body; in the doc text the title and a blank line may come first.
    shift = len(article.title) + 2 if article.title_in_text else 0
    quotes = tuple(QuoteSpan(q.start + shift, q.end + shift, not (q.speaker and _ANON.search(q.speaker)))
                   for q in article.quotes if q.speaker and q.end + shift <= len(text))
    return Doc(text, tokens, offsets, quotes, outlet_key(article))


class FeatureFamily(Protocol):
    name: str

    @property
    def n_features(self) -> int: ...

    def fit(self, docs: Sequence[Doc]) -> "FeatureFamily": ...

    def transform(self, docs: Sequence[Doc]) -> sp.csr_matrix: ...


    def attribute(self, doc: Doc, cols: np.ndarray, vals: np.ndarray, top: int | None = None
                  ) -> list[tuple[str, float, Span | None]]:
        """Group this doc's per-column contributions (family-local columns and their values)
        into named signals with their text spans; with `top`, at least the `top` largest."""
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
