"""outlet.v1: each outlet's track record, learned from labelled articles with shrinkage.

An outlet's shrunk share of true stories, (true + a * prior) / (n + a), becomes a log-odds shift
relative to the prior. It is added to the text model's log-odds (independent evidence, naive-Bayes
style); unknown outlets shift nothing. Outlets are keyed by URL domain, else by normalised name.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit

import numpy as np

from truthmeter.types import Article

__all__ = ["OutletPrior", "outlet_key", "NAME"]

NAME = "outlet.v1"
_SPACE = re.compile(r"\s+")


def outlet_key(article: Article) -> str | None:
    """'dailymail.co.uk' for a URL (scheme optional, www. dropped), else the lower-cased outlet name."""
    if article.url:
        url = article.url if "//" in article.url else f"//{article.url}"
        host = (urlsplit(url).hostname or "").removeprefix("www.")
        if host:
            return host
    return _SPACE.sub(" ", article.outlet.strip().lower()) if article.outlet else None


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class OutletPrior:
    keys: tuple[str, ...]
    shift: np.ndarray  # log-odds shift per key, same order
    counts: np.ndarray  # labelled articles seen per key
    strength: float

    @classmethod
    def fit(cls, articles: Iterable[Article], strength: float = 10.0, min_count: int = 3) -> "OutletPrior":
        """`strength` is the prior's weight in articles: an outlet needs many more than that before
        its own record dominates."""
        seen: Counter[str] = Counter()
        true: Counter[str] = Counter()
        for a in articles:
            key = outlet_key(a)
            if key and a.label is not None:
                seen[key] += 1
                true[key] += 1 - int(a.label)
        if not seen:
            return cls((), np.zeros(0), np.zeros(0, np.int64), strength)
        prior = sum(true.values()) / sum(seen.values())
        keys = tuple(sorted(k for k, n in seen.items() if n >= min_count))
        shift = np.array([_logit((true[k] + strength * prior) / (seen[k] + strength)) - _logit(prior) for k in keys])
        return cls(keys, shift, np.array([seen[k] for k in keys]), strength)

    def lookup(self, key: str | None) -> float | None:
        """The log-odds shift for an outlet key, None when the outlet has no record."""
        if key is None or not self.keys:
            return None
        i = int(np.searchsorted(np.array(self.keys), key))
        return float(self.shift[i]) if i < len(self.keys) and self.keys[i] == key else None

    def state(self) -> dict[str, np.ndarray]:
        return {"keys": np.array(self.keys, dtype=str), "shift": self.shift, "counts": self.counts,
                "strength": np.array([self.strength])}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> "OutletPrior":
        return cls(tuple(str(k) for k in state["keys"]), state["shift"], state["counts"], float(state["strength"][0]))
