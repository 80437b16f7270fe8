"""Evidence in one article, and its stance toward its story's claim: rule-based and explained.

What is looked for, and why:
- quotes (from `Article.quotes`): a named speaker or a representative is on the record; "a source",
  "an insider", "a pal" are anonymous. On-record quotes make an article count more in a story's
  verdict, anonymous-only sourcing less (see verdict.py).
- denials ("a rep denied", "completely false", "fabricated", "not true", "made up"), skipped when
  negated ("did not deny", "neither confirmed nor denied").
- confirmations ("confirmed", "told PEOPLE", "in a statement", "announced").
- a debunk: a fact-checker's verdict wording in the writer's own voice, outside quotes ("Gossip Cop
  can correct", "the story is false"). Only these confident phrasings make an article a fact-check
  without a published rating; a bare "not true" is a denial, not a verdict.
Offsets are into `Article.body`, like the quotes'.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Iterable

from truthmeter.features.cues import CUES
from truthmeter.types import Article, Quote, Stance

__all__ = ["Cue", "Evidence", "find_evidence", "stance_of", "is_anonymous", "content_words", "mentions",
           "DEBUNK_RATING"]

# A debunk without a number reads as Gossip Cop's usual verdict for an invented story.
DEBUNK_RATING = 1

_ANON_SPEAKER = re.compile(r"\b(?:source|insider|friend|pal|tipster|witness|eyewitness|confidant|relative|"
                           r"neighbou?r|someone|sources|insiders)\b", re.I)
_REP_WORDS = r"(?:rep|representative|publicist|spokes(?:person|man|woman)|attorney|lawyer|manager|camp)"
_ANON_SOURCING = CUES["sourcing.v1"][0][1]  # "a source", "an insider", "sources say": the cue the model uses

_NEGATED = re.compile(r"(?:\bnot|\bnever|n[’']t|\brefused\s+to|\bdeclined\s+to|\bneither|\bnor|\bwithout|"
                      r"\byet\s+to|\bnot\s+yet)\s+(?:\w+\s+){0,2}$", re.I)
_DENIAL = re.compile(r"""\b(?:
    den(?:y|ies|ied|ying)(?!\s+(?:access|entry|bail|parole|permission|a\s+visa|entrance)\b)
  | (?:completely|totally|entirely|absolutely|simply|patently|100%)\s+(?:false|untrue|made\s+up|fabricated|baseless|bogus)
  | (?:is|are|was|were)\s+(?:(?:completely|totally|entirely|absolutely|simply|also|just|patently)\s+)?(?:false|bogus|baseless)\b
  | (?:it|that|this)[’']s\s+(?:(?:completely|totally|simply|just)\s+)?(?:false|bogus|baseless)\b
  | not\s+true | untrue | no\s+truth\s+(?:to|in|whatsoever)
  | (?:is|are|was|were|[’']s|been|completely|totally|entirely|all|simply)\s+made\s+up
        (?!\s+(?:of|for|with|her|his|their|my|our|your|its|the|a|an|to|and)\b)
  | fabricat(?:ed|ion|ions)\b
  | (?:pure|total|complete)\s+(?:fiction|nonsense|fantasy|lies?)
  | false\s+(?:report|claim|story|rumou?r|allegation|narrative)s?
  | debunk(?:ed|s|ing)?
  | (?:shot|shut|shuts|shoots|shooting|shutting)\s+down\s+(?:the\s+|those\s+|these\s+)?(?:rumou?rs?|reports?|speculation|claims?)
  | set(?:ting|s)?\s+the\s+record\s+straight
)""", re.I | re.X)
_CONFIRM = re.compile(r"""(?:
    \b(?i:confirm(?:s|ed|ing)?)\b(?!\s+or\s+deny)
  | \b(?i:in\s+a\s+(?:joint\s+|new\s+|brief\s+|written\s+|short\s+)?statement)\b
  | \b(?i:told|tells)\s+(?:PEOPLE|E!\s*News|[A-Z][\w!.]+(?:\s+[A-Z][\w!.]+){0,2})
  | \b(?i:announced|press\s+release)\b
  | \b(?i:(?:in|during)\s+an?\s+(?:\w+\s+)?interview\s+with)\b
)""", re.X)
# A fact-checker's own verdict: the writer says the claim is false, in so many words.
_DEBUNK = re.compile(r"""\b(?:
    (?:gossip\s+cop|we)\s+(?:can\s+|is\s+able\s+to\s+|has\s+)?(?:now\s+)?(?:exclusively\s+)?
        (?:correct(?:ed)?|debunk(?:ed)?|bust(?:ed)?|dispel(?:led)?)\b
  | (?:the|this|that|these|those|its|their|his|her)\s+(?:[\w’'-]+\s+){0,2}?
        (?:story|stories|report|reports|claim|claims|rumou?r|rumou?rs|article|tale|allegation|allegations)\s+
        (?:is|are|was|were|has\s+been|have\s+been)\s+(?:(?:completely|totally|entirely|simply|absolutely|100%|just|also)\s+)?
        (?:false|untrue|not\s+true|made\s+up|fabricated|bogus|fiction|baseless|inaccurate|wrong|a\s+fabrication|debunked)\b
)""", re.I | re.X)
# Curly, straight, and the ``...'' of tokenised datasets (ARG).
_QUOTED = re.compile(r"“[^“”\n]*”|\"[^\"\n]*\"|``[^`\n]*''")
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[\"”’')\]]*)?")
_BY_REP = re.compile(rf"(?:\b(?:[Aa]n?|[Tt]he|[Hh]is|[Hh]er|[Tt]heir)\s+(?:[\w’'-]+\s+)?|[A-Z][\w’'-]+[’']s\s+){_REP_WORDS}"
                     rf"\b(?:\s+for\s+[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)?)?")
_BY_SUBJECT = re.compile(r"^\s*((?:[A-Z][\w’'-]+\s+){0,2}[A-Z][\w’'-]+|[Ss]he|[Hh]e|[Tt]hey)\s+(?:\w+ly\s+|also\s+|has\s+|have\s+)?"
                         r"(?:den|shot\s+down|shut\s+down|debunk|set\s+the\s+record)")
# Words a denial's sentence uses when it is about a story's claim, whatever the claim is.
_RUMOUR_NOUN = re.compile(r"\b(?:reports?|story|stories|rumou?rs?|claims?|speculation|tabloids?|allegations?|"
                          r"articles?|gossip|magazine)\b", re.I)
_WORD = re.compile(r"[^\W\d_]+")
_STOP = frozenset("""about after again against also amid among been before being below between both but came come
could does doing down during each even every first from further have having here hers herself himself into itself just
like made make many more most much must news only other over really said says same should since some such than that
their theirs them then there these they this those through under until upon very what when where which while will
with would your yours finally officially reportedly allegedly report reports story new says tells told""".split())


@dataclass(frozen=True)
class Cue:
    """One denial, confirmation or debunk found: the words, their sentence, who said them."""

    kind: str  # "denial" | "confirmation" | "debunk"
    text: str
    sentence: str
    start: int
    by: str | None = None
    quoted: bool = False


@dataclass(frozen=True)
class Evidence:
    on_record: tuple[Quote, ...] = ()
    anonymous: tuple[Quote, ...] = ()
    anonymous_sourcing: int = 0  # "a source close to", "sources say" outside quotes' attributions too
    denials: tuple[Cue, ...] = ()
    confirmations: tuple[Cue, ...] = ()
    debunk: Cue | None = None

    @property
    def anonymous_only(self) -> bool:
        return not self.on_record and bool(self.anonymous or self.anonymous_sourcing)

    def strong_denials(self) -> tuple[Cue, ...]:
        """Denials someone owns: quoted, attributed, or the writer's own in an article without
        anonymous sourcing (a rumour piece mentioning "despite denials" still pushes the rumour)."""
        if self.debunk:
            return (self.debunk, *self.denials)
        return tuple(d for d in self.denials if d.quoted or d.by or not self.anonymous_sourcing)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Evidence":
        d = json.loads(text)
        cues = lambda xs: tuple(Cue(**x) for x in xs)  # noqa: E731
        return cls(on_record=tuple(Quote(**q) for q in d["on_record"]),
                   anonymous=tuple(Quote(**q) for q in d["anonymous"]),
                   anonymous_sourcing=d["anonymous_sourcing"], denials=cues(d["denials"]),
                   confirmations=cues(d["confirmations"]), debunk=Cue(**d["debunk"]) if d["debunk"] else None)


def is_anonymous(speaker: str | None) -> bool:
    """'an insider', 'a source close to the couple': unnamed, so nobody answers for the words."""
    return speaker is not None and bool(_ANON_SPEAKER.search(speaker)) and not re.search(_REP_WORDS, speaker, re.I)


def find_evidence(article: Article) -> Evidence:
    body = article.body
    quoted = [m.span() for m in _QUOTED.finditer(body)]
    speakers = [(q.start, q.end, q.speaker) for q in article.quotes]
    denials = _cues(_DENIAL, "denial", body, quoted, speakers)
    confirmations = _cues(_CONFIRM, "confirmation", body, quoted, speakers)
    debunks = [c for c in _cues(_DEBUNK, "debunk", body, quoted, speakers) if not c.quoted]
    return Evidence(
        on_record=tuple(q for q in article.quotes if q.speaker and not is_anonymous(q.speaker)),
        anonymous=tuple(q for q in article.quotes if is_anonymous(q.speaker)),
        anonymous_sourcing=len(_ANON_SOURCING.findall(body)), denials=tuple(denials),
        confirmations=tuple(confirmations), debunk=debunks[0] if debunks else None)


def _cues(pattern: re.Pattern[str], kind: str, body: str, quoted: list[tuple[int, int]],
          speakers: list[tuple[int, int, str | None]]) -> list[Cue]:
    out = []
    for m in pattern.finditer(body):
        if _NEGATED.search(body[max(0, m.start() - 40):m.start()]):
            continue  # "did not deny", "neither confirmed nor denied": the opposite of the cue
        inside = any(a <= m.start() < b for a, b in quoted)
        sentence = _sentence(body, m.start())
        # Inside quotes the quote's speaker said it; parse may not know them, the sentence may.
        said = next((s for a, b, s in speakers if a <= m.start() < b + 1), None) if inside else None
        by = said or _by(sentence)
        out.append(Cue(kind, " ".join(m.group().split()), sentence, m.start(), by, inside))
    return out


def _sentence(body: str, at: int) -> str:
    for m in _SENTENCE.finditer(body):
        if m.start() <= at < m.end():
            return m.group().strip()[:400]
    return body[max(0, at - 100):at + 100].strip()


def _by(sentence: str) -> str | None:
    """Who a denial outside quotes belongs to: a representative named in its sentence, else its subject."""
    rep = _BY_REP.search(sentence)
    if rep:
        return rep.group().strip()
    subject = _BY_SUBJECT.match(sentence)
    return subject.group(1) if subject else None


def _fold(text: str) -> str:
    # "Khloé" and "Khloe" are one word; most text is ASCII and needs no decomposition.
    if text.isascii():
        return text.lower()
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def content_words(text: str, people: Iterable[str] = ()) -> frozenset[str]:
    """Topic words of a headline (no stop words, 4+ letters, accents folded) plus people's name parts."""
    words = {w for w in _WORD.findall(_fold(text)) if len(w) >= 4 and w not in _STOP}
    for name in people:
        words.update(w for w in _WORD.findall(_fold(name)) if len(w) >= 3)
    return frozenset(words)


def mentions(sentence: str, topic: frozenset[str]) -> bool:
    """Whether a sentence is about a story's claim: it names the story's topic words or a rumour."""
    return bool(_RUMOUR_NOUN.search(sentence)) or bool(topic & set(_WORD.findall(_fold(sentence))))


def stance_of(evidence: Evidence, fact_check_rating: int | None, *, is_claim: bool, words: frozenset[str],
              topic: frozenset[str]) -> tuple[Stance, str]:
    """An article's stance toward its story's claim, with the rule that decided it.

    The rules, first match wins: a published rating of 5+ supports and below 5 contradicts; a
    debunk in the writer's words contradicts; the article that states the claim supports it; an
    article sharing no topic word or person with the claim is unrelated; an owned denial about the
    claim contradicts; any other article telling the story supports it. `words` are the article's
    own `content_words` (headline and people), `topic` the claim's.
    """
    if fact_check_rating is not None:
        verb = "supports" if fact_check_rating >= 5 else "contradicts"
        return (Stance.SUPPORTS if fact_check_rating >= 5 else Stance.CONTRADICTS), \
            f"a fact-check rating it {fact_check_rating}/10 {verb} the claim"
    if evidence.debunk:
        return Stance.CONTRADICTS, f"debunks it: “{evidence.debunk.text}”"
    if is_claim:
        return Stance.SUPPORTS, "states the claim"
    if not topic & words:
        return Stance.UNRELATED, "shares no topic word or person with the claim"
    denial = next((d for d in evidence.strong_denials() if mentions(d.sentence, topic)), None)
    if denial:
        who = f" ({denial.by})" if denial.by else ""
        return Stance.CONTRADICTS, f"denial: “{denial.text}”{who}"
    return Stance.SUPPORTS, "reports the same story"
