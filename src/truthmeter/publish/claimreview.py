"""schema.org ClaimReview JSON-LD for stories: for the story pages, the export and search engines.

The claim reviewed is the story's claim (a plain positive sentence: "Marisol Vance is engaged to Dex
Harrow"), never a debunk's headline, which would tell search engines the denial is false; a story stored
before claims existed falls back to its headline. The item reviewed names the outlet that first reported
the claim and when. The review is the desk's final rating on the 0 (false) to 10 (true) scale: the site
emits ClaimReview for published verdicts only (a model's rating is a reading aid, not a review);
`claim_review_for_story` describes a model-rated story for callers that label it so themselves.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Iterable, Sequence, TextIO

from markupsafe import Markup

from truthmeter.newsroom.records import PublishedStory
from truthmeter.publish.stories import claim_text
from truthmeter.types import Story, Verdict

__all__ = ["AUTHOR_NAME", "MODEL_EXPLANATION", "story_url", "claim_review", "claim_review_for_story",
           "claim_review_script", "export_claimreview"]

AUTHOR_NAME = "truthmeter desk"
MODEL_EXPLANATION = "Rated by the truthmeter model; no editor has reviewed this story yet."

# Characters that end or confuse a <script> element, or JavaScript parsers that still read JSON-LD.
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029]")
# A lone surrogate (from a JSON "\ud800" escape in some input) cannot be encoded as UTF-8; as a JSON
# escape it stays valid JSON and never breaks writing the page or the file.
_SURROGATE = re.compile("[\ud800-\udfff]")


def story_url(site_url: str, story_id: str) -> str:
    return f"{site_url.rstrip('/')}/stories/{story_id}"


def _item_reviewed(story: Story, appearances: Sequence[str]) -> dict[str, object]:
    """The schema.org Claim: who first reported it (an Organization) and when, and where it appeared.
    A story without a stored claim (older than claims) is dated by its first article, as before."""
    claim: dict[str, object] = {"@type": "Claim"}
    if story.claim is not None and story.claim.reported_by:
        claim["author"] = {"@type": "Organization", "name": story.claim.reported_by}
    urls = list(dict.fromkeys(u for u in appearances if u))  # keep the order given, drop repeats
    if urls:
        claim["appearance"] = [{"@type": "CreativeWork", "url": u} for u in urls]
        claim["firstAppearance"] = {"@type": "CreativeWork", "url": urls[0]}
    published = story.claim.reported_on if story.claim is not None else story.first_date
    if published:
        claim["datePublished"] = published
    return claim


def _build(story: Story, rating: int, verdict: Verdict, site_url: str, appearances: Sequence[str],
           published_at: str | None, modified_at: str | None, editor: str | None,
           explanation: str | None) -> dict[str, object]:
    site = site_url.rstrip("/")
    data: dict[str, object] = {"@context": "https://schema.org", "@type": "ClaimReview",
                               "url": story_url(site, story.id), "claimReviewed": claim_text(story)}
    if published_at:
        data["datePublished"] = published_at
    if modified_at:
        data["dateModified"] = modified_at
    data["author"] = {"@type": "Organization", "name": AUTHOR_NAME, "url": site}
    if editor:
        data["editor"] = {"@type": "Person", "name": editor}
    review_rating: dict[str, object] = {"@type": "Rating", "ratingValue": rating, "bestRating": 10,
                                        "worstRating": 0, "alternateName": verdict.value}
    if explanation:
        review_rating["ratingExplanation"] = explanation
    data["reviewRating"] = review_rating
    data["itemReviewed"] = _item_reviewed(story, appearances)
    return data


def claim_review(item: PublishedStory, site_url: str) -> dict[str, object]:
    """ClaimReview of a published story: the desk's final rating and verdict, the editor's note as the
    rating's explanation, dateModified = the latest correction's time when it was corrected.
    `item.appearances` are article URLs, earliest first: the first is the claim's first appearance."""
    latest = item.corrections[-1] if item.corrections else None
    return _build(item.story, item.rating, item.verdict, site_url, item.appearances,
                  published_at=item.review.published_at, modified_at=latest.at if latest else None,
                  editor=(latest.editor if latest else None) or item.review.editor,
                  explanation=item.review.note)


def claim_review_for_story(story: Story, rating: int, verdict: Verdict, site_url: str, *,
                           appearances: Sequence[str] = (),
                           explanation: str = MODEL_EXPLANATION) -> dict[str, object]:
    """ClaimReview of a story no editor has published: the model's `rating` (0-10) and `verdict`,
    dated when the story (and so its rating) last changed, with no editor."""
    return _build(story, rating, verdict, site_url, appearances,
                  published_at=story.updated_at or story.created_at, modified_at=None, editor=None,
                  explanation=explanation)


def _dumps(data: object, indent: int | None = None) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def claim_review_script(data: dict[str, object]) -> str:
    """The text to put between `<script type="application/ld+json">` and `</script>`.

    `<`, `>` and `&` become JSON escapes, so no title (not even one holding `</script>` or `<!--`)
    can end the element; the JSON means the same. Returned as Markup: Jinja must not HTML-escape it
    (entities are not decoded inside <script>), and no `|safe` is needed.
    """
    return Markup(_SCRIPT_UNSAFE.sub(lambda m: _SCRIPT_ESCAPES[m.group()], _dumps(data)))


def export_claimreview(items: Iterable[PublishedStory], out: TextIO, site_url: str) -> int:
    """Write the ClaimReview of each item as one pretty JSON array, in the order given, one record at
    a time; returns how many were written."""
    count = 0
    for item in items:
        out.write("[\n" if count == 0 else ",\n")
        out.write(textwrap.indent(_dumps(claim_review(item, site_url), indent=2), "  "))
        count += 1
    out.write("\n]\n" if count else "[]\n")
    out.flush()
    return count
