"""Tone-only edits of an article, for measuring whether a rating follows style rather than facts.

Each edit is a pure, deterministic function Article -> Article: same id, new title and body, quotes
re-extracted from the new body. Quoted speech (“...” or "...") is never changed: a tone edit must
not put words in anyone's mouth, and quotes are evidence the model is allowed to use.

    sensationalise  "SHOCKING:" headline ending in "!", "shocking"/"stunning"/"jaw-dropping" before a
                    few nouns, "!" at a few sentence ends
    calm            "!" -> ".", sensational adjectives and intensifiers dropped, shouted words lowered
    strip_outlets   the article's own outlet and well-known entertainment outlets -> "a magazine"
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable

from truthmeter.parse import extract_quotes
from truthmeter.types import Article

__all__ = ["sensationalise", "calm", "strip_outlets", "TONE_EDITS", "OUTLETS", "SENSATIONAL_WORDS"]

Piece = tuple[str, bool]  # (text, is quoted speech)
Edit = Callable[[list[Piece]], str]

# Same shape as parse.extract_quotes looks for, so "quoted" means the same thing here and there.
_QUOTE = re.compile(r"“[^“”\n]+”|\"[^\"\n]+\"")


def _pieces(text: str) -> list[Piece]:
    out, at = [], 0
    for m in _QUOTE.finditer(text):
        out += [(text[at:m.start()], False), (m.group(), True)]
        at = m.end()
    return [p for p in out + [(text[at:], False)] if p[0]]


def _split_at(pieces: list[Piece], at: int) -> tuple[list[Piece], list[Piece]]:
    head: list[Piece] = []
    for i, (text, quoted) in enumerate(pieces):
        if at < len(text):
            tail = [(text[at:], quoted)] + pieces[i + 1:]
            return head + ([(text[:at], quoted)] if at else []), tail
        head.append((text, quoted))
        at -= len(text)
    return head, []


def _map(pieces: list[Piece], fn: Callable[[str], str]) -> str:
    return "".join(text if quoted else fn(text) for text, quoted in pieces)


def _edit(article: Article, title_edit: Edit, body_edit: Edit, **changes: object) -> Article:
    """Apply an edit to the headline and the body, keeping a body that opens with its headline
    (ARG, LLMFake) opening with the edited headline, so the model never sees the headline twice."""
    title, body = article.title, article.body
    if title and body.startswith(title):
        head, rest = _split_at(_pieces(body), len(title))  # quotes found on the whole body
        new_title = title_edit(head)
        new_body = new_title + body_edit(rest)
    else:
        new_title, new_body = title_edit(_pieces(title)), body_edit(_pieces(body))
    return replace(article, title=new_title, body=new_body, quotes=extract_quotes(new_body), **changes)


class _Budget:
    """Counts edits across the unquoted pieces, so "a few" stays a few and the choice is fixed."""

    def __init__(self, n: int) -> None:
        self.left, self.used = n, 0

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left, self.used = self.left - 1, self.used + 1
        return True


# ---- sensationalise ----

_ADJECTIVES = ("shocking", "stunning", "jaw-dropping")  # consonant-initial: "a", never "an"
_NOUNS = (r"news|video|photos?|pictures?|pics|interview|statement|announcement|wedding|split|breakup|"
          r"divorce|relationship|romance|engagement|performance|look|outfit|dress|transformation|"
          r"moment|reveal|confession|revelation|show|series|episode|album|song|movie|film|role|season|"
          r"finale|trailer|pregnancy|feud|fight|post|clip|footage|reunion|couple|photoshoot|debut")
# Lowercase nouns only: a capitalised one after "The" is usually a title ("The Voice").
_BEFORE_NOUN = re.compile(rf"\b(?P<det>[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Tt]heir|[Ii]ts|[Tt]his)\s+(?=(?:{_NOUNS})\b)")
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "inc", "co", "ltd", "no", "mt", "ft", "vol"}
# A "." that ends a sentence: after a word (ARG text spaces it: "word ."), before a capital or the end.
_SENTENCE_DOT = re.compile(r"(?P<word>[\w’']+)(?P<gap> ?)\.(?=\s+[A-Z“\"‘]|\s*$)")
_LOUD_PREFIX = "SHOCKING: "


def _adjectives(text: str, budget: _Budget) -> str:
    def add(m: re.Match[str]) -> str:
        if not budget.take():
            return m.group()
        det = m["det"]
        det = {"an": "a", "An": "A"}.get(det, det)
        return f"{det} {_ADJECTIVES[(budget.used - 1) % len(_ADJECTIVES)]} "
    return _BEFORE_NOUN.sub(add, text)


def _exclaim(text: str, budget: _Budget) -> str:
    def bang(m: re.Match[str]) -> str:
        word = m["word"]
        if len(word) == 1 or word.lower() in _ABBREVIATIONS or not budget.take():
            return m.group()  # initials and abbreviations ("J.", "Mr.") do not end sentences
        return f"{word}{m['gap']}!"
    return _SENTENCE_DOT.sub(bang, text)


def _loud_headline(pieces: list[Piece]) -> str:
    out = "".join(t for t, _ in pieces)
    core = out.rstrip()
    if not core:
        return out
    # A headline cut inside a quote (ARG's derived titles) ends mid-quote: nothing may follow it.
    cut_in_quote = pieces[-1][1] and not core.endswith(("”", '"'))
    if core.endswith(".") and not pieces[-1][1]:
        core = core[:-1] + "!"
    elif not core.endswith("!") and not cut_in_quote:
        core += "!"
    lead = len(core) - len(core.lstrip())
    return core[:lead] + _LOUD_PREFIX + core[lead:] + out[len(out.rstrip()):]


def sensationalise(article: Article) -> Article:
    """Louder wording, same facts: a "SHOCKING:" headline with "!", sensational adjectives before
    the first three nouns of a known kind and "!" at the first three sentence ends of the body."""
    nouns, dots = _Budget(3), _Budget(3)
    return _edit(article, _loud_headline,
                 lambda ps: _map(ps, lambda t: _exclaim(_adjectives(t, nouns), dots)))


# ---- calm ----

SENSATIONAL_WORDS: tuple[str, ...] = (
    "shocking", "stunning", "jaw-dropping", "explosive", "bombshell", "sensational", "scandalous",
    "mind-blowing", "outrageous", "unbelievable", "incredible", "insane", "sizzling", "steamy",
    "heartbreaking", "devastating", "dramatic", "epic",
)
_INTENSIFIERS = ("absolutely", "totally", "utterly", "literally", "incredibly", "insanely", "extremely",
                 "shockingly", "stunningly", "super")


def _alts(words: tuple[str, ...], *forms: Callable[[str], str]) -> str:
    return "|".join(re.escape(f(w)) for w in words for f in forms)


_ADJ = _alts(SENSATIONAL_WORDS, str.lower, str.upper)
_DETERMINER = r"[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Tt]heir|[Ii]ts|[Tt]his|[Tt]hat|[Tt]hese|[Tt]hose|[Ss]ome|[Nn]ew"
# Attributive use only ("a shocking split"): dropping a predicative one ("it was shocking") breaks grammar.
_ATTRIBUTIVE = re.compile(rf"\b(?P<det>{_DETERMINER})\s+(?:(?:{_ADJ})(?:\s*,)?\s+)+(?=(?P<next>[a-z]))")
# Capitalised at a sentence start ("Shocking news: ..."), where the next word takes the capital.
_AT_START = re.compile(rf"(?P<pre>^\s*|[.!?:]\s+)(?:{_alts(SENSATIONAL_WORDS, str.capitalize, str.upper)}|"
                       rf"{_alts(_INTENSIFIERS, str.capitalize)})\s*:?\s+(?P<next>[a-z])")
# Not before a function word: "totally and utterly in love" must not become "and in love".
_INTENSIFIER = re.compile(rf"(?:\b(?P<det>[Aa]n?)\s+)?\b(?:{_alts(_INTENSIFIERS, str.lower)})\s+"
                          r"(?!(?:and|or|but|in|on|at|to|of|the|an?|with|for|by|from|as)\b)(?=(?P<next>[a-z]))")
_LABEL = re.compile(r"^(?P<pre>\s*)(?:BREAKING|EXCLUSIVE|WOW|OMG|WATCH|SHOCK|SHOCKER|SHOCKING|BOMBSHELL|"
                    r"SCANDAL)\s*[:!]+\s*(?P<next>\w)")
# Brand names that carry "!" ("E! News", "OK!") keep it: it is not exclamation.
_BANG = re.compile(r"(?<!\bE)(?<!\bOK)(?<!\bYahoo)(?<!\bPanic)[!?]*![!?]*")
# Shouted words, from a fixed list: capitals alone cannot tell "NEVER" from "MSNBC", "USA TODAY" or
# "KUWTK", and lowering a name or an acronym would be more than a change of tone.
_SHOUTED = {*(w.upper() for w in SENSATIONAL_WORDS), *(w.upper() for w in _INTENSIFIERS), *"""
    EXCLUSIVE EXCLUSIVELY BREAKING OFFICIAL OFFICIALLY FINALLY MAJOR HUGE MASSIVE NEVER ALWAYS EVER NOT
    REALLY VERY SO MUST WOW OMG LOVE HATE BEST WORST ALL EVERYTHING NOTHING SECRET SECRETLY TRUTH REAL
    FAKE ONLY JUST STILL NOW BACK OVER DONE YES AMAZING CRAZY SCANDAL SHOCK SHOCKER DRAMA FURIOUS
    DEVASTATED PREGNANT CHEATING CHEATED MELTDOWN LIES LYING""".split()}
_SHOUT = re.compile(r"\b[A-Z][A-Z\-]*[A-Z]\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?:])\s*$")


def _det_for(det: str, next_char: str) -> str:
    """"a"/"an" must agree with the word that now follows it ("an explosive row" -> "a row")."""
    if det.lower() not in ("a", "an"):
        return det
    return det[0] + ("n" if next_char in "aeiou" else "")


def _lower_shout(text: str) -> str:
    def lower(m: re.Match[str]) -> str:
        word = m.group()
        if word not in _SHOUTED:
            return word
        low = word.lower()
        return low[0].upper() + low[1:] if _SENTENCE_START.search(text[:m.start()]) else low
    return _SHOUT.sub(lower, text)


def _quiet(text: str, first: bool) -> str:
    if first:  # a shouted label opens a headline: "EXCLUSIVE: ..."
        text = _LABEL.sub(lambda m: m["pre"] + m["next"].upper(), text)
    text = _AT_START.sub(lambda m: m["pre"] + m["next"].upper(), text)
    text = _INTENSIFIER.sub(lambda m: _det_for(m["det"], m["next"]) + " " if m["det"] else "", text)
    text = _ATTRIBUTIVE.sub(lambda m: _det_for(m["det"], m["next"]) + " ", text)
    text = _BANG.sub(lambda m: "?" if "?" in m.group() else ".", text)
    return _lower_shout(text)


def _calm_pieces(pieces: list[Piece]) -> str:
    return "".join(t if quoted else _quiet(t, first=i == 0) for i, (t, quoted) in enumerate(pieces))


def calm(article: Article) -> Article:
    """Quieter wording, same facts: "!" -> ".", sensational adjectives and intensifiers dropped,
    shouted words in lower case."""
    return _edit(article, _calm_pieces, _calm_pieces)


# ---- strip_outlets ----

OUTLETS: tuple[str, ...] = (
    "Us Weekly", "Us Magazine", "E! News", "E! Online", "E!", "TMZ", "Entertainment Tonight", "ET Online",
    "Page Six", "Radar Online", "RadarOnline", "Hollywood Life", "HollywoodLife", "In Touch Weekly",
    "In Touch", "InTouch", "OK!", "Life & Style", "Life and Style", "Star", "Daily Mail", "MailOnline",
    "The Hollywood Reporter", "Hollywood Reporter", "Deadline Hollywood", "PEOPLE", "People", "Variety",
    "Deadline", "Entertainment Weekly", "Access Hollywood", "Extra", "Closer", "New Idea", "Woman's Day",
    "The Sun", "Just Jared", "Vanity Fair", "Billboard", "Rolling Stone",
)
# Everyday words too: only an outlet when the context says so ("told People", "Variety reports").
_AMBIGUOUS = {"People", "Star", "Variety", "Deadline", "Extra", "Closer", "The Sun", "Billboard", "OK!",
              "E!", "In Touch", "New Idea", "Woman's Day"}
_LEAD = r"(?:told|tells|telling|via|with|from|in|by|per|to|for|according\s+to)\s+"
_SUFFIX = r"\s?\.\s?com(?!\w)|\s+[Mm]agazine|\s+[Oo]nline"
_OUTLET_VERB = re.compile(r"\s+(?:reports?|reported|reveals?|revealed|has\s+learned|learned|confirm(?:s|ed)|"
                          r"writes|wrote|exclusively)\b")
_NAME_GOES_ON = re.compile(r"(?:['’]s)?\s+[A-Z]")  # "Star Wars", "People's Choice Awards": not outlets


def _outlet_regex(own: str | None) -> re.Pattern[str]:
    names = sorted({*OUTLETS, *([own.strip()] if own and own.strip() else [])}, key=len, reverse=True)
    alts = "|".join(f"(?i:{re.escape(n)})" if " " in n and n not in _AMBIGUOUS else re.escape(n) for n in names)
    return re.compile(rf"(?P<lead>\b{_LEAD})?(?P<the>\b[Tt]he\s+)?(?<![\w!])(?P<name>{alts})"
                      rf"(?P<suffix>{_SUFFIX})?(?![\w])")


def _is_outlet(m: re.Match[str], text: str, own: str | None) -> bool:
    if m["name"] == own or m["name"] not in _AMBIGUOUS or m["suffix"]:
        return True
    if _OUTLET_VERB.match(text, m.end()):
        return True
    return bool(m["lead"]) and not _NAME_GOES_ON.match(text, m.end())


def _unname(text: str, pattern: re.Pattern[str], own: str | None) -> str:
    def sub(m: re.Match[str]) -> str:
        if not _is_outlet(m, text, own):
            return m.group()
        lead = m["lead"] or ""
        start = not lead and _SENTENCE_START.search(text[:m.start()])
        return lead + ("A magazine" if start else "a magazine")
    out = pattern.sub(sub, text)
    # "told PEOPLE and Us Weekly" -> "told a magazine", not "told a magazine and a magazine"
    return re.sub(r"\b([Aa]) magazine(?:\s*(?:[|•·,/&]|and|or)\s*a magazine)+", r"\1 magazine", out)


def strip_outlets(article: Article) -> Article:
    """Every outlet name (the article's own and well-known entertainment outlets) -> "a magazine",
    and no outlet field: the rating should not hinge on who published or was told a story."""
    own = article.outlet.strip() if article.outlet and article.outlet.strip() else None
    pattern = _outlet_regex(own)
    edit: Edit = lambda ps: _map(ps, lambda t: _unname(t, pattern, own))  # noqa: E731
    return _edit(article, edit, edit, outlet=None)


TONE_EDITS: dict[str, Callable[[Article], Article]] = {
    "sensationalise": sensationalise, "calm": calm, "strip_outlets": strip_outlets,
}
