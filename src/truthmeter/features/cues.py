"""Evidence cue families: who says it (sourcing), how sure (hedging), how loud (sensational),
and denials. Each cue is a count of pattern matches, log-scaled and standardised on training data.

Patterns allow ARG-style spacing around punctuation, so tokenised and raw text count the same.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from truthmeter.features._base import Doc, Span, register

__all__ = ["CueFamily", "CUES", "TRIGGERS", "token_words", "search"]

_I = re.I
# A cue is a pattern, or a function giving the spans it found.
Matcher = "re.Pattern[str] | Callable[[Doc], list[tuple[int, int]]]"
Cue = tuple[str, Matcher]

CUES: dict[str, list[Cue]] = {
    "sourcing.v1": [
        ("anonymous source", re.compile(
            r"\b(?:a|an|one|another)\s+(?:\w+\s+)?(?:source|insider|pal|tipster)s?\b|"
            r"\b(?:friend|source|insider)s?\s+close\s+to\b|\bsources?\s+(?:say|said|tell|told|claim|reveal)", _I)),
        ("told a named outlet", re.compile(r"\b(?:told|tells|telling)\s+(?:[A-Z][A-Za-z!.]+|E\s*!)")),
        ("representative on record", re.compile(
            r"\b(?:rep|representative|spokes(?:person|man|woman)|publicist|attorney|lawyer)s?\s+for\b|"
            r"\bin\s+a\s+(?:joint\s+)?statement\b", _I)),
        ("own social post", re.compile(r"\btook\s+to\s+(?:twitter|instagram|facebook)\b|\b(?:tweeted|instagram\s+story)\b", _I)),
        ("interview", re.compile(r"\b(?:interview|cover\s+story|podcast|appearance\s+on)\b", _I)),
        ("named quote", lambda d: [(q.start, q.end) for q in d.quotes if q.on_record]),
        ("anonymous quote", lambda d: [(q.start, q.end) for q in d.quotes if not q.on_record]),
    ],
    "hedging.v1": [
        ("hedge word", re.compile(
            r"\b(?:reportedly|allegedly|rumou?r(?:s|ed)?|supposedly|apparently|speculat\w*|whispers?)\b", _I)),
        ("maybe", re.compile(r"\b(?:may|might|could)\s+(?:be|have)\b|\bit\s+seems\b|\bis\s+said\s+to\b", _I)),
        ("claims", re.compile(r"\bclaim(?:s|ed)?\b", _I)),
    ],
    "sensational.v1": [
        ("exclamation", re.compile(r"!")),
        ("question", re.compile(r"\?")),
        ("loud word", re.compile(
            r"\b(?:shock\w*|bombshell|stunn\w*|explosive|heartbreak\w*|devastat\w*|furious|meltdown|slams?|"
            r"feud\w*|desperate|jaw\W+dropping|scandal\w*|secret\w*|exclusive|insane|crazy|omg)\b", _I)),
        ("capitals", re.compile(r"\b[A-Z]{4,}\b")),
    ],
    "denial.v1": [
        ("denial", re.compile(
            r"\b(?:den(?:y|ied|ies|ying)|untrue|not\s+true|fabricat\w*|made\s+up|baseless|no\s+truth|"
            r"false(?:ly)?|debunk\w*|shut\s+down)\b", _I)),
        ("confirmation", re.compile(r"\bconfirm(?:s|ed|ing)?\b", _I)),
    ],
}


# Cues whose every match holds one of these lowercased words as a whole token (or a token starting with
# one of the prefixes): each pattern's first or last word stands between \b or \s, so it is a token of
# its own (tokens are the text's alphanumeric runs). A doc with none of them is not searched: the regex
# scans cost ~80 us an article and find nothing in most. tests/test_cue_triggers.py holds this to the
# regexes on real and generated text.
TRIGGERS: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    "anonymous source": (frozenset({"source", "sources", "insider", "insiders", "pal", "pals", "tipster",
                                    "tipsters", "friend", "friends"}), ()),
    "told a named outlet": (frozenset({"told", "tells", "telling"}), ()),
    "representative on record": (frozenset(
        {f"{w}{s}" for w in ("rep", "representative", "spokesperson", "spokesman", "spokeswoman", "publicist",
                             "attorney", "lawyer") for s in ("", "s")} | {"statement"}), ()),
    "own social post": (frozenset({"twitter", "instagram", "facebook", "tweeted"}), ()),
    "interview": (frozenset({"interview", "cover", "podcast", "appearance"}), ()),
    "confirmation": (frozenset({"confirm", "confirms", "confirmed", "confirming"}), ()),
    "denial": (frozenset({"deny", "denied", "denies", "denying", "untrue", "true", "made", "baseless", "truth",
                          "false", "falsely", "shut"}), ("fabricat", "debunk")),
}
# Characters that re.IGNORECASE matches to ASCII letters: a text holding one is always searched.
_CASE_SPECIAL = ("\u0130", "\u0131", "\u017f", "\u212a")


def token_words(doc: Doc) -> frozenset[str] | None:
    """The doc's tokens as a set, when they are every alphanumeric run of its text as the cue regexes
    see it (None when a fact-checker's name was masked or a case-special character is present)."""
    text = doc.text
    if "factchecker" in doc.tokens or not (text.isascii() or not any(c in text for c in _CASE_SPECIAL)):
        return None
    return frozenset(doc.tokens)


def search(pattern: "re.Pattern[str]", label: str, doc: Doc, words: frozenset[str] | None) -> "re.Match[str] | None":
    """`pattern.search(doc.text)`, skipped when the doc lacks the cue's trigger words (see TRIGGERS);
    `words` is `token_words(doc)`."""
    trigger = TRIGGERS.get(label)
    if words is not None and trigger is not None and words.isdisjoint(trigger[0]):
        if not trigger[1]:
            return None
        lowered = doc.text.lower()
        if not any(p in lowered for p in trigger[1]):
            return None
    return pattern.search(doc.text)


def _count(cue: Matcher, doc: Doc) -> int:  # type: ignore[valid-type]
    return len(cue(doc)) if callable(cue) else len(cue.findall(doc.text))


def _spans(cue: Matcher, doc: Doc) -> list[tuple[int, int]]:  # type: ignore[valid-type]
    return cue(doc) if callable(cue) else [m.span() for m in cue.finditer(doc.text)]


class CueFamily:
    def __init__(self, name: str, scale: float = 1.0) -> None:
        # `scale` < 1 makes the L2 penalty dearer for cue weights: at unit scale a handful of dense
        # cue columns outweighed thousands of sparse n-grams and overfitted (bench/baseline_gap.py).
        self.name, self.scale = name, float(scale)
        self.cues = CUES[name]
        self.std = np.ones(len(self.cues), dtype=np.float32)

    @property
    def n_features(self) -> int:
        return len(self.cues)

    def _raw(self, docs: Sequence[Doc]) -> np.ndarray:
        counts = [[_count(c, d) for _, c in self.cues] for d in docs]
        return np.log1p(np.array(counts, dtype=np.float32).reshape(len(docs), len(self.cues)))

    def fit(self, docs: Sequence[Doc]) -> "CueFamily":
        # Scaled but not centred: an absent cue is exactly 0, so it contributes nothing and
        # never shows up as a reason (the intercept carries the baseline).
        self.std = self._raw(docs).std(axis=0)
        self.std[self.std == 0] = 1
        return self

    def transform(self, docs: Sequence[Doc]) -> sp.csr_matrix:
        return sp.csr_matrix(self._raw(docs) * (self.scale / self.std))


    def attribute(self, doc: Doc, cols: np.ndarray, vals: np.ndarray, top: int | None = None
                  ) -> list[tuple[str, float, Span | None]]:
        out = []
        for col, weight in zip(cols.tolist(), vals.tolist()):
            label, cue = self.cues[col]
            found = _spans(cue, doc)
            span = Span(found[0][0], found[0][1], doc.text[found[0][0]:found[0][1]]) if found else None
            out.append((f"{self.name}:{label}", weight, span))
        return out

    def params(self) -> dict[str, object]:
        return {} if self.scale == 1.0 else {"scale": self.scale}

    def state(self) -> dict[str, np.ndarray]:
        return {"std": self.std}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.std = state["std"]


for _name in CUES:
    register(_name)(lambda _n=_name, **params: CueFamily(_n, **params))
