"""Reasons a reader can weigh: one article's model contributions, grouped into families with the
sentences behind them ("anonymous sourcing", "hedging", "outlet track record", ...). No I/O.

Faithful: the reasons are the model's actual contributions regrouped, never re-estimated. Each cue
family's and the lexical family's total is its block of the feature row times the coefficients, so
the weights of the kinds `in_score` plus the model's intercept add up exactly to the model's raw
score. The outlet's track record is a shift applied after calibration and a published fact-check
replaces the model's rating, so those two stand beside the sum (as they do among the signals).

The lexical total is split in two: the words and bigrams that are people's names (among the top
lexical contributions), shown as a prior about the subject ("stories about X in our data were often
false"), never as evidence; and the rest, "wording typical of false/true stories", whose weight is
the lexical total minus the names' part so that the sum stays exact. Function words, weekdays,
months and numbers are never shown as examples.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from truthmeter.features.outlet import NAME as OUTLET
from truthmeter.model.explain import to_signals
from truthmeter.types import Signal, Verdict
from truthmeter.wordlists import STOP_WORDS, first_names, is_filler

if TYPE_CHECKING:
    from truthmeter.features import Doc
    from truthmeter.model.classifier import Contribution, TruthModel

__all__ = ["ReasonKind", "Reason", "FamilyParts", "family_parts", "build_reasons", "explain_batch",
           "fact_check_reason", "gate_reasons", "signal_kind", "signal_label", "reason_for_signal", "story_reason_text",
           "REASON_TOP"]

# Lexical owners (words, bigrams) looked at per article for names and examples: names beyond these
# are too small to matter and stay in the wording remainder.
REASON_TOP = 10
_EXAMPLES = 4  # words or names shown per reason; cue reasons show at most 2 sentences
_SENTENCE_CHARS = 160


class ReasonKind(enum.Enum):
    FACT_CHECK = "fact_check"
    ANONYMOUS_SOURCING = "anonymous_sourcing"
    ON_RECORD = "on_record"
    HEDGING = "hedging"
    SENSATIONAL = "sensational"
    DENIAL_OR_CONFIRMATION = "denial_or_confirmation"
    OUTLET = "outlet"
    SUBJECT_PRIOR = "subject_prior"
    WORDING = "wording"
    OTHER = "other"
    # The verdict gate (rating.py), not a share of the score: why there is no rating, why it stops at
    # Mostly true/false, or the evidence that lets it say True or False.
    UNRATED = "unrated"
    CAPPED = "capped"

    @property
    def is_gate(self) -> bool:
        return self in (ReasonKind.UNRATED, ReasonKind.CAPPED)

    @property
    def in_score(self) -> bool:
        """Whether this kind is part of the model's raw score (sums with the intercept to it)."""
        return self not in (ReasonKind.FACT_CHECK, ReasonKind.OUTLET, ReasonKind.UNRATED, ReasonKind.CAPPED)


_LABELS = {
    ReasonKind.FACT_CHECK: "published fact-check rating",
    ReasonKind.ANONYMOUS_SOURCING: "anonymous sourcing",
    ReasonKind.ON_RECORD: "on-the-record quote",
    ReasonKind.HEDGING: "hedging",
    ReasonKind.SENSATIONAL: "sensational wording",
    ReasonKind.DENIAL_OR_CONFIRMATION: "denial or confirmation",
    ReasonKind.OUTLET: "outlet track record",
    ReasonKind.OTHER: "other writing cues",
    ReasonKind.UNRATED: "not enough to judge",
    ReasonKind.CAPPED: "not enough evidence for a firm verdict",
}

# Cue families by name prefix (the version may change); sourcing cues split by who is speaking.
_FAMILY_KINDS = {"hedging": ReasonKind.HEDGING, "sensational": ReasonKind.SENSATIONAL,
                 "denial": ReasonKind.DENIAL_OR_CONFIRMATION}
_ANONYMOUS_CUES = frozenset({"anonymous source", "anonymous quote"})
_ON_RECORD_CUES = frozenset({"named quote", "representative on record", "told a named outlet", "own social post",
                             "interview"})


def cue_kind(family: str, cue: str) -> ReasonKind:
    base = family.split(".")[0]
    if base == "sourcing":
        return (ReasonKind.ANONYMOUS_SOURCING if cue in _ANONYMOUS_CUES
                else ReasonKind.ON_RECORD if cue in _ON_RECORD_CUES else ReasonKind.OTHER)
    return _FAMILY_KINDS.get(base, ReasonKind.OTHER)


@dataclass(frozen=True)
class Reason:
    """One family of contributions in a reader's words. `weight` is the family's summed share of the
    log-odds that the story is true (+ towards true; for FACT_CHECK, rating points from 5, as its
    signal); `examples` are the passages behind it (a few); `subject` names the person of a
    SUBJECT_PRIOR reason."""

    kind: ReasonKind
    label: str
    weight: float
    examples: tuple[str, ...] = ()
    subject: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind.value, "label": self.label, "weight": round(self.weight, 4),
                "examples": list(self.examples), "subject": self.subject}


# --- exact family totals from the feature row --------------------------------------------------------

@dataclass
class FamilyParts:
    """One article's exact contributions by family: each cue (family, cue label, weight, spans) and
    the lexical and other blocks' totals."""

    cues: list[tuple[str, str, float, list[tuple[int, int]]]] = field(default_factory=list)
    lexical: float = 0.0
    other: float = 0.0
    lexical_names: tuple[str, ...] = ()  # the lexical families' registry names, to pick their owners


def _is_lexical(name: str) -> bool:
    return name.split(".")[0] == "lexical"


def _cue_spans(matcher: object, doc: "Doc") -> list[tuple[int, int]]:
    return matcher(doc) if callable(matcher) else [m.span() for m in matcher.finditer(doc.text)]  # type: ignore


def family_parts(model: "TruthModel", docs: Sequence["Doc"], X: sp.csr_matrix) -> list[FamilyParts]:
    """Each doc's contributions summed per column block: X-row times coef, no per-gram work."""
    coef = model.coef64()
    out = [FamilyParts(lexical_names=tuple(f.name for f in model.families if _is_lexical(f.name))) for _ in docs]
    offset = 0
    for fam in model.families:
        whole = offset == 0 and fam.n_features == X.shape[1]  # no copy of the matrix for one family
        block = X if whole else X[:, offset: offset + fam.n_features]
        w = coef[offset: offset + fam.n_features]
        offset += fam.n_features
        cues = getattr(fam, "cues", None)
        if cues is not None:  # a handful of columns: keep each cue apart
            dense = np.asarray(block.todense(), dtype=np.float64) * w
            for parts, doc, row in zip(out, docs, dense):
                parts.cues.extend((fam.name, label, float(v), _cue_spans(m, doc))
                                  for (label, m), v in zip(cues, row) if v != 0.0)
            continue
        totals = np.asarray(block @ w, dtype=np.float64).ravel()
        for parts, t in zip(out, totals.tolist()):
            if _is_lexical(fam.name):
                parts.lexical += t
            else:
                parts.other += t
    return out


# --- people in the text ------------------------------------------------------------------------------

# Words a capitalised name run may hold after its first name ("Khloé Kardashian", "Mary Kate Olsen").
_NAME_RUN = 3


def _people(doc: "Doc") -> dict[str, str]:
    """Folded name word -> the person it stands for, as written in the text ("Khloé Kardashian").

    A person is a run of capitalised words that opens with a known first name (the gazetteer); its
    surname then names them wherever it stands alone ("Kardashian said"). A run stops at a word the
    text also writes in lower case, so a Title Case headline ("Jennifer Aniston Secretly Engaged")
    does not swallow the words after the name, and of one first name's runs the shortest full name
    wins ("Jennifer Aniston" over the headline's longer run). One pass with set look-ups: a full
    name finder costs more than the rest of an explanation.
    """
    keys = list(map(_fold, doc.tokens))
    text, offsets, gazetteer = doc.text, doc.offsets, first_names()
    caps = [text[a].isupper() for a, _ in offsets]  # a token is never empty: text[a] is its first character
    lower_seen = {k for k, c in zip(keys, caps) if not c}
    found: dict[str, list[tuple[int, int]]] = {}  # first name -> its runs (start, end)
    for i in compress(range(len(keys)), caps):
        k = keys[i]
        if k not in gazetteer or k in lower_seen:
            continue
        j = i + 1
        while j < len(keys) and j <= i + _NAME_RUN and caps[j] and keys[j] not in STOP_WORDS \
                and keys[j] not in gazetteer and (j == i + 1 or keys[j] not in lower_seen):
            j += 1  # the surname itself may be an everyday word ("Taylor Swift"): it names, not counts
        found.setdefault(k, []).append((i, j))
    if not found:
        return {}
    counts = Counter(keys)
    # Of one first name's runs: a full name before a lone first name, then the surname the text
    # repeats most ("Khloé Kardashian" over the headline's "Khloé Defends"), then the shortest.
    pick = lambda r: (r[1] - r[0] > 1, counts[keys[r[1] - 1]], -(r[1] - r[0]))  # noqa: E731
    owners: dict[str, set[str]] = {}
    for i, j in (max(rs, key=pick) for rs in found.values()):
        shown = text[offsets[i][0]: offsets[j - 1][1]]
        for w in keys[i:j]:
            owners.setdefault(w, set()).add(shown)
    # A word shared by two people ("Kardashian" in Kim's and Khloé's names) stands for itself.
    return {w: (next(iter(p)) if len(p) == 1 else w.title()) for w, p in owners.items()
            if w not in STOP_WORDS and w not in lower_seen}


class _Folded(dict):  # type: ignore[type-arg]
    """Token -> the name finder's key for it ("khloé" -> "khloe"). Words repeat, so each is folded once;
    a plain dict's C lookup is what makes the per-token cost small (an lru_cache call costs ~3x)."""

    def __missing__(self, token: str) -> str:
        from truthmeter.stories.people import names_key

        if len(self) >= 50_000:  # bounded: a long run's vocabulary would otherwise only grow
            self.clear()
        key = self[token] = names_key(token)
        return key


_fold = _Folded().__getitem__


def _person_of(key: str, people: dict[str, str]) -> str | None:
    """The person a folded token names, if any."""
    if key in people:
        return people[key]
    # "the Kardashians": a plural of a name in the text
    return people.get(key[:-1]) if key.endswith("s") and len(key) > 3 else None


# --- building the reasons ----------------------------------------------------------------------------

# A sentence ends at a line break, or at . ! ? before a capital or quote ("Oct. 28" goes on).
_SENTENCE_END = re.compile(r"\n|[.!?]+[\"'”’)]*(?=\s+[A-Z\"“‘(]|\s*$)")


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around a span, cut to a readable length around the span."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    a = max((e for e in ends if e <= start), default=0)
    b = min((e for e in ends if e >= end), default=len(text))
    if b - a > _SENTENCE_CHARS:
        a, b = max(a, start - _SENTENCE_CHARS // 3), min(b, max(end, start + _SENTENCE_CHARS * 2 // 3))
        return f"…{text[a:b].strip()}…"
    found = text[a:b].strip()
    # Cut by the model's reading window mid-sentence: say so.
    return found if not found or found[-1] in ".!?\"'”’)" or b < len(text) else f"{found}…"


def _cue_reasons(doc: "Doc", parts: FamilyParts) -> list[Reason]:
    grouped: dict[ReasonKind, list[tuple[str, float, list[tuple[int, int]]]]] = {}
    for family, cue, weight, spans in parts.cues:
        grouped.setdefault(cue_kind(family, cue), []).append((cue, weight, spans))
    out = []
    for kind, found in grouped.items():
        found.sort(key=lambda x: -abs(x[1]))
        examples = list(dict.fromkeys(_sentence(doc.text, a, b) for _, _, spans in found for a, b in spans[:2]))
        out.append(Reason(kind, _cue_label(kind, [c for c, _, _ in found]), sum(w for _, w, _ in found),
                          tuple(examples[:2])))
    return out


def _cue_label(kind: ReasonKind, cues: list[str]) -> str:
    if kind is ReasonKind.DENIAL_OR_CONFIRMATION and len(set(cues)) == 1:
        return "a denial" if cues[0] == "denial" else "a confirmation"
    return _LABELS[kind]


def _lexical_owners(parts: FamilyParts, contributions: Sequence["Contribution"]
                    ) -> list[tuple[list[str], float, str]]:
    """(tokens, weight, text as written) of each lexical word or bigram among the contributions."""
    out = []
    for c in contributions:
        family, _, key = c.name.partition(":")
        if family in parts.lexical_names:
            out.append((key.split(" "), c.weight, c.span.text if c.span else key))
    return out


def _subject_and_wording(doc: "Doc", parts: FamilyParts, contributions: Sequence["Contribution"]) -> list[Reason]:
    """The lexical total split into people's names (a prior about the subject) and the remainder."""
    owners = _lexical_owners(parts, contributions)
    if not owners and parts.lexical == 0.0:
        return []
    people = _people(doc) if owners else {}
    subjects: dict[str, list[tuple[float, str]]] = {}
    wording: list[tuple[float, str]] = []
    for tokens, weight, text in owners:
        who = [_person_of(_fold(t), people) for t in tokens]
        if any(who) and all(p or t in STOP_WORDS for p, t in zip(who, tokens)):
            subjects.setdefault(next(p for p in who if p), []).append((weight, text))
        elif not any(who) and _telling_key(" ".join(tokens)):
            wording.append((weight, text))
    out = [_subject_reason(person, found) for person, found in subjects.items()]
    rest = parts.lexical - sum(r.weight for r in out)
    same_sign = [x for x in wording if (x[0] > 0) == (rest > 0)] or wording
    examples = _distinct(t for _, t in sorted(same_sign, key=lambda x: -abs(x[0])))
    label = f"wording typical of {'true' if rest > 0 else 'false'} stories"
    return [*out, Reason(ReasonKind.WORDING, label, rest, examples)]


def _subject_reason(person: str, found: list[tuple[float, str]]) -> Reason:
    weight = sum(w for w, _ in found)
    label = f"topic: stories about {person} in our data were often {'true' if weight > 0 else 'false'}"
    # "Aniston and" counts towards the name's weight, but reads better as "Aniston".
    named = [t for _, t in sorted(found, key=lambda x: -abs(x[0]))
             if not any(w.lower() in STOP_WORDS for w in t.split())]
    return Reason(ReasonKind.SUBJECT_PRIOR, label, weight, _distinct(named), subject=person)


@lru_cache(maxsize=50_000)
def _telling_key(key: str) -> bool:
    # The same words and bigrams come back article after article.
    return _telling(key.split(" "))


def _telling(tokens: Sequence[str]) -> bool:
    """A word or bigram a reader can weigh: not only function words, and no day, month or number."""
    return not all(t in STOP_WORDS for t in tokens) and not any(is_filler(t) and t not in STOP_WORDS for t in tokens)


def _distinct(texts: Iterable[str], n: int = _EXAMPLES) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for t in texts:
        seen.setdefault(t.lower(), t)
        if len(seen) == n:
            break
    return tuple(seen.values())


def build_reasons(doc: "Doc", parts: FamilyParts, contributions: Sequence["Contribution"]) -> tuple[Reason, ...]:
    """One article's reasons, largest first: cue families, people, wording, other blocks, outlet."""
    reasons = [*_cue_reasons(doc, parts), *_subject_and_wording(doc, parts, contributions)]
    # Cues and families this module does not know yet (a new model's) make one "other" reason.
    other = [r for r in reasons if r.kind is ReasonKind.OTHER]
    if parts.other or len(other) > 1:
        reasons = [r for r in reasons if r.kind is not ReasonKind.OTHER]
        reasons.append(Reason(ReasonKind.OTHER, _LABELS[ReasonKind.OTHER], parts.other + sum(r.weight for r in other),
                              tuple(e for r in other for e in r.examples)[:2]))
    for c in contributions:
        if c.name.startswith(f"{OUTLET}:") and c.weight:
            reasons.append(Reason(ReasonKind.OUTLET, _LABELS[ReasonKind.OUTLET], c.weight,
                                  (doc.outlet,) if doc.outlet else ()))
    return tuple(sorted((r for r in reasons if r.weight != 0.0), key=lambda r: -abs(r.weight)))


def explain_batch(model: "TruthModel", docs: Sequence["Doc"], X: sp.csr_matrix, k: int, *, reasons: bool = True
                  ) -> list[tuple[list[Signal], tuple[Reason, ...]]]:
    """Each doc's top-k signals (as `top_signals_batch` gives them) and, with `reasons`, its reasons;
    nothing at all when k is 0, so rating without explanations stays fast."""
    if k <= 0:
        return [([], ()) for _ in docs]
    if not reasons:
        return [(to_signals(c, k), ()) for c in model.explain_batch(docs, X, k)]
    # The lexical family's top REASON_TOP contain its top k, so the signals are the same.
    explained = model.explain_batch(docs, X, max(k, REASON_TOP))
    return [(to_signals(c, k), build_reasons(d, p, c))
            for d, p, c in zip(docs, family_parts(model, docs, X), explained)]


def gate_reasons(signals: Sequence[Signal], doc: "Doc", truth_rating: int | None) -> tuple[Reason, ...]:
    """The verdict gate in a reader's words, weighing 0 (it moves the shown rating, not the score):
    no rating for too little text, a rating stopped at Mostly true/false, or the evidence in the text
    that lets a True or False verdict stand."""
    from truthmeter.rating import FALSE_FLOOR, GATE_SIGNALS, TRUE_CAP, evidence_span  # rating imports the features

    for s in signals:
        if s.name in GATE_SIGNALS:
            kind = ReasonKind(s.name)
            return (Reason(kind, _LABELS[kind], 0.0, (s.text,) if s.text else ()),)
    if truth_rating is None or FALSE_FLOOR <= truth_rating <= TRUE_CAP:
        return ()
    found = evidence_span(doc, towards_true=truth_rating > TRUE_CAP)
    if not found:
        return ()
    family, cue, a, b = found
    kind = cue_kind(family, cue)
    verdict = (Verdict.TRUE if truth_rating > TRUE_CAP else Verdict.FALSE).value
    return (Reason(kind, f"{_cue_label(kind, [cue])}: lets the text say {verdict}", 0.0,
                   (_sentence(doc.text, a, b),)),)


def fact_check_reason(rating: int) -> Reason:
    """An article publishing its own rating: that rating decides (weight in rating points from 5)."""
    return Reason(ReasonKind.FACT_CHECK, _LABELS[ReasonKind.FACT_CHECK], float(rating - 5),
                  (f"Truth rating: {rating}",))


# --- signals in reader words (templates) ------------------------------------------------------------

def signal_kind(name: str) -> ReasonKind | None:
    """The reason kind an article signal belongs to (a lexical one: WORDING until the reasons say it
    names a person); None for a story-level signal."""
    family, _, rest = name.partition(":")
    if name == "fact_check":
        return ReasonKind.FACT_CHECK
    if family == OUTLET:
        return ReasonKind.OUTLET
    if _is_lexical(family):
        return ReasonKind.WORDING
    if family.split(".")[0] in ("sourcing", *_FAMILY_KINDS):
        return cue_kind(family, rest)
    return None


def reason_for_signal(signal: Signal, reasons: Sequence[Reason]) -> Reason | None:
    """The reason a signal is part of: a name's signal belongs to its person's subject prior."""
    kind = signal_kind(signal.name)
    if kind is ReasonKind.WORDING and signal.text:
        text = signal.text.lower()
        for r in reasons:
            names = {e.lower() for e in r.examples} | set((r.subject or "").lower().split())
            if r.kind is ReasonKind.SUBJECT_PRIOR and (text in names or set(text.split()) <= names):
                return r
    return next((r for r in reasons if r.kind is kind), None) if kind else None


def signal_label(signal: Signal, reasons: Sequence[Reason] = ()) -> str:
    """A signal in a reader's words: its reason's label, never a registry name like `lexical.v1:x`."""
    found = reason_for_signal(signal, reasons)
    if found:
        return found.label
    kind = signal_kind(signal.name)
    if kind is ReasonKind.WORDING:
        return "wording typical of true stories" if signal.weight > 0 else "wording typical of false stories"
    return _LABELS.get(kind, "other writing cues") if kind else story_reason_text(signal)


def shown_signal(signal: Signal) -> bool:
    """Whether a signal's passage is worth marking for a reader: not a lone function word, day,
    month or number (their weight still counts, within the wording reason)."""
    family, _, key = signal.name.partition(":")
    return not _is_lexical(family) or _telling(key.split(" "))


_FACT = re.compile(r"^Truth rating: (?P<r>\d+) \((?P<who>.*)\)$", re.S)
_DEBUNK = re.compile(r"^Debunked, read as truth rating (?P<r>\d+): (?P<words>.*) \((?P<who>[^()]*)\)$", re.S)
_ARTICLE = re.compile(r"^(?P<title>.*) \((?P<outlet>[^()]*)\): rated (?P<r>\d+)/10 \(p_true (?P<p>[\d.]+)\), "
                      r"(?P<stance>\w+), "
                      r"weight (?P<w>[\d.]+) \((?P<rule>.*?); (?P<why>.*); outlet weight (?P<ow>[\d.]+)\)$", re.S)


def story_reason_text(signal: Signal) -> str:
    """A story signal (stories/verdict.py: `fact_check`, `articles`, `article`) in a reader's words;
    an article signal by its reason family. Text that does not parse is shown as it is."""
    text = signal.text or ""
    if signal.name in ("fact_check", "earlier_fact_check"):
        which = "A fact-check" if signal.name == "fact_check" else "An earlier fact-check (superseded)"
        if m := _FACT.match(text):
            return f"{which} by {m['who']} rated it {m['r']}/10"
        if m := _DEBUNK.match(text):
            return f"{which} by {m['who']} debunked it, read as {m['r']}/10: {m['words']}"
        return f"{which}: {text}" if text else which
    if signal.name == "articles":
        return text[:1].upper() + text[1:] if text else "The other articles"
    if signal.name == "article" and (m := _ARTICLE.match(text)):
        rating = int(m["r"])
        title = f"{m['title']}…" if len(m["title"]) >= 90 else m["title"]  # verdict.py cuts titles at 90
        return (f"“{title}” ({m['outlet']}) {m['rule']}: the model rates it {rating}/10; it counts "
                f"×{m['w']} ({m['why']}; outlet track record ×{m['ow']})")
    if signal_kind(signal.name) is not None:
        label = signal_label(signal)
        return f"{label}: “{text}”" if text else label
    return text[:1].upper() + text[1:] if text else signal.name.replace("_", " ")
