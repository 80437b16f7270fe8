"""Person names in news text, by rules: no pretrained NER model is available offline.

A name is a run of two or three capitalised words (particles such as "de" or "van" allowed inside),
read from accent-folded text. Capitalised words that are not names are filtered by their shape
and context, not by naming articles: stopwords, all-caps shouting, month/day names, words that also
occur in lower case in the same text when capitalised only because they start a sentence or sit in
a title-case headline, and a short list of words that are never part of a person's name (outlets,
places, awards). Single-word mentions ("Odom", "Khloé", "Kardashian's") are resolved to a full name
of the same text; variants of one name ("Zayn Mailk" / "Zayn Malik") are merged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

__all__ = ["find_people", "names_key"]

# Combining marks (U+0300-U+036F) go after NFKD, so "Khloé" and "Khloe" are one name.
_MARKS = re.compile("[\u0300-\u036f]")
_QUOTES = re.compile("[’‘ʼ]")

_PARTICLES = frozenset("de da di du del della der den van von le la bin al".split())
_STOP = frozenset("""a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each even ever every
few for from further had has have having he her here hers herself him himself his how i if in into is
it its itself just let me might more most much must my myself never no nor not now of off on once only
or other our ours out over own same she should so some such than that the their theirs them then there
these they this those though through to too under until up upon very was we were what when where which
while who whom why will with would yet you your yours yes oh ok okay hey wow dear why despite
according while although however meanwhile plus per via amid among toward towards within without
is isn't it's we're they're you're i'm he's she's that's what's don't can't won't didn't""".split())
# Words that are never part of a person's name: calendar, outlets, places, media and award words.
_NEVER = frozenset("""january february march april may june july august september october november
december jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
saturday sunday people weekly magazine news online daily times post tonight gossip cop radar tmz
hollywood instagram twitter facebook youtube snapchat tiktok netflix hulu hbo abc nbc cbs cnn fox bravo
mtv awards award show shows season episode series festival hills street road avenue city county island
beach park university college school hospital center centre records studios studio pictures
entertainment network channel tv music film movie album single tour christmas thanksgiving easter
valentine halloween god america american british english french london paris york angeles vegas
francisco los las san santa new club house hall theatre theater museum bar restaurant hotel stadium
arena cup bowl super globe globes grammy grammys oscar oscars emmy emmys vma vmas academy department
police group process productions production home funeral research cancer worth net celebrity real
housewives housewife actual best old female male rules life style love family baby wedding images
getty reading continue click read more share related advertisement subscribe email view live
palace castle chapel cathedral court gala fair enquirer press bros diaries week story stories girls
lies wars war eye theory association article company resort minister envoy nation upper role
actress actor things minds raider eagles patriots cavaliers lakers league united national states
kingdom emirates republican democratic convention committee foundation institute agency office st six
guild cancel play last
instagram's insider insiders source sources report reports reportedly rep reps breaking exclusive
shocking update watch photos photo video videos pics pic inc llc ltd co corp""".split())
# A name does not start with an everyday word: "Big Little Lies", "Mean Girls", "Good Morning".
_NOT_FIRST = frozenset("""big little good bad black white red blue green mean one two first last full
special prime true material quiet almost independent walking wonder supporting happens heart bride
salt grand world fashion horror crime teen queer infinity fifty night day late early old young
happy dear sweet royal modern super top hot cool great grey gray dark bright golden silver
rolling""".split())
# Titles before a name: "Director Lena Moravec" names Lena Moravec.
_TITLES = frozenset("""mr mrs ms miss dr sir dame president director producer judge senator sen
gov governor singer actor actress rapper star host model officer detective coach captain ceo chef dj
pastor reverend rev father mother sister brother uncle aunt cousin pal husband wife boyfriend
girlfriend fiance fiancee ex designer writer author comedian""".split())

_LOWER_WORD = re.compile(r"\b[a-z][a-z'\-]*")
_CAP_RUN = re.compile(r"[A-Z][\w'\-]*(?:[ \t]+(?:[a-z]{1,4}[ \t]+)?[A-Z][\w'\-]*)*")
_WORDS = re.compile(r"[A-Za-z][\w'\-]*")
_POSSESSIVE = re.compile(r"'s?$")


def _fold(text: str) -> str:
    # Regex substitutions, not str.translate with a dict: that is a Python-level lookup per character.
    if text.isascii():
        return text
    return _QUOTES.sub("'", _MARKS.sub("", unicodedata.normalize("NFKD", text)))


def names_key(name: str) -> str:
    """Canonical form of a name: accents folded, lower case, possessive and dots gone, one space."""
    words = [_POSSESSIVE.sub("", w) for w in _fold(name).lower().replace(".", " ").split()]
    return " ".join(w for w in words if w)


@dataclass
class _Mention:
    words: tuple[str, ...]  # keys of the name's words
    pos: int  # character offset, for first-appearance order
    weak: bool  # from a title-case line or an over-long run: confirmed by other mentions only


def _title_case_lines(text: str) -> list[tuple[int, int]]:
    """Spans of short lines whose content words are mostly capitalised (headlines, titles)."""
    spans, start = [], 0
    for line in text.split("\n"):
        words = [w for w in _WORDS.findall(line) if w.lower() not in _STOP]
        if 3 <= len(words) <= 30 and sum(w[0].isupper() for w in words) >= 0.75 * len(words):
            spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _name_word(word: str, *, careful: bool, lower_seen: frozenset[str]) -> str | None:
    """The key of a capitalised word that can be part of a name, else None.

    `careful`: capitalised for its position (sentence start, headline), so a word the text also
    uses in lower case is an ordinary word there.
    """
    key = _POSSESSIVE.sub("", word.lower()).strip("'-")
    if len(key) < 2 or key in _STOP or key in _NEVER:
        return None
    if len(word) >= 3 and word.isupper():  # "PEOPLE", "SHOCKING": shouting, not names
        return None
    if careful and key in lower_seen:
        return None
    return key


def _starts_sentence(text: str, offset: int) -> bool:
    """Whether `offset` opens a sentence or line (past spaces, quotes and brackets)."""
    i = offset - 1
    while i >= 0 and text[i] in " \t'\"([":
        i -= 1
    return i < 0 or text[i] in ".!?:;\n|"


def _split_run(run: str, offset: int, text: str, lower_seen: frozenset[str], weak: bool
               ) -> list[_Mention]:
    """Cut one capitalised run at the words that cannot be in a name."""
    out: list[_Mention] = []
    current: list[str] = []
    careful = _starts_sentence(text, offset)
    start = offset

    def close() -> None:
        while current and current[-1] in _PARTICLES:
            current.pop()
        while len(current) > 1 and (current[0] in _TITLES or current[0] in _NOT_FIRST):
            current.pop(0)
        if current:
            out.append(_Mention(tuple(current), start, weak or len(current) > 3))
        current.clear()

    for match in _WORDS.finditer(run):
        word = match.group()
        low = word.lower()
        if not word[0].isupper():
            if low in _PARTICLES and current:
                current.append(low)
            else:  # "Sources say Harrow": a lower-case word between capitals ends a name
                close()
            careful = False
            continue
        key = _name_word(word, careful=weak or (careful and not current), lower_seen=lower_seen)
        if key is None:
            close()
        else:
            if not current:
                start = offset + match.start()
            current.append(key)
            if _POSSESSIVE.search(word) and word.endswith(("'s", "'")):
                close()  # "Odom's health": a possessive ends the name
        careful = False
    close()
    return out


def _mentions(text: str) -> list[_Mention]:
    lower_seen = frozenset(_LOWER_WORD.findall(text))
    headlines = _title_case_lines(text)
    found: list[_Mention] = []
    for match in _CAP_RUN.finditer(text):
        start, end = match.span()
        # A quoted run is the title of a show or song ("Lindqvist Living"), not a person.
        quoted = text[start - 1:start] == '"' and text[end:end + 1] == '"'
        weak = quoted or any(a <= start < b for a, b in headlines)
        found.extend(_split_run(match.group(), match.start(), text, lower_seen, weak))
    return found


def _canonical(names: dict[tuple[str, ...], int]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Map each full name to its variant of record: a shorter form ("Kim Kardashian West" -> "Kim
    Kardashian"), or the more frequent spelling of near-identical names (typos)."""
    order = sorted(names, key=lambda n: (len(n), -names[n]))
    canon: dict[tuple[str, ...], tuple[str, ...]] = {}
    for name in order:
        target = name
        for kept in (k for k in order if canon.get(k) == k and k != name):
            # "Kim Kardashian West", "Jada Pinkett Smith", or a stray word before: "Bless Joe Alwyn".
            part = kept in (name[:len(kept)], name[-len(kept):]) or (name[0], name[-1]) == (kept[0], kept[-1])
            if len(kept) < len(name) and part:
                target = kept
                break
            if len(kept) == len(name) and _near(kept, name):
                target = kept
                break
        canon[name] = target
    return canon


def _near(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One word equal and the others near-equal: spelling variants of one name."""
    same = sum(x == y for x, y in zip(a, b))
    return same >= 1 and all(x == y or fuzz.ratio(x, y) >= 80 for x, y in zip(a, b))


def _resolve(word: str, fulls: list[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The full name a single-word mention stands for: last or first name, else a near variant."""
    for full in fulls:
        if word in (full[0], full[-1]):
            return full
    best = max(fulls, key=lambda f: fuzz.ratio(word, f[-1]), default=None)
    return best if best is not None and fuzz.ratio(word, best[-1]) >= 88 else None


def _inside(words: tuple[str, ...], fulls: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Known full names that occur inside an unconfirmed run, in order."""
    hits = []
    for i in range(len(words)):
        for full in fulls:
            if words[i:i + len(full)] == full:
                hits.append(full)
    return hits


def find_people(text: str) -> list[str]:
    """Canonical names ("khloe kardashian") of the people in `text`, in order of first appearance."""
    mentions = _mentions(_fold(text))
    strong = [m for m in mentions if not m.weak and len(m.words) >= 2]
    # A text with no sentence-case names (a headline alone) trusts its title-case runs.
    pool = strong or [m for m in mentions if 2 <= len(m.words) <= 3]
    counts: dict[tuple[str, ...], int] = {}
    for m in pool:
        counts[m.words] = counts.get(m.words, 0) + 1
    canon = _canonical(counts)
    fulls = sorted(set(canon.values()), key=lambda n: -counts.get(n, 0))
    first: dict[str, int] = {}
    for m in mentions:
        if m.words in canon:
            hits = [canon[m.words]]
        elif len(m.words) == 1:
            hit = _resolve(m.words[0], fulls)
            hits = [hit] if hit else []
        else:
            hits = _inside(m.words, fulls) or [h for w in m.words if (h := _resolve(w, fulls))]
        for hit in hits:
            first.setdefault(" ".join(hit), m.pos)
    return sorted(first, key=first.__getitem__)
