"""Person names in news text, by rules anchored on a first-names gazetteer (no NER model offline).

Precision first: a missed name costs a story one clustering hint, a phrase taken for a person
("Custody Drama", "Holy Spirit") joins unrelated stories and shows up in the story's people.

* A full name is a run of 2-4 capitalised words that opens with a known first name
  (`truthmeter/first_names.txt`; an honorific before it is dropped): "Brad Pitt", "Sarah Jessica
  Parker", "Portia de Rossi". In prose a run stops at a word that cannot be in a name (stop, calendar,
  outlet, place and headline words, a word the text also writes in lower case at a sentence start).
* Headlines in Title Case or ALL CAPS capitalise every word, so there a name is a known first name
  plus one plausible surname ("Brad Pitt Secretly Engaged" -> "brad pitt"), or a full name the text
  names elsewhere ("Kim Kardashian West").
* First names that are also words or places ("Will", "Mark", "Paris") start a name in prose only,
  and in a headline only when the text names that person elsewhere.
* Without a known first name, a run counts in prose only with context: a role word before it
  ("actress Zhang Ziyi"), an age after it ("Zhang Ziyi, 43,"), or a surname of a full name of the same
  text ("Nadia Harrow" after "Dex Harrow"). Royal titles name with one word ("Prince Harry").
* A pair of capitalised words in prose whose second word the text also uses alone ("Lyra Dunmore
  ... Dunmore and Okoro split", not "the Pistons") is a full name: news names a person in full, then
  by surname.
* A single word ("Kardashian said", "Khloé's") stands for the full name of the same text that ends
  (else starts) with it; alone it is a person only for one-name celebrities ("Beyoncé").
* Never people: runs inside a quoted title ("Lindqvist Living"), bylines and photo credits, outlet
  names. Variants of one name ("Zayn Mailk" / "Zayn Malik") are merged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from truthmeter.stories.people_words import (AMBIGUOUS, HEADLINE, HONORIFICS, NEVER, OUTLETS, PARTICLES, ROLES,
                                              ROYAL, STOP, SURNAME_FIRSTS, SUFFIXES)
from truthmeter.wordlists import first_names, one_names

__all__ = ["find_people", "names_key"]

_STOP = STOP  # cluster.py imports it from here

# Combining marks (U+0300-U+036F) go after NFKD, so "Khloé" and "Khloe" are one name.
_MARKS = re.compile("[\u0300-\u036f]")
_QUOTES = re.compile("[’‘ʼ]")
_DQUOTES = re.compile("[“”„‟″]")
_LOWER_WORD = re.compile(r"\b[a-z][a-z'\-]*")
_WORDS = re.compile(r"[A-Za-z][\w'\-]*")
# A token: an abbreviation with its dot ("Mr.", "J."), else a word.
_TOKEN = re.compile(r"(?:Mr|Mrs|Ms|Dr|Jr|Sr|St|MR|MRS|MS|DR|JR|SR)\.|[A-Z]\.(?=[ \t]+[A-Z])|[A-Za-z][\w'\-]*")
# The tokens of `_TOKEN` a run of capitalised words is made of: those opening in upper case, and
# particles ("de", "van") joined to one. Lower-case words matter only as gaps between them, and the gap
# text shows them, so they are not visited one by one: `_CAPS` (a character class first, which the regex
# engine scans for quickly) finds the capitalised words; one is a `_TOKEN` token unless it starts inside
# a word (`_inside`: "McDonald", "O'Brien"), and takes the dot `_TOKEN` gives abbreviations and initials.
_CAPS = re.compile(r"[A-Z][\w'\-]*")
_ABBREVIATIONS = frozenset("Mr Mrs Ms Dr Jr Sr St MR MRS MS DR JR SR".split())
_INITIAL_NEXT = re.compile(r"[ \t]+[A-Z]")
_PARTICLE_AT = re.compile(r"(?:" + "|".join(sorted(PARTICLES, key=len, reverse=True)) + r")(?![\w'\-])")
_WORD_CHAR = re.compile(r"[\w'\-]")
_ASCII_LETTER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_POSSESSIVE = re.compile(r"'s?$")
_QUOTED = re.compile(r'"([^"\n]{1,80})"')
# A byline or photo credit names the writer or photographer, not someone in the story.
_CREDIT_WORDS = frozenset("by photo photos image images credit credits".split())
_CREDIT = re.compile(r"[ \t]*(?:by|photo|photos|image|images|credit|credits)\b[ \t:]*$", re.I)
_BREAK = re.compile(r"\n|[ \t]{2,}|[.!?]+[\"')\]]*[ \t]+")
_ABBREV = re.compile(r"(?:\b[A-Z]|\bMrs?|\bMs|\bDr|\bSt|\bJr|\bSr)$")
# "the Pistons", "on Fox": a team, show or network, not a person's surname standing alone.
_DETERMINED = re.compile(r"\b(?:the|a|an|of|in|at|on|for|from|by|with|to|into|via|The|A|An)[ \t]+$")
_AGE = re.compile(r",[ \t]*\d{1,3}[ \t]*,")
_ROLE_BEFORE = re.compile(r"([A-Za-z\-]+),?[ \t]+$")
_JOIN = (" ", "\t")
# Outlets by first word: a name is checked against the few starting like it, not all of them.
_OUTLETS_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _o in OUTLETS:
    _OUTLETS_BY_FIRST.setdefault(_o[0] if _o else "", []).append(_o)

FULL, SINGLE, TITLED = "full", "single", "titled"


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
class _Word:
    key: str  # folded lower case, possessive and dots gone
    pos: int
    poss: bool  # "Harrow's": a possessive ends a name
    shout: bool  # "SECRET" in a mixed-case line: emphasis, not a name


@dataclass
class _Run:
    """Capitalised words joined by spaces (or a particle) only, with what surrounds them."""
    words: list[_Word]
    headline: bool  # in a Title Case or ALL CAPS line
    opens: bool  # the first word opens a sentence: capitalised for its position
    cue: bool  # a role word before ("actress") or an age after (", 34,")


@dataclass
class _Mention:
    words: tuple[str, ...]
    pos: int
    kind: str  # FULL, SINGLE (resolved against full names) or TITLED ("Mr Pitt": resolved only)
    headline: bool = False


@dataclass
class _Known:
    fulls: list[tuple[str, ...]] = field(default_factory=list)  # longest first
    surnames: frozenset[str] = frozenset()
    parts: frozenset[str] = frozenset()
    prose_firsts: frozenset[str] = frozenset()  # first words of the names found outside headlines
    by_first: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)  # `fulls` by first word, in order


@dataclass
class _Text:
    lower: frozenset[str]  # words the text writes in lower case
    firsts: frozenset[str]
    runs: list[_Run]
    echo: frozenset[str] = frozenset()  # capitalised words standing alone in prose ("Dunmore said")


def _line_kind(line: str) -> tuple[bool, bool]:
    """(headline, all caps) for one line: mostly capitalised content words, or shouting throughout."""
    words = _WORDS.findall(line)
    long = [w for w in words if len(w) > 1]
    caps = len(long) >= 2 and sum(w.isupper() for w in long) >= 0.8 * len(long)
    content = [w for w in words if w.lower() not in STOP]
    title = 3 <= len(content) <= 30 and sum(w[0].isupper() for w in content) >= 0.9 * len(content)
    return caps or title, caps


def _quoted_titles(text: str) -> list[tuple[int, int]]:
    """Spans of short quoted Title Case phrases: titles of shows, films, songs."""
    spans = []
    for m in _QUOTED.finditer(text):
        words = [w for w in _WORDS.findall(m.group(1)) if w.lower() not in STOP]
        if words and len(words) <= 8 and all(w[0].isupper() for w in words):
            spans.append(m.span())
    return spans


def _starts_sentence(text: str, offset: int) -> bool:
    """Whether `offset` opens a sentence or line (past spaces, quotes and brackets)."""
    i = offset - 1
    while i >= 0 and text[i] in " \t'\"([-*":
        i -= 1
    return i < 0 or text[i] in ".!?:;\n|"


def _cue(text: str, start: int, end: int) -> bool:
    """A role word just before ("her husband Dex") or an age just after ("Dex, 41,")."""
    # pos/endpos read the 30 characters before like a slice of them would, without copying them.
    before = _ROLE_BEFORE.search(text, max(0, start - 30), start)
    return bool(before and before.group(1).lower() in ROLES) or bool(_AGE.match(text, end))


def _word(raw: str, pos: int, caps_line: bool) -> _Word:
    low = raw.lower().rstrip(".")
    poss = low.endswith(("'s", "'"))
    key = _POSSESSIVE.sub("", low).strip("'-")
    return _Word(key, pos, poss, not caps_line and len(raw) >= 3 and raw.isupper())


def _inside(text: str, start: int, at: int) -> bool:
    """Whether `at` is inside a `_TOKEN` token: the word characters just before it hold a letter that
    opened one (digits, apostrophes and hyphens alone open none)."""
    j = at - 1
    while j >= start and _WORD_CHAR.match(text, j):
        if text[j] in _ASCII_LETTER:
            return True
        j -= 1
    return False


def _line_runs(text: str, start: int, end: int, titles: list[tuple[int, int]]) -> list[_Run]:
    """The runs of capitalised words in one segment of a line."""
    headline, caps = _line_kind(text[start:end])
    runs: list[_Run] = []
    current: list[tuple[str, int, int]] = []

    def close() -> None:
        while current and not current[-1][0][0].isupper():  # a run ends on a capitalised word
            current.pop()
        if current:
            a, b = current[0][1], current[-1][2]
            byline = current[0][0].lower() in _CREDIT_WORDS and not text[start:a].strip()
            skip = byline or any(x <= a < y for x, y in titles) or _CREDIT.match(text, start, a)
            if not skip:
                words = [_word(raw, p, caps) for raw, p, _ in current]
                runs.append(_Run(words, headline, _starts_sentence(text, a), _cue(text, a, b)))
        current.clear()

    for m in _CAPS.finditer(text, start, end):
        raw, a, b = m.group(), m.start(), m.end()
        if a > start and _WORD_CHAR.match(text, a - 1) and _inside(text, start, a):
            continue
        if b < end and text[b] == "." and (raw in _ABBREVIATIONS or (
                len(raw) == 1 and _INITIAL_NEXT.match(text, b + 1, end))):
            raw, b = raw + ".", b + 1  # "Mr.", "J." before a capital: `_TOKEN` keeps the dot
        if current and text[current[-1][2]:a] not in _JOIN:
            close()  # anything but one space or tab between: a new run
        current.append((raw, a, b))
        if "'" in raw[-2:] and _POSSESSIVE.search(raw):
            close()
            continue
        while b < end and text[b] in _JOIN and (p := _PARTICLE_AT.match(text, b + 1, end)):
            b = p.end()  # "Portia de Rossi": a particle joined to the run continues it
            current.append((p.group(), p.start(), b))
    close()
    return runs


def _segments(text: str) -> list[tuple[int, int]]:
    """Lines, cut further at sentence ends and double spaces: scraped text often runs a headline
    ("Read more  Pete Davidson Joins Machine Gun Kelly") into the prose on one line."""
    spans, start = [], 0
    for m in _BREAK.finditer(text):
        if m.group()[0] == "." and _ABBREV.search(text[max(0, m.start() - 4):m.start()]):
            continue  # "Mr. Pitt", "Michael J. Fox": no sentence end
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if b > a]


def _prepare(text: str) -> _Text:
    text = _DQUOTES.sub('"', _fold(text))
    titles = _quoted_titles(text)
    runs = [run for a, b in _segments(text) for run in _line_runs(text, a, b, titles)]
    t = _Text(frozenset(_LOWER_WORD.findall(text)), first_names(), runs)
    t.echo = frozenset(r.words[0].key for r in runs if len(r.words) == 1 and not r.headline
                       and _nameish(r.words[0], True, t) and not _DETERMINED.search(text[max(0, r.words[0].pos - 6):r.words[0].pos]))
    return t


def _suffixed(key: str) -> bool:
    """Shaped like an everyday word ("Secretly", "Relationship", "Revealed"), not a surname: read in
    headlines, where every word is capitalised."""
    return (any(key.endswith(s) and len(key) >= len(s) + 3 for s in SUFFIXES)
            or (key.endswith("ed") and len(key) >= 6) or (key.endswith("ing") and len(key) >= 7))


def _nameish(w: _Word, careful: bool, t: _Text) -> bool:
    """Whether a capitalised word can be part of a name. `careful`: capitalised for its position
    (a headline, a sentence start), so a word the text also writes in lower case is no name there."""
    k = w.key
    if len(k) < 2 or w.shout or not k[0].isalpha() or k in STOP or k in NEVER or k in HEADLINE:
        return False
    if k in ROLES or k in HONORIFICS or k in ROYAL or k in PARTICLES:
        return False
    if "-" in k and any(p in STOP or p in HEADLINE or p in NEVER for p in k.split("-")):
        return False  # "Soon-To-Be", "Sing-Along"
    return not careful or (k not in t.lower and not _suffixed(k))


def _anchor(run: _Run, i: int, t: _Text) -> str | None:
    """"strict" for a known first name, "weak" for one that is also a word or place, else None."""
    w = run.words[i]
    careful = run.headline or (i == 0 and run.opens)
    if w.shout or (careful and w.key in t.lower):
        return None
    if w.key in AMBIGUOUS:
        return "weak"
    return "strict" if w.key in t.firsts else None


def _strict_first(key: str, t: _Text) -> bool:
    """A first name that is rarely a surname: after a surname it starts the next person."""
    return key in t.firsts and key not in SURNAME_FIRSTS and key not in AMBIGUOUS


def _prose_span(words: list[_Word], i: int, t: _Text, weak: bool = False) -> int:
    """Words of the name that starts at `i` in prose: up to 4, particles and initials inside.
    After a `weak` first name ("Rose", "Will") the name must be all the run holds: "Rose Gold-Tone
    Hinge Bracelet" and "Will Receive $300" are no people."""
    j, surname = i + 1, False
    while j < len(words) and j - i < (2 if weak else 4) and not words[j - 1].poss:
        w = words[j]
        if w.key in PARTICLES or len(w.key) == 1:  # "Portia de Rossi", "Michael J. Fox"
            if j + 1 < len(words) and _nameish(words[j + 1], False, t):
                j += 1
                continue
            break
        if w.key == "king" and (j + 1 == len(words) or not _nameish(words[j + 1], False, t)):
            # "Stephen King", "Billie Jean King", "Martin Luther King Jr."
            j += 1
            break
        if not _nameish(w, weak, t) or (surname and _strict_first(w.key, t)):
            break  # not a name word, or a second person: "Brad Pitt Jennifer Aniston"
        surname = surname or not _strict_first(w.key, t)
        j += 1
    while j - i > 1 and (words[j - 1].key in PARTICLES or len(words[j - 1].key) == 1):
        j -= 1
    if weak and j < len(words) and _nameish(words[j], False, t):
        return 1
    return j - i


def _headline_span(words: list[_Word], i: int, t: _Text) -> int:
    """Words of the name at `i` in a headline: a first name, perhaps a middle first name or
    particles, and one surname; the next capitalised word is the headline's, not the name's."""
    n = len(words)
    ok = lambda k: k < n and not words[k - 1].poss and _nameish(words[k], True, t)  # noqa: E731
    if ok(i + 1) and _strict_first(words[i + 1].key, t) and ok(i + 2) and not _strict_first(words[i + 2].key, t):
        return 3  # "Sarah Jessica Parker"
    k = i + 1
    while k < n and words[k].key in PARTICLES and not words[k - 1].poss:
        k += 1
    if ok(k) and not _strict_first(words[k].key, t):
        return k - i + 1
    if ok(i + 1) and words[i + 1].key in SURNAME_FIRSTS:
        return 2  # "Elton John"
    return 1


def _known_at(words: list[_Word], i: int, known: _Known) -> tuple[str, ...] | None:
    """A full name the text names elsewhere, starting at `i` (the longest)."""
    for full in known.by_first.get(words[i].key, ()):
        part = words[i:i + len(full)]
        if len(part) == len(full) and tuple(w.key for w in part) == full \
                and not any(w.poss for w in part[:-1]):
            return full
    return None


def _anchored(run: _Run, i: int, weak: bool, t: _Text, known: _Known, out: list[_Mention]) -> int:
    """The name opened by a first name at `i`; a weak first name needs a surname, in prose."""
    key = run.words[i].key
    if run.headline and (weak or key in known.prose_firsts):
        # "Will", "Paris" in a headline: a name only where the text names them in full; "Khloe
        # Defends ..." over a body naming Khloe Kardashian is that Khloe.
        n = 1
    else:
        n = _headline_span(run.words, i, t) if run.headline else _prose_span(run.words, i, t, weak)
    keys = tuple(w.key for w in run.words[i:i + n])
    out.append(_Mention(keys, run.words[i].pos, FULL if n > 1 else SINGLE, run.headline))
    return n


def _titled(run: _Run, i: int, t: _Text, out: list[_Mention]) -> int:
    """An honorific at `i`: "Sir Elton John" names Elton John, "Mr. Pitt" the Pitt of the text,
    "Prince Harry" a royal (only before a first name: "King Kong" is none)."""
    words, key = run.words, run.words[i].key
    if i + 1 >= len(words) or words[i].poss:
        return 1
    anchor = _anchor(run, i + 1, t)
    if key in HONORIFICS:
        if not anchor and _nameish(words[i + 1], False, t):
            out.append(_Mention((words[i + 1].key,), words[i].pos, TITLED))
            return 2
        return 1
    span = _headline_span(words, i + 1, t) if run.headline else _prose_span(words, i + 1, t, anchor == "weak")
    if anchor and (span == 1 or i + 1 + span < len(words)):  # "Queen Elizabeth Central Hospital"
        out.append(_Mention((key, words[i + 1].key), words[i].pos, FULL))
        return 2
    return 1  # "First Lady Melania Trump": the name follows


def _unanchored(run: _Run, i: int, cue: bool, t: _Text, known: _Known, out: list[_Mention]) -> int:
    """Capitalised words with no first name: a full name only beside a surname of the text's
    people ("Nadia Harrow") or, in prose, with a cue ("actress Zhang Ziyi"); else single words."""
    words, j = run.words, i
    while j < len(words) and j - i < 4:
        careful = run.headline or (j == 0 and run.opens)
        if not _nameish(words[j], careful, t) or (j > i and _anchor(run, j, t)):
            break
        j += 1
        if words[j - 1].poss:
            break
    chunk = words[i:j]
    if not chunk:
        return 1
    # "Nadia Harrow" after "Dex Harrow"; not "Machine Gun Kelly", nor "Given Jenner's" (a sentence
    # start), nor in a headline.
    pair = not run.headline and len(chunk) >= 2 and not chunk[0].poss and chunk[0].key not in known.parts
    if pair and not (i == 0 and run.opens) and chunk[1].key in known.surnames:
        out.append(_Mention((chunk[0].key, chunk[1].key), chunk[0].pos, FULL))
        return 2
    # "Lyra Dunmore and Silas Okoro have ... Dunmore and Okoro split": a full name, then its surname
    # alone, is how news names someone whatever their first name.
    if pair and len(chunk) == 2 and chunk[1].key in t.echo and chunk[1].key not in known.parts \
            and chunk[0].key != chunk[1].key and _nameish(chunk[0], True, t):
        out.append(_Mention((chunk[0].key, chunk[1].key), chunk[0].pos, FULL))
        return 2
    # A cue names the chunk if it is the whole name: "rapper Machine Gun Kelly" stops at "Kelly".
    whole = j == len(words) or not _nameish(words[j], False, t)
    if cue and whole and not run.headline and 2 <= len(chunk) <= 3 and not any(w.poss for w in chunk[:-1]):
        out.append(_Mention(tuple(w.key for w in chunk), chunk[0].pos, FULL))
    else:
        out.extend(_Mention((w.key,), w.pos, SINGLE) for w in chunk)
    return len(chunk)


def _segment(run: _Run, t: _Text, known: _Known) -> list[_Mention]:
    """The mentions in one run of capitalised words, left to right."""
    out: list[_Mention] = []
    words, i, cue = run.words, 0, run.cue
    while i < len(words):
        hit = _known_at(words, i, known)
        key = words[i].key
        if hit:
            out.append(_Mention(hit, words[i].pos, FULL))
            i += len(hit)
        elif key in ROLES and not words[i].poss:  # "Director Lena Moravec", "Actress Zhang Ziyi"
            i += 1
            cue = True
            continue
        elif key in HONORIFICS or key in ROYAL:
            i += _titled(run, i, t, out)
        elif anchor := _anchor(run, i, t):
            i += _anchored(run, i, anchor == "weak", t, known, out)
        else:
            i += _unanchored(run, i, cue, t, known, out)
        cue = False
    return out


def _outlet(name: tuple[str, ...]) -> bool:
    """An outlet or brand named like a person ("Marie Claire", "Louis Vuitton Cruise")."""
    if not name:
        return () in OUTLETS
    return any(name[:len(o)] == o for o in _OUTLETS_BY_FIRST.get(name[0], ()))


def _known_from(mentions: list[_Mention]) -> _Known:
    fulls = {m.words for m in mentions if m.kind == FULL and not _outlet(m.words)}
    ordered = sorted(fulls, key=len, reverse=True)
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for full in ordered:
        by_first.setdefault(full[0] if full else "", []).append(full)
    return _Known(ordered, frozenset(f[-1] for f in fulls if f[0] not in ROYAL),
                  frozenset(w for f in fulls for w in f),
                  frozenset(m.words[0] for m in mentions if m.kind == FULL and not m.headline), by_first)


def _canonical(names: dict[tuple[str, ...], int], firsts: frozenset[str]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """Map each full name to its variant of record: a shorter form ("Kim Kardashian West" -> "Kim
    Kardashian", "Duchess Meghan" -> "Meghan Markle"), or the more frequent spelling of
    near-identical names (typos)."""
    order = sorted(names, key=lambda n: (len(n), -names[n]))
    canon: dict[tuple[str, ...], tuple[str, ...]] = {}
    for name in order:
        target = name
        for kept in (k for k in order if canon.get(k) == k and k != name):
            # "Jada Pinkett Smith" keeps her first name: a shorter form that drops it is a stray pair.
            tail = name[-len(kept):] == kept and name[0] not in firsts
            part = kept == name[:len(kept)] or tail or (name[0], name[-1]) == (kept[0], kept[-1])
            royal = name[0] in ROYAL and len(name) == 2 and kept[0] == name[1] and kept[0] not in ROYAL
            if (len(kept) < len(name) and part) or royal or (len(kept) == len(name) and _near(kept, name)):
                target = kept
                break
        canon[name] = target
    return canon


def _near(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One word equal and the others near-equal: spelling variants of one name."""
    same = sum(x == y for x, y in zip(a, b))
    return same >= 1 and all(x == y or fuzz.ratio(x, y) >= 80 for x, y in zip(a, b))


def _resolve(m: _Mention, fulls: list[tuple[str, ...]], t: _Text) -> tuple[str, ...] | None:
    """The full name a single word stands for: by surname, else by first name; alone, a one-name
    celebrity ("Beyonce") the text does not write in lower case."""
    word = m.words[0]
    for index in (-1, 0):
        for full in fulls:
            if full[index] == word:
                return full
    return (word,) if m.kind == SINGLE and word in one_names() and word not in t.lower else None


def find_people(text: str) -> list[str]:
    """Canonical names ("khloe kardashian") of the people in `text`, in order of first appearance."""
    t = _prepare(text)
    known = _known_from([m for run in t.runs for m in _segment(run, t, _Known())])
    mentions = [m for run in t.runs for m in _segment(run, t, known)]
    counts: dict[tuple[str, ...], int] = {}
    for m in mentions:
        if m.kind == FULL and not _outlet(m.words):
            counts[m.words] = counts.get(m.words, 0) + 1
    canon = _canonical(counts, t.firsts)
    # Ties keep `_canonical`'s order, not a set's: a set's order changes with the process's string hash
    # seed, and so did the order of people found (and which name a lone word stood for).
    fulls = sorted(dict.fromkeys(canon.values()), key=lambda n: -counts.get(n, 0))
    first: dict[str, int] = {}
    for m in mentions:
        hit = canon.get(m.words) if m.kind == FULL else _resolve(m, fulls, t)
        if hit:
            first.setdefault(" ".join(hit), m.pos)
    return sorted(first, key=first.__getitem__)
