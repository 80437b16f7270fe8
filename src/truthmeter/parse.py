"""Parsing: RawDocument -> Article.

Plain text follows the seed format (headline, optional rating / byline / header lines, body,
optional footer); HTML goes through ingest.html; dataset records already have their fields split.
Metadata lines are recognised by their shape, never by naming particular articles or sites, and
never end up in the body, which is the only text the model sees.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Iterable, Iterator

from .errors import ParseError
from .types import Article, Quote, RawDocument, content_hash

__all__ = ["parse", "parse_each", "parse_text", "content_hash", "normalize_date", "extract_quotes"]

_META_KEYS = ("title", "author", "outlet", "date", "url")
_LABELS = {"1": 1, "0": 0, "fake": 1, "real": 0, "false": 1, "true": 0}

_RATING = re.compile(r"^(?:[A-Za-z][\w ]{0,30}\s)?rating\s*[:\-–]?\s*(\d+(?:\.\d+)?)\s*"
                     r"(?:/\s*(\d+)|out\s+of\s+(\d+))?\s*\.?$", re.I)
_TRUTH_RATING = re.compile(r"^truth\s+rating\s*[:\-–]", re.I)  # the seed format's own label, whatever follows
_HEADER = re.compile(r"^(?P<key>date|published(?: on)?|posted(?: on)?|updated|last updated|url|link|"
                     r"source|outlet|published by|publisher|authors?|written by)\s*:\s*(?P<value>\S.*)$",
                     re.I)
_HEADER_FIELDS = {"url": "url", "link": "url", "source": "outlet", "outlet": "outlet",
                  "published by": "outlet", "publisher": "outlet", "author": "author",
                  "authors": "author", "written by": "author"}
_CREDIT = re.compile(r"^\(?\s*(?:(?:(?:header|featured|top|cover|lead)\s+)?(?:image|photo|photograph|"
                     r"picture|video)s?(?:\s+(?:credit|source)s?)?\s*:.*|credits?\s*:.*|getty images?|"
                     r"(?:image|photo)s?\s+(?:by|via|courtesy(?: of)?)\s+.+)\)?$", re.I)
_BYLINE = re.compile(r"^(?:written\s+)?by\s+(?P<rest>\S.*)$", re.I)
_BYLINE_SPLIT = re.compile(r"\s*(?:[|•·,;]|\s[-–—]\s)\s*")
_NAME_JOINERS = {"and", "&", "de", "da", "di", "del", "van", "von", "der", "le", "la", "bin"}
_LIST_ITEM = re.compile(r"^(?:(?P<num>\d{1,2})[.)]|[-•*·])\s+(?P<item>\S.*)$")
_WORD = re.compile(r"[\w’']+")
_SENTENCE_END = re.compile(r"[.!?:;…][\"”’')\]]*$")
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december")
_MONTHS = {**{n: i for i, n in enumerate(_MONTH_NAMES, 1)},
           **{n[:3]: i for i, n in enumerate(_MONTH_NAMES, 1)}, "sept": 9}
_ISO = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
_US = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_MONTH_DAY = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")


def parse_each(docs: Iterable[RawDocument | ParseError]) -> Iterator[Article | ParseError]:
    """Each document parsed, in order; an error, read or raised by parse, takes the document's place."""
    for doc in docs:
        if isinstance(doc, ParseError):
            yield doc
            continue
        try:
            yield parse(doc)
        except ParseError as e:
            yield e


def parse(doc: RawDocument) -> Article:
    """Make an Article from a RawDocument, or raise ParseError naming where and why."""
    where = (doc.origin.path, doc.origin.line)
    if doc.kind == "text":
        try:
            found = parse_text(doc.text)
        except _BadRating as exc:  # an unreadable fact-check rating must not turn into another verdict
            raise ParseError(*where, str(exc)) from None
    elif doc.kind == "html":
        from .ingest.html import extract_html  # trafilatura: imported for HTML only (start-up)

        found = extract_html(doc.text, url=doc.fields.get("url"))
        if not found.get("body"):
            raise ParseError(*where, "no article text found in HTML")
    elif doc.kind == "record":
        found = _record(doc)
    else:
        raise ParseError(*where, f"unknown document kind {doc.kind!r}")
    # What the reader already knew (a feed entry's title and outlet, a fetched URL) beats what
    # extraction guesses from a page fragment.
    found.update({k: doc.fields[k] for k in _META_KEYS if doc.fields.get(k)})
    title, body = str(found.get("title") or "").strip(), str(found.get("body") or "").strip()
    if not title and not body:
        raise ParseError(*where, "no article text found")
    title = title or _title_from_body(body)
    own_id = next((doc.fields[k] for k in ("id", "source_id", "news_id") if doc.fields.get(k)), None)
    rating = found.get("fact_check_rating")
    return Article(
        id=own_id or content_hash(title, body)[:16], title=title, body=body,
        author=_opt(found.get("author")), outlet=_opt(found.get("outlet")),
        date=_date(found.get("date")), url=_opt(found.get("url")), origin=doc.origin,
        label=_LABELS.get(doc.fields.get("label", "").strip().lower()),
        fact_check_rating=rating if isinstance(rating, int) else None,
        quotes=extract_quotes(body))


def _opt(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _date(value: object) -> str | None:
    text = _opt(value)
    return (normalize_date(text) or text) if text else None


def _record(doc: RawDocument) -> dict[str, object]:
    title = doc.fields.get("title", "").strip()
    text = doc.text.strip()
    # A title-only row (UPFD) has its title as its text: that is a headline, not a body.
    return {"title": title, "body": "" if text == title else text}


def _title_from_body(body: str, max_words: int = 15) -> str:
    first = re.split(r"(?<=[.!?])\s+", body.strip(), maxsplit=1)[0]
    words = first.split()
    return " ".join(words[:max_words]) + ("…" if len(words) > max_words else "")


def normalize_date(text: str) -> str | None:
    """ISO yyyy-mm-dd from the common date spellings, or None when the text holds no clear date."""
    for pattern, order in ((_ISO, "ymd"), (_MONTH_DAY, "mdy"), (_DAY_MONTH, "dmy"), (_US, "mdy")):
        for match in pattern.finditer(text):
            parts = dict(zip(order, match.groups()))
            month = parts["m"]
            number = int(month) if month.isdigit() else _MONTHS.get(month.lower())
            if number is None:
                continue
            try:
                return _dt.date(int(parts["y"]), number, int(parts["d"])).isoformat()
            except ValueError:
                continue
    return None


# ---- plain text (seed format) ----

def parse_text(text: str) -> dict[str, object]:
    """Split a seed-style plain-text article into title, body and metadata fields."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    found: dict[str, object] = {k: None for k in (*_META_KEYS, "fact_check_rating")}
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is None:
        found.update(title="", body="")
        return found
    headline = re.sub(r"^(?:#+\s*|title\s*:\s*)", "", lines[first], flags=re.I).strip()
    rest = lines[first + 1:]
    if len(headline.split()) > 30:  # no headline line: the text starts straight with the body
        headline, rest = _title_from_body(headline), lines[first:]
    rest, footer_outlet = _split_footer(rest)
    headline_words = set(_words(headline))
    paragraphs: list[str] = []
    for block in _blocks(rest):
        kept = [line for line in block if not _take_meta(line, found, header_zone=not paragraphs,
                                                         standalone=len(block) == 1)]
        if len(kept) == 1 and _is_title_fragment(kept[0], headline_words):
            continue
        if kept:
            paragraphs.append(" ".join(kept))
    found.update(title=headline, body="\n\n".join(paragraphs))
    found["outlet"] = found["outlet"] or footer_outlet
    found["date"] = _date(found["date"])
    return found


def _blocks(lines: list[str]) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


class _BadRating(ValueError):
    """A rating line in the header whose value is not a rating from 0 to 10."""

    def __init__(self, line: str) -> None:
        super().__init__(f"rating line {line!r} is not a rating from 0 to 10")


def _take_meta(line: str, found: dict[str, object], *, header_zone: bool, standalone: bool) -> bool:
    """Record a metadata line into `found`; True when the line is metadata and leaves the body.
    Raise _BadRating for a header rating line out of range, or a "Truth rating:" line with no number."""
    # A rating counts only in the header: a "Rating: 3/10" deep in a review is not a fact-check.
    rating = _RATING.match(line) if header_zone else None
    if rating:
        scaled = _scale_rating(*rating.groups())
        if scaled is None:
            raise _BadRating(line)
        found["fact_check_rating"] = found["fact_check_rating"] or scaled
        return True
    if header_zone and _TRUTH_RATING.match(line):
        raise _BadRating(line)
    header = _HEADER.match(line)
    if header:
        key = header["key"].lower()
        field = _HEADER_FIELDS.get(key, "date")
        found[field] = found[field] or header["value"].strip()
        return True
    if len(line.split()) <= 30 and _CREDIT.match(line):
        return True
    author = _byline(line) if header_zone or standalone else None
    if author:
        found["author"] = found["author"] or author
        return True
    return False


def _scale_rating(value: str, over: str | None, out_of: str | None) -> int | None:
    """0-10, or None when out of range: a bare number is out of 10 (never guessed a percentage:
    "Truth rating: 11" is no 1), a scaled one ("3/5", "70 out of 100") is brought to 10."""
    number, scale = float(value), over or out_of
    if scale is not None:
        if not float(scale):
            return None
        number = number / float(scale) * 10
    return math.floor(number + 0.5) if 0 <= number <= 10 else None  # halves round up, not to even


def _byline(line: str) -> str | None:
    """'By Shari Weiss |', 'by A and B, Oct. 28' -> the names; None for sentences starting 'By'."""
    match = _BYLINE.match(line)
    if not match or len(line.split()) > 15:
        return None
    names, *tail = _BYLINE_SPLIT.split(match["rest"], maxsplit=1)
    words = names.split()
    if len(words) < 2 or len(words) > 8 or words[-1].lower() in _NAME_JOINERS:
        return None
    if not all(w[0].isupper() or w.lower() in _NAME_JOINERS for w in words):
        return None
    if tail and tail[0] and re.search(r"[.!?]$", tail[0]) and len(tail[0].split()) > 4:
        return None  # "By Friday, everyone knew." is a sentence, not a byline
    return names.strip()


_POSSESSIVE_S = re.compile(r"[’']s$")


def _words(text: str) -> list[str]:
    # Only a word ending in "s" can be a possessive: the others skip the regex (an API call's whole text
    # passes through here line by line).
    return [_POSSESSIVE_S.sub("", w) if w.endswith("s") else w for w in _WORD.findall(text.lower())]


def _is_title_fragment(line: str, headline_words: set[str]) -> bool:
    """A short non-sentence line made (almost) only of headline words: a repeated title."""
    words = _words(line)
    if not words or len(words) >= 15 or _SENTENCE_END.search(line):
        return False
    return sum(w in headline_words for w in words) >= 0.8 * len(words)


def _footer_item(line: str) -> re.Match[str] | None:
    match = _LIST_ITEM.match(line)
    if not match:
        return None
    item = match["item"].strip()
    if len(item.split()) > 6 or _SENTENCE_END.search(item) or not (item[0].isupper() or item[0].isdigit()):
        return None
    return match


def _split_footer(lines: list[str]) -> tuple[list[str], str | None]:
    """Drop a trailing list of short items (a site network's footer); its first item is the outlet."""
    end = len(lines)
    while end and (not lines[end - 1] or _CREDIT.match(lines[end - 1])):
        end -= 1
    start = end
    while start and _footer_item(lines[start - 1]):
        start -= 1
    items = [_footer_item(line) for line in lines[start:end]]
    numbers = [m["num"] for m in items if m]
    if len(items) < 2 or (numbers and numbers != [str(i) for i in range(1, len(items) + 1)]):
        return lines, None
    lead = start
    while lead and not lines[lead - 1]:
        lead -= 1
    # A short lead-in such as "More from our network:" belongs to the footer too.
    if lead and lines[lead - 1].endswith(":") and len(lines[lead - 1].split()) <= 6:
        start = lead - 1
    first = items[0]
    return lines[:start] + lines[end:], first["item"].strip() if first else None


# ---- quotes ----

_CAP = r"[A-ZÀ-ÖØ-Þ][\w’'\-]*"
_NAME = rf"{_CAP}(?:[ \t]+{_CAP}){{0,2}}"  # names never span lines
_ANON = (r"(?:[Aa]n?|[Oo]ne|[Aa]nother|[Tt]he|[Hh]er|[Hh]is|[Tt]heir)\s+(?:[a-z\-]+\s+)?"
         r"(?:source|insider|friend|pal|rep|representative|spokes(?:person|man|woman)|witness|"
         r"eyewitness|confidant|relative|neighbou?r)s?\b")
_SPEAKER = rf"(?P<speaker>{_ANON}|(?:[Ss]he|[Hh]e|[Tt]hey)\b|{_NAME})"
_VERB = (r"(?:says|said|say|tells|told|tell|explains|explained|explain|adds|added|add|continues|"
         r"continued|goes on|went on|claims|claimed|insists|insisted|notes|noted|shares|shared|"
         r"reveals|revealed|admits|admitted|recalls|recalled|writes|wrote|states|stated|stresses|"
         r"stressed|confirms|confirmed|jokes|joked|gushes|gushed|asks|asked|replies|replied|"
         r"responds|responded|tweets|tweeted|captioned|acknowledges|acknowledged|warns|warned)\b")
_POST_INVERTED = re.compile(rf"^\s*{_VERB}\s+{_SPEAKER}")
_POST = re.compile(rf"^\s*{_SPEAKER}\s+(?:(?:[a-z]+ly|later|also|then|once|previously)\s+){{0,2}}{_VERB}")
_PRE = re.compile(rf"{_SPEAKER}\s+(?:[a-z]+\s+){{0,4}}?{_VERB}[^.!?“”\"]{{0,40}}[,:]\s*$")
_ACCORDING = re.compile(rf"\baccording to\s+{_SPEAKER}")
_QUOTE = re.compile(r"“(?P<curly>[^“”\n]+)”|\"(?P<straight>[^\"\n]+)\"")
_FULL_NAME = re.compile(rf"{_CAP}(?:[ \t]+{_CAP})+")
_CAPS = re.compile(rf"{_CAP}(?:[ \t]+{_CAP})*")
_CLAUSE_START = re.compile(r"(?:[.!?][\"”’]?\s+|\n)")
# Capitalised words that open sentences or name things but are never part of a person's name.
_NOT_NAMES = {"a", "an", "the", "but", "and", "or", "as", "so", "then", "when", "while", "now", "for",
              "in", "on", "at", "to", "of", "with", "after", "before", "since", "though", "although",
              "if", "because", "meanwhile", "however", "here", "there", "this", "that", "these",
              "those", "it", "its", "his", "her", "their", "our", "my", "we", "i", "you", "also",
              "still", "yet", "even", "just", "about", "from", "by", "into", "over", "up", "down"}
# Words that often precede a name in a capitalised run ("Actor Robert Pattinson"): dropped.
_NAME_PREFIXES = _NOT_NAMES | {"actor", "actress", "singer", "star", "rapper", "model", "director",
                               "producer", "host", "comedian", "president", "maybe", "perhaps"}
# Words after which a name starts a clause, i.e. is likely its subject.
_CLAUSE_WORDS = {"and", "but", "as", "while", "when", "because", "so", "then", "now", "after",
                 "before", "since", "though", "although", "if", "where", "meanwhile", "also", "yet",
                 "until", "once"}


def _clean_name(text: str) -> str | None:
    words = re.sub(r"[’']s$", "", text.strip()).split()
    while words and words[0].lower() in _NAME_PREFIXES:
        words.pop(0)
    if not words or any(w.lower() in _NOT_NAMES for w in words):
        return None
    return " ".join(words)


def _people(body: str) -> dict[str, str]:
    """Map each surname and first name in the body's full names to the first full name using it."""
    short: dict[str, str] = {}
    for match in _FULL_NAME.finditer(body):
        name = _clean_name(match.group())
        if name and len(name.split()) >= 2:
            parts = name.split()
            short.setdefault(parts[-1], name)
            short.setdefault(parts[0], name)
    return short


def _is_subject(body: str, start: int) -> bool:
    window = body[max(0, start - 40):start]  # the previous word is all that matters
    before = window.rstrip()
    if not before or "\n" in window[len(before):] or before[-1] in ".!?;:,(—–“”\"":
        return True
    previous = before.split()[-1].lower()
    return previous in _CLAUSE_WORDS


def _antecedent(body: str, position: int, spans: list[tuple[int, int]], short: dict[str, str]) -> str | None:
    """The last person named as a clause subject before `position`, outside quotes."""
    best = None
    for match in _CAPS.finditer(body, 0, position):
        if any(a <= match.start() < b for a, b in spans) or re.search(r"[’']s$", match.group()):
            continue
        name = _clean_name(match.group())
        if not name:
            continue
        offset = match.start() + match.group().index(name.split()[0])
        resolved = name if len(name.split()) > 1 else short.get(name)
        if resolved and _is_subject(body, offset):
            best = short.get(resolved.split()[-1], resolved)
    return best


def _who(match: re.Match[str], at: int, body: str, spans: list[tuple[int, int]],
         short: dict[str, str]) -> str | None:
    speaker = match["speaker"]
    if speaker.lower() in ("she", "he"):
        return _antecedent(body, at, spans, short)
    if speaker.lower() == "they":
        return None
    if re.match(_ANON, speaker):
        return speaker[0].lower() + speaker[1:]
    name = _clean_name(speaker)
    if not name or name.lower().endswith("ing"):
        return None
    return short.get(name, name) if len(name.split()) == 1 else name


def _speaker(body: str, outer: tuple[int, int], inner: str, spans: list[tuple[int, int]],
             short: dict[str, str]) -> str | None:
    start, end = outer
    after = re.split(r"[“\"\n]", body[end:end + 80], maxsplit=1)[0]
    # '"...," she says' attributes backwards; after '"...."' a new sentence begins instead.
    if not inner.rstrip().endswith("."):
        for pattern in (_POST_INVERTED, _POST):
            match = pattern.match(after)
            if match and (who := _who(match, end + match.start("speaker"), body, spans, short)):
                return who
    match = _ACCORDING.search(after)
    if match and (who := _who(match, end + match.start("speaker"), body, spans, short)):
        return who
    window = body[max(0, start - 120):start]
    clause_at = max((m.end() for m in _CLAUSE_START.finditer(window)), default=0)
    clause, base = window[clause_at:], max(0, start - 120) + clause_at
    for word in reversed([m.start() for m in re.finditer(r"\b\w", clause)]):
        match = _PRE.match(clause, word) or _ACCORDING.match(clause, word)
        if match and (who := _who(match, base + match.start("speaker"), body, spans, short)):
            return who
    return None


def extract_quotes(body: str) -> tuple[Quote, ...]:
    """Quotations of 3+ words in “curly” or "straight" quotes, with their speakers when stated."""
    matches = list(_QUOTE.finditer(body))
    spans = [m.span() for m in matches]
    kept = [(m, "curly" if m["curly"] is not None else "straight") for m in matches]
    kept = [(m, group) for m, group in kept if len(m[group].split()) >= 3]
    # The names in the body only attribute quotes: most articles have none worth keeping.
    short = _people(body) if kept else {}
    quotes: list[Quote] = []
    previous: tuple[int, str | None] | None = None  # (end, speaker) of the last quote kept
    for match, group in kept:
        raw = match[group]
        speaker = _speaker(body, match.span(), raw, spans, short)
        if speaker is None and previous and previous[1]:
            gap = body[previous[0]:match.start()]
            if len(gap) <= 60 and "\n" not in gap:  # a quote that runs on past its attribution
                speaker = previous[1]
        text = raw.strip().rstrip(",").rstrip()
        start = match.start(group) + (len(raw) - len(raw.lstrip()))
        quotes.append(Quote(text, speaker, start, start + len(text)))
        previous = (match.end(), speaker)
    return tuple(quotes)
