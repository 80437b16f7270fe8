"""ClaimReview JSON-LD: the fields search engines read, corrections, model-only stories, HTML-safe
embedding of hostile titles, and the streaming export (with a golden file for a fixed input).

Regenerate the golden file after an intended change with
`TRUTHMETER_REGEN_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_claimreview.py`, and review the diff."""

from __future__ import annotations

import io
import json
import os
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterator

import jinja2
import pytest

from truthmeter.newsroom.records import Correction, PublishedStory, Review, ReviewStatus
from truthmeter.publish import claim_review, claim_review_for_story, claim_review_script, export_claimreview
from truthmeter.publish.claimreview import AUTHOR_NAME, MODEL_EXPLANATION
from truthmeter.types import Claim, ClaimBasis, Signal, Story, Verdict

GOLDEN = Path(__file__).parent / "golden" / "claimreview.json"
REGEN = os.environ.get("TRUTHMETER_REGEN_GOLDEN") == "1"  # read at import: the clean_env fixture drops it
SITE = "https://news.example"
HOSTILE = "</script><script>alert('x')</script> <!-- & \"Tom & Jerry\" > 'split' -->"


def story(sid: str = "s1", title: str = "Marisol Vantreece secretly split from Teodor Orlby",
          rating: int = 8, verdict: Verdict = Verdict.MOSTLY_TRUE, first_date: str | None = "2024-04-28",
          claim: Claim | None = None) -> Story:
    """A story; without `claim`, one stored before claims existed (its headline stands in for it)."""
    return Story(id=sid, title=title, story_rating=rating, verdict=verdict, signals=(Signal("s", 0.5),),
                 article_ids=("a1", "a2"), outlets=("People",), people=("Marisol Vantreece",),
                 first_date=first_date, last_date="2024-04-30", created_at="2024-04-30T08:00:00+00:00",
                 updated_at="2024-04-30T09:30:00+00:00", claim=claim)


def published(s: Story | None = None, final: int | None = 2, verdict: Verdict | None = Verdict.MOSTLY_FALSE,
              corrections: tuple[Correction, ...] = (),
              appearances: tuple[str, ...] = ("https://gossip.example/split", "https://other.example/b"),
              note: str | None = "Both publicists denied it on the record.") -> PublishedStory:
    s = s or story()
    review = Review(story_id=s.id, status=ReviewStatus.PUBLISHED, model_rating=s.story_rating, final_rating=final,
                    final_verdict=verdict, note=note, editor="ada", reviewed_at="2024-05-01T10:00:00+00:00",
                    published_at="2024-05-01T10:05:00+00:00")
    return PublishedStory(story=s, review=review, corrections=corrections, appearances=appearances)


CORRECTION = Correction(story_id="s1", previous_rating=2, new_rating=7, note="The couple confirmed it later.",
                        editor="grace", at="2024-05-03T16:20:00+00:00")


class _Scripts(HTMLParser):
    """Collects the raw text of every <script> element, as a browser tokenizer splits it."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = True
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._open = self._open and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._open:
            self.scripts[-1] += data


def scripts_in(html: str) -> list[str]:
    parser = _Scripts()
    parser.feed(html)
    parser.close()
    return parser.scripts


# --- the record ---------------------------------------------------------------------------------

def test_published_story_has_the_fields_the_issue_demands() -> None:
    data = claim_review(published(), SITE)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "ClaimReview"
    assert data["url"] == "https://news.example/stories/s1"
    assert data["claimReviewed"] == "Marisol Vantreece secretly split from Teodor Orlby"
    assert data["datePublished"] == "2024-05-01T10:05:00+00:00"
    assert "dateModified" not in data
    assert data["author"] == {"@type": "Organization", "name": AUTHOR_NAME, "url": SITE}
    assert data["editor"] == {"@type": "Person", "name": "ada"}
    assert data["reviewRating"] == {"@type": "Rating", "ratingValue": 2, "bestRating": 10, "worstRating": 0,
                                    "alternateName": "Mostly false",
                                    "ratingExplanation": "Both publicists denied it on the record."}
    assert data["itemReviewed"] == {
        "@type": "Claim",
        "appearance": [{"@type": "CreativeWork", "url": "https://gossip.example/split"},
                       {"@type": "CreativeWork", "url": "https://other.example/b"}],
        "firstAppearance": {"@type": "CreativeWork", "url": "https://gossip.example/split"},
        "datePublished": "2024-04-28"}


DEBUNK = "Marisol Vance Is Not Engaged To Dex Harrow, Despite Tabloid Claim"
CLAIM = Claim("Marisol Vance is engaged to Dex Harrow", ClaimBasis.DEBUNK, source="h1", reported_by="Glitz Daily",
              reported_on="2024-04-20")


def test_the_claim_is_reviewed_never_the_debunk_headline() -> None:
    data = claim_review(published(story(title=DEBUNK, claim=CLAIM), final=1, verdict=Verdict.FALSE), SITE)
    assert data["claimReviewed"] == "Marisol Vance is engaged to Dex Harrow"
    assert data["reviewRating"]["alternateName"] == "False"
    assert data["itemReviewed"] == {
        "@type": "Claim",
        "author": {"@type": "Organization", "name": "Glitz Daily"},
        "appearance": [{"@type": "CreativeWork", "url": "https://gossip.example/split"},
                       {"@type": "CreativeWork", "url": "https://other.example/b"}],
        "firstAppearance": {"@type": "CreativeWork", "url": "https://gossip.example/split"},
        "datePublished": "2024-04-20"}
    model = claim_review_for_story(story(title=DEBUNK, claim=CLAIM, rating=1, verdict=Verdict.FALSE), 1,
                                   Verdict.FALSE, SITE)
    assert model["claimReviewed"] == "Marisol Vance is engaged to Dex Harrow"
    assert model["itemReviewed"]["author"] == {"@type": "Organization", "name": "Glitz Daily"}


def test_an_unknown_first_reporter_or_date_is_left_out() -> None:
    # A claim read from a debunk alone: nobody is known to have reported it, nor when; the story's
    # first date is the debunk's, so it is not the claim's date either.
    unsourced = Claim("Marisol Vance is engaged to Dex Harrow", ClaimBasis.DEBUNK)
    data = claim_review(published(story(title=DEBUNK, claim=unsourced), appearances=()), SITE)
    assert data["claimReviewed"] == "Marisol Vance is engaged to Dex Harrow"
    assert data["itemReviewed"] == {"@type": "Claim"}
    edited = Claim("Marisol Vance and Dex Harrow are engaged", ClaimBasis.EDITOR, reported_by="Glitz Daily",
                   edited_by="ada")
    data = claim_review(published(story(title=DEBUNK, claim=edited), appearances=()), SITE)
    assert data["claimReviewed"] == "Marisol Vance and Dex Harrow are engaged"
    assert data["itemReviewed"] == {"@type": "Claim", "author": {"@type": "Organization", "name": "Glitz Daily"}}


def test_the_final_rating_wins_over_the_model_and_falls_back_to_it() -> None:
    overridden = claim_review(published(story(rating=9, verdict=Verdict.TRUE), final=1, verdict=Verdict.FALSE), SITE)
    assert (overridden["reviewRating"]["ratingValue"], overridden["reviewRating"]["alternateName"]) == (1, "False")
    model_only = claim_review(published(story(rating=9, verdict=Verdict.TRUE), final=None, verdict=None), SITE)
    assert (model_only["reviewRating"]["ratingValue"], model_only["reviewRating"]["alternateName"]) == (9, "True")


def test_a_corrected_story_shows_the_new_rating_and_when_it_changed() -> None:
    later = Correction(story_id="s1", previous_rating=7, new_rating=6, note="Partly walked back.", editor="linus",
                       at="2024-05-09T07:00:00+00:00")
    data = claim_review(published(final=6, verdict=Verdict.MIXED, corrections=(CORRECTION, later)), SITE)
    assert data["datePublished"] == "2024-05-01T10:05:00+00:00"  # first publication stays
    assert data["dateModified"] == "2024-05-09T07:00:00+00:00"  # the latest correction
    assert data["reviewRating"]["ratingValue"] == 6
    assert data["reviewRating"]["alternateName"] == "Mixed"
    assert data["editor"] == {"@type": "Person", "name": "linus"}


def test_without_appearances_or_dates_the_claim_omits_them() -> None:
    data = claim_review(published(story(first_date=None), appearances=(), note=None), SITE + "/")
    assert data["itemReviewed"] == {"@type": "Claim"}
    assert "ratingExplanation" not in data["reviewRating"]
    assert data["url"] == "https://news.example/stories/s1"  # a trailing slash on the site is not doubled
    assert data["author"]["url"] == SITE


def test_repeated_appearances_are_listed_once_in_order() -> None:
    urls = ("https://b.example/1", "https://a.example/2", "https://b.example/1", "")
    data = claim_review(published(appearances=urls), SITE)
    assert [a["url"] for a in data["itemReviewed"]["appearance"]] == ["https://b.example/1", "https://a.example/2"]
    assert data["itemReviewed"]["firstAppearance"]["url"] == "https://b.example/1"


def test_a_model_rated_story_says_no_editor_reviewed_it() -> None:
    s = story(rating=3, verdict=Verdict.MOSTLY_FALSE)
    data = claim_review_for_story(s, s.story_rating, s.verdict, SITE, appearances=("https://g.example/x",))
    assert "editor" not in data and "dateModified" not in data
    assert data["datePublished"] == "2024-04-30T09:30:00+00:00"  # when the story (and its rating) last changed
    assert data["reviewRating"] == {"@type": "Rating", "ratingValue": 3, "bestRating": 10, "worstRating": 0,
                                    "alternateName": "Mostly false", "ratingExplanation": MODEL_EXPLANATION}
    assert data["itemReviewed"]["firstAppearance"] == {"@type": "CreativeWork", "url": "https://g.example/x"}


# --- embedding in HTML --------------------------------------------------------------------------

def test_script_text_cannot_break_out_of_the_element_and_means_the_same_json() -> None:
    data = claim_review(published(story(title=HOSTILE), note=HOSTILE), SITE)
    text = claim_review_script(data)
    assert not set("<>&") & set(text)
    assert "\\u003c/script\\u003e" in text and "\\u0026" in text
    assert json.loads(text) == data
    page = f'<html><head><script type="application/ld+json">{text}</script></head><body>x</body></html>'
    assert scripts_in(page) == [text]


def test_jinja_with_autoescape_keeps_the_script_text_as_is() -> None:
    """The page templates put it in with `{{ }}` and no `|safe`: HTML entities would corrupt the JSON."""
    data = claim_review(published(story(title=HOSTILE)), SITE)
    template = jinja2.Environment(autoescape=True).from_string(
        '<script type="application/ld+json">{{ ld }}</script><p>{{ title }}</p>')
    html = template.render(ld=claim_review_script(data), title=HOSTILE)
    [script] = scripts_in(html)
    assert json.loads(script) == data
    assert json.loads(script)["claimReviewed"] == HOSTILE


def test_line_separators_and_lone_surrogates_stay_valid_json() -> None:
    title = "a\u2028b\u2029c \ud800 d \U0001f389 ünï"
    data = claim_review(published(story(title=title)), SITE)
    text = claim_review_script(data)
    assert "\u2028" not in text and "\u2029" not in text
    text.encode("utf-8")  # no lone surrogate left to fail the page's encoding
    assert "\U0001f389 ünï" in text  # other text stays readable
    assert json.loads(text)["claimReviewed"] == title


# --- export -------------------------------------------------------------------------------------

def test_export_writes_a_json_array_in_the_order_given(tmp_path: Path) -> None:
    items = [published(story("s2", title="Zoë’s “wedding” 🎉")),
             published(story("s1"), corrections=(CORRECTION,))]
    path = tmp_path / "claims.json"
    with path.open("w", encoding="utf-8") as out:
        assert export_claimreview(items, out, SITE) == 2
    records = json.loads(path.read_text(encoding="utf-8"))
    assert records == [claim_review(i, SITE) for i in items]
    assert [r["url"] for r in records] == [f"{SITE}/stories/s2", f"{SITE}/stories/s1"]
    assert "Zoë’s “wedding” 🎉" in path.read_text(encoding="utf-8")  # UTF-8, not \u escapes


def test_export_of_nothing_is_an_empty_array() -> None:
    out = io.StringIO()
    assert export_claimreview([], out, SITE) == 0
    assert out.getvalue() == "[]\n" and json.loads(out.getvalue()) == []


def test_export_streams_one_record_at_a_time() -> None:
    out = io.StringIO()
    seen: list[int] = []

    def items() -> Iterator[PublishedStory]:
        for i in range(3):
            seen.append(out.getvalue().count('"@type": "ClaimReview"'))  # records written before this one
            yield published(story(f"s{i}"))

    assert export_claimreview(items(), out, SITE) == 3
    assert seen == [0, 1, 2]
    assert len(json.loads(out.getvalue())) == 3


def test_export_matches_the_golden_file() -> None:
    items = [published(), published(story("s9", title=HOSTILE, first_date=None), final=7, verdict=Verdict.MOSTLY_TRUE,
                                    corrections=(CORRECTION,), appearances=(), note=None)]
    out = io.StringIO()
    export_claimreview(items, out, SITE)
    if REGEN:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(out.getvalue(), encoding="utf-8")
        pytest.skip(f"regenerated {GOLDEN}: review the diff, then run without TRUTHMETER_REGEN_GOLDEN")
    assert out.getvalue() == GOLDEN.read_text(encoding="utf-8"), \
        "ClaimReview output changed; if intended, regenerate with TRUTHMETER_REGEN_GOLDEN=1"
