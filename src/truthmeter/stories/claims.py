"""A story's claim: one plain sentence in the positive, the thing its verdict is about.

Headlines are not claims. "Marisol Vance Is Not Engaged To Dex Harrow, Despite Tabloid Claim" is a
debunk: rated False beside it, a reader would conclude the denial is false. So the claim is read
from the story's first report and rewritten as a sentence:

- kicker and attribution are dropped ("SHOCKING:", ", Insider Says", ", Despite Tabloid Claim",
  a quoted fragment after a colon);
- a debunk (a fact-check rated below Mixed, or an article that denies) loses its negation
  ("is not" -> "is", "isn't" -> "is", "never dated" -> "dated"), taken from the headline or, when
  the headline has none, from the lead sentence;
- a headline without a verb borrows the lead sentence when that says the same thing with one
  ("Khloe Kardashian First Interview About Lamar Odom" -> "Khloe Kardashian gives her first
  interview about Lamar Odom's health crisis in the new issue of People");
- a yes/no question becomes a statement ("Is Marisol Vance Quitting Music?" -> "Marisol Vance is
  quitting music"), a participle after a name gets its verb ("X Secretly Engaged To Y" -> "X is
  secretly engaged to Y");
- Title Case and ALL CAPS become sentence case, keeping people's names, acronyms and words the
  body writes capitalised.
Rules, not a model: every step is one a reader can check against the headline.
"""

from __future__ import annotations

import re
from typing import Sequence

from truthmeter.types import MAX_CLAIM_CHARS, Claim, ClaimBasis

__all__ = ["Claim", "ClaimBasis", "claim_sentence", "MAX_CLAIM_CHARS"]


_KICKER = re.compile(r"^\s*(?:[A-Z][A-Z!'’ ]{1,24}|(?i:exclusive|breaking|report|watch|photos?|video|update|"
                     r"gossip\s+cop|fact[\s-]*check|false|true|rumou?r|busted|debunked))\s*[:|]\s+")
# Attribution and debunk tails after a comma or dash: "..., Insider Says", "... - Despite Reports".
_TAIL = re.compile(r"\s*(?:,|\s[-–—|]\s)\s*(?i:(?:despite|contrary\s+to|according\s+to|amid|not\s+what)\b.*|"
                   r"(?:an?\s+|the\s+|new\s+|multiple\s+)*(?:insiders?|sources?|reports?|tabloids?|magazines?|"
                   r"pals?|friends?|rumou?rs?|claims?|story|stories)\s+(?:says?|claims?|reveals?|alleges?|reports?)\b.*|"
                   r"(?:reports?|sources?|insiders?)$|gossip\s+cop\b.*)$")
_QUESTION = re.compile(r"^(?i:(is|are|was|were|has|have|had|will|would|could|can|did|does|do))\s+(.+)$")
_CONTRACTED = {"isn't": "is", "aren't": "are", "wasn't": "was", "weren't": "were", "hasn't": "has",
               "haven't": "have", "hadn't": "had", "won't": "will", "can't": "can", "couldn't": "could",
               "doesn't": "does", "don't": "do", "didn't": "did", "wouldn't": "would", "shouldn't": "should"}
_CONTRACTION = re.compile(r"\b(" + "|".join(k.replace("'", "['’]") for k in _CONTRACTED) + r")\b", re.I)
_NOT = re.compile(r"\b(is|are|was|were|has|have|had|will|would|could|can|does|do|did|should)\s+(?:not|never)\s+", re.I)
_BARE_NOT = re.compile(r"\b(?:not|never|no\s+longer)\s+(?=[a-z])", re.I)
_LEADING_NO = re.compile(r"^\s*(?i:no|nope|false)\s*[,:!.—–-]+\s*")
_VERBLESS_PARTICIPLE = re.compile(r"^(?:\w+ly\s+)?(?:engaged|married|pregnant|dating|divorcing|divorced|separated|"
                                  r"splitting|expecting|feuding|fighting|quitting|leaving|moving|getting|"
                                  r"planning|returning|joining|done|over|broke|furious|heartbroken|"
                                  r"back\s+together|still\s+together|[a-z]+ing)\b", re.I)
_FINITE = re.compile(r"\b(?:is|are|was|were|has|have|had|will|would|can|could|did|does|do|says?|said|"
                     r"[a-z]{3,}(?:s|ed))\b", re.I)
_LEAD_CUT = re.compile(r"(?:,\s*(?:which|who|whose|where|despite|according|amid|after|as|and\s+(?:a|an|the)\s+"
                       r"(?:source|insider|report))\b|\s[-–—]\s|;|:\s)")
_SENTENCE_END = re.compile(r"(?<=[a-z0-9”\"’')])[.!?]+(?=\s+[A-Z“\"‘]|\s*$)")
_WORD = re.compile(r"[\w’'-]+")
_TRIM = " \t\n.,;:!?-–—|"


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _drop_quote_after_colon(title: str) -> str:
    """"X In PEOPLE: We're Not 'In A Relationship'" -> "X In PEOPLE": a quoted reply is not the claim."""
    head, sep, rest = title.partition(": ")
    if not sep or len(head.split()) < 3:
        return title
    if re.match(r"\s*(?:[“\"‘']|(?:I|I'm|I’m|We|We're|We’re|My|Our|You)\b)", rest):
        return head
    return title


def _clean(title: str) -> tuple[str, bool]:
    """The headline's first sentence without kicker or attribution, and whether it asks a question."""
    text = " ".join(title.split())
    text = _LEADING_NO.sub("", _KICKER.sub("", text, count=1))
    text = re.split(r"(?<=[?!.])\s+(?=[A-Z“\"])", text, maxsplit=1)[0]
    question = bool(re.search(r"\?[!?]*$", text))
    text = _TAIL.sub("", _drop_quote_after_colon(text.rstrip("?!. ")))
    return text.strip(_TRIM) or title.strip(_TRIM), question


def _unnegate(text: str) -> tuple[str, bool]:
    """The sentence with its negation removed, and whether there was one."""
    out = _CONTRACTION.sub(lambda m: _CONTRACTED[m.group(1).lower().replace("’", "'")], text)
    out = _NOT.sub(lambda m: m.group(1) + " ", out)
    out = _BARE_NOT.sub("", out, count=1) if out == text else out
    return " ".join(out.split()), out != text


def _name_prefix(words: list[str], people: Sequence[str]) -> int:
    """How many leading words are a person's name (or two joined by and/&)."""
    n = 0
    for _ in range(2):
        matched = 0
        for name in sorted(people, key=len, reverse=True):
            parts = name.lower().split()
            got = [w.lower().rstrip("'’s") if i == len(parts) - 1 else w.lower()
                   for i, w in enumerate(words[n:n + len(parts)])]
            if got == [p.rstrip("'’s") if i == len(parts) - 1 else p for i, p in enumerate(parts)]:
                matched = len(parts)
                break
        if not matched:
            break
        n += matched
        if n < len(words) and words[n].lower() in ("and", "&"):
            n += 1
        else:
            break
    return n


def _restate(text: str, people: Sequence[str], question: bool) -> str:
    """A yes/no question as a statement; a verbless "Name Participle ..." with its verb."""
    words = text.split()
    q = _QUESTION.match(text)
    if q and question:
        rest = q.group(2).split()
        n = _name_prefix(rest, people)
        if n:
            return " ".join([*rest[:n], q.group(1).lower(), *rest[n:]])
    n = _name_prefix(words, people)
    if n and n < len(words) and not _FINITE.match(words[n]) and _VERBLESS_PARTICIPLE.match(" ".join(words[n:])):
        verb = "are" if any(w.lower() in ("and", "&") for w in words[:n]) else "is"
        return " ".join([*words[:n], verb, *words[n:]])
    return text


def _proper_in(body: str) -> set[str]:
    """Words the body writes capitalised in mid-sentence and never in lower case."""
    lower: set[str] = set()
    upper: set[str] = set()
    for m in re.finditer(r"(?<=[a-z,;]\s)([\w’'-]+)|(?<!^)(?<![.!?]\s)\b([\w’'-]+)", body[:3000]):
        w = m.group(1) or m.group(2)
        (upper if w[:1].isupper() else lower).add(w.lower())
    return upper - lower


def _sentence_case(text: str, people: Sequence[str], body: str) -> str:
    """Title Case or ALL CAPS headline wording in sentence case; names, acronyms and proper nouns kept."""
    words = text.split()
    alpha = [w for w in words if re.search(r"[A-Za-z]", w)]
    caps = [w for w in alpha if w[:1].isupper()]
    if len(alpha) < 3 or len(caps) < 0.6 * len(alpha):
        return text[:1].upper() + text[1:]
    shouting = sum(w.isupper() for w in alpha) >= 0.6 * len(alpha)
    name_words = {p.lower() for name in people for p in name.split()}
    proper = _proper_in(body)
    out = []
    quoted = False  # a quoted title ("Lindqvist Living") keeps its capitals
    for w in words:
        core = w.strip(_TRIM + "“”\"‘’'").lower()
        base = re.sub(r"['’]s$", "", core)
        opens = w[:1] in "“\"‘" and not quoted
        if opens or quoted:
            quoted = not re.search(r"[”\"’]\W*$", w) or (opens and len(w) == 1)
            out.append(w)
        elif base in name_words or core in name_words:
            out.append(w if not shouting else w[:1] + w[1:].lower())
        elif (w.isupper() and 1 < len(core) <= 4 and not shouting) or base in proper or core in proper:
            out.append(w if not shouting else w.capitalize())
        else:
            out.append(w.lower())
    out[0] = re.sub(r"^(\W*)(\w)", lambda m: m.group(1) + m.group(2).upper(), out[0])
    return " ".join(out)


def _lead(body: str) -> str:
    """The body's first sentence, cut before a trailing aside."""
    first = _SENTENCE_END.split(body.strip(), maxsplit=1)[0]
    first = " ".join(first.split())
    cut = _LEAD_CUT.search(first)
    return (first[:cut.start()] if cut else first).strip(_TRIM)


def _agrees(lead: str, headline: str, people: Sequence[str]) -> bool:
    """Whether a lead sentence restates the headline: it opens with a person the headline names and
    holds most of its words."""
    words = [w for w in _words(headline) if len(w) > 3]
    if not lead or len(lead.split()) > 30 or not words:
        return False
    lead_words = set(_words(lead))
    opens = any(lead.lower().startswith(p.lower()) for p in people if p.lower() in headline.lower())
    return opens and sum(w in lead_words for w in words) >= 0.7 * len(words)


def claim_sentence(title: str, body: str = "", people: Sequence[str] = (), *, debunk: bool = False
                   ) -> tuple[str, ClaimBasis]:
    """The claim an article makes (or, for a debunk, denies), as a positive sentence, and its basis."""
    headline, question = _clean(title)
    lead = _lead(body) if body else ""
    if debunk:
        for text, asked in ((headline, question), (lead, False)):
            positive, changed = _unnegate(text)
            if changed:
                return _finish(positive, people, body, asked), ClaimBasis.DEBUNK
    if lead and not _FINITE.search(headline) and _agrees(lead, headline, people):
        return _finish(lead, people, body, False), ClaimBasis.LEAD
    return _finish(headline, people, body, question), ClaimBasis.HEADLINE


def _finish(text: str, people: Sequence[str], body: str, question: bool) -> str:
    text = _restate(_sentence_case(text.strip(_TRIM), people, body), people, question).strip(_TRIM)
    if len(text) > MAX_CLAIM_CHARS:
        text = text[:MAX_CLAIM_CHARS].rsplit(" ", 1)[0] + "…"
    return text
