"""The verdict in prose: a few sentences a reader takes in at once, generated from a story's evidence.

"Gossip Cop rated this 10/10. Khloe Kardashian said on the record: “There are too many other important
things”. 2 articles report it (Gossip Cop, People)."

Built only from what the story holds (its fact-checks, on-the-record quotes, denials and articles), so
every sentence can be checked against the sources listed under it; never the model's internals. An
editor may replace it at the desk (Desk.set_summary); readers see the editor's text once the verdict
is published.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from truthmeter.publish.formats import shorten
from truthmeter.types import FactCheck, Stance, Story

__all__ = ["generated_summary", "cut_at_word"]

_QUOTE_CHARS = 180  # a quote in the prose is cut at a word past this


def cut_at_word(text: str, limit: int) -> str:
    """`text` with runs of spaces as one, cut at a word to fit `limit` characters, an ellipsis marking
    the cut (publish.formats.shorten, with no dangling punctuation before the ellipsis)."""
    cut = shorten(" ".join(text.split()), limit)
    return cut[:-1].rstrip(" ,;:.-–—") + "…" if cut.endswith("…") else cut


def _outlet_names(outlets: Sequence[str]) -> str:
    shown = list(dict.fromkeys(o for o in outlets if o))
    if len(shown) > 3:
        return ", ".join(shown[:3]) + f" and {len(shown) - 3} more"
    return ", ".join(shown)


def _fact_check_sentence(check: FactCheck, latest: bool) -> str:
    who = check.outlet or "A fact-checker"
    if check.basis == "wording":
        said = f" (“{cut_at_word(check.wording, 80)}”)" if check.wording else ""
        sentence = f"{who} debunked it{said}, which reads as {check.rating}/10"
    else:
        sentence = f"{who} rated this {check.rating}/10"
    return sentence + ("" if latest else ", in an earlier fact-check") + "."


def _quoted(text: str) -> str:
    inner = cut_at_word(text.strip().strip("“”\"'"), _QUOTE_CHARS)
    return f"“{inner}”"


def _sentence(text: str) -> str:
    """Capitalised, and ended with a full stop unless a quote already ends it ("... relationship.”")."""
    text = text[:1].upper() + text[1:]
    return text if text.rstrip("”").endswith((".", "!", "?", "…")) else text + "."


def _best_quote(quotes: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The first on-the-record quote with a speaker and some substance (a few words, not a speech)."""
    named = [q for q in quotes if q.get("speaker") and len(str(q.get("text", "")).split()) >= 4]
    fitting = [q for q in named if len(str(q["text"])) <= _QUOTE_CHARS]
    return (fitting or named or [None])[0]


def generated_summary(story: Story, fact_checks: Sequence[FactCheck], detail: Mapping[str, Any]) -> str:
    """The prose for `story`, from its fact-checks and `detail` (publish.stories.story_detail: its
    articles with their stances, on-the-record quotes and denials)."""
    sentences: list[str] = []
    checks = sorted(fact_checks, key=lambda f: f.date or "", reverse=True)
    deciding = [f for f in checks if f.rating == story.fact_check_rating] if story.fact_check_rating is not None else []
    if deciding:
        sentences.append(_fact_check_sentence(deciding[0], latest=True))
        earlier = next((f for f in checks if f is not deciding[0] and f.rating != deciding[0].rating), None)
        if earlier is not None:
            sentences.append(_fact_check_sentence(earlier, latest=False))
    quote = _best_quote(detail.get("quotes_on_record") or [])
    if quote is not None:
        sentences.append(_sentence(f"{quote['speaker']} said on the record: {_quoted(str(quote['text']))}"))
    denial = next(iter(detail.get("denials") or []), None)
    if denial is not None:
        if denial.get("by"):
            sentences.append(_sentence(f"{denial['by']} denied it: {_quoted(str(denial['text']))}"))
        else:
            sentences.append(_sentence(f"A denial is on record: {_quoted(str(denial['sentence'] or denial['text']))}"))
    articles = [a for a in detail.get("articles") or [] if not a.get("is_fact_check")]
    telling = [a for a in articles if a.get("stance") == Stance.SUPPORTS.value]
    against = [a for a in articles if a.get("stance") == Stance.CONTRADICTS.value]
    for group, verb in ((telling, "report"), (against, "contradict")):
        if not group:
            continue
        names = _outlet_names([a.get("outlet") or "" for a in group])
        if len(group) == 1:
            sentences.append(f"{names} {verb}s it." if names else f"One article {verb}s it.")
        else:
            sentences.append(f"{len(group)} articles {verb} it" + (f" ({names})." if names else "."))
    if not deciding and quote is None and denial is None:
        if story.story_rating is None:
            sentences.append("There is too little to judge it yet: no fact-check, and no article with enough "
                             "text takes a side.")
        else:
            sentences.append("No fact-check, on-the-record quote or denial was found: the rating rests on how "
                             "the reports are sourced and worded.")
    return " ".join(sentences)
