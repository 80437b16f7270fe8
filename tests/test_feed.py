"""The Atom feed of published verdicts, read back by feedparser and by xml.etree: the required Atom
elements, entries in order, corrections, hostile text round-tripping exactly, and the empty feed."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import feedparser
import pytest

from truthmeter.newsroom.records import Correction, PublishedStory, Review, ReviewStatus
from truthmeter.publish import atom_feed
from truthmeter.publish.feed import ATOM_NS, entry_id
from truthmeter.types import Claim, ClaimBasis, Signal, Story, Verdict

SITE = "https://news.example"
A = f"{{{ATOM_NS}}}"
HOSTILE = "<b>Tom & Jerry</b> ]]> \"wed\" 'secretly' &amp; Zoë 🎉\r\nsecond line\ttab"


def item(sid: str, title: str = "Marisol Vantreece secretly split from Teodor Orlby", final: int | None = 2,
         verdict: Verdict | None = Verdict.MOSTLY_FALSE, note: str | None = "Both publicists denied it.",
         published_at: str | None = "2024-05-01T10:05:00+00:00", editor: str | None = "ada",
         corrections: tuple[Correction, ...] = (), claim: Claim | None = None) -> PublishedStory:
    """A published story; without `claim`, one stored before claims existed (its headline stands in)."""
    story = Story(id=sid, title=title, story_rating=8, verdict=Verdict.MOSTLY_TRUE, signals=(Signal("s", 0.5),),
                  first_date="2024-04-28", claim=claim)
    review = Review(story_id=sid, status=ReviewStatus.PUBLISHED, model_rating=8, final_rating=final,
                    final_verdict=verdict, note=note, editor=editor, reviewed_at="2024-05-01T10:00:00+00:00",
                    published_at=published_at)
    return PublishedStory(story=story, review=review, corrections=corrections)


def correction(at: str, before: int, after: int, note: str, editor: str = "grace") -> Correction:
    return Correction(story_id="s1", previous_rating=before, new_rating=after, note=note, editor=editor, at=at)


def parse(document: bytes) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(document)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def check_atom(root: ET.Element) -> None:
    """RFC 4287's must-haves: feed id/title/updated, an author for every entry, entry id/title/updated."""
    assert root.tag == f"{A}feed"
    for tag in ("id", "title", "updated"):
        assert len(root.findall(f"{A}{tag}")) == 1, tag
    feed_has_author = root.find(f"{A}author/{A}name") is not None
    for entry in root.findall(f"{A}entry"):
        for tag in ("id", "title", "updated"):
            assert len(entry.findall(f"{A}{tag}")) == 1, tag
        assert feed_has_author or entry.find(f"{A}author/{A}name") is not None


def test_feed_lists_published_verdicts_in_order() -> None:
    items = [item("s2", title="Ivo Dravik joins Moonwater", final=9, verdict=Verdict.TRUE, note=None), item("s1")]
    document = atom_feed(items, SITE)
    assert document.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">")
    check_atom(ET.fromstring(document))
    parsed = parse(document)
    assert parsed.feed.title == "truthmeter verdicts"
    assert parsed.feed.id == "tag:truthmeter,2024:verdicts"
    assert {(l.rel, l.href) for l in parsed.feed.links} == {("self", f"{SITE}/feed.atom"), ("alternate", f"{SITE}/")}
    assert parsed.feed.updated == "2024-05-01T10:05:00Z"  # the latest entry's
    assert [e.title for e in parsed.entries] == ["Claim: Ivo Dravik joins Moonwater — True 9/10",
                                                 "Claim: Marisol Vantreece secretly split from Teodor Orlby — "
                                                 "Mostly false 2/10"]
    first, second = parsed.entries
    assert (first.id, first.link) == ("tag:truthmeter,2024:story/s2", f"{SITE}/stories/s2")
    assert second.link == f"{SITE}/stories/s1"
    assert second.published == "2024-05-01T10:05:00Z" and second.updated == "2024-05-01T10:05:00Z"
    assert second.author == "ada"
    assert [t.term for t in second.tags] == ["Mostly false"]
    assert second.summary == "Verdict: Mostly false (2/10).\nBoth publicists denied it."
    assert first.summary == "Verdict: True (9/10)."


def test_an_entry_is_titled_by_the_claim_with_the_headline_in_its_summary() -> None:
    debunk = "Marisol Vance Is Not Engaged To Dex Harrow, Despite Tabloid Claim"
    claim = Claim("Marisol Vance is engaged to Dex Harrow", ClaimBasis.DEBUNK, reported_by="Glitz Daily",
                  reported_on="2024-04-20")
    document = atom_feed([item("s1", title=debunk, final=1, verdict=Verdict.FALSE, note="Both reps denied it.",
                               claim=claim)], SITE)
    check_atom(ET.fromstring(document))
    [entry] = parse(document).entries
    assert entry.title == "Claim: Marisol Vance is engaged to Dex Harrow — False 1/10"
    assert entry.summary.splitlines() == ["Verdict: False (1/10).",
                                          f"Headline: {debunk}",
                                          "First reported by Glitz Daily on 2024-04-20.",
                                          "Both reps denied it."]
    edited = Claim("Marisol Vance and Dex Harrow are engaged", ClaimBasis.EDITOR, edited_by="ada")
    [entry] = parse(atom_feed([item("s1", title=debunk, note=None, claim=edited)], SITE)).entries
    assert entry.title == "Claim: Marisol Vance and Dex Harrow are engaged — Mostly false 2/10"
    assert entry.summary.splitlines() == ["Verdict: Mostly false (2/10).", f"Headline: {debunk}"]


def test_corrections_update_the_entry_and_are_listed_in_its_summary() -> None:
    fixes = (correction("2024-05-03T16:20:00+00:00", 2, 7, "The couple confirmed it."),
             correction("2024-05-09T07:00:00+02:00", 7, 6, "Partly walked back.", editor="linus"))
    document = atom_feed([item("s1", final=6, verdict=Verdict.MIXED, corrections=fixes)], SITE)
    [entry] = parse(document).entries
    assert entry.title.endswith(" — Mixed 6/10")
    assert entry.updated == "2024-05-09T05:00:00Z"  # the latest change, in UTC
    assert entry.published == "2024-05-01T10:05:00Z"
    assert entry.author == "linus"
    assert entry.summary.splitlines() == ["Verdict: Mixed (6/10).", "Both publicists denied it.",
                                          "Corrected on 2024-05-03 from 2 to 7: The couple confirmed it.",
                                          "Corrected on 2024-05-09 from 7 to 6: Partly walked back."]


def test_hostile_text_round_trips_exactly() -> None:
    title = f"{HOSTILE} title"
    document = atom_feed([item("s1", title=title, note=HOSTILE)], SITE, title=HOSTILE)
    root = ET.fromstring(document)
    check_atom(root)
    assert root.findtext(f"{A}title") == HOSTILE
    entry = root.find(f"{A}entry")
    assert entry is not None
    assert entry.findtext(f"{A}title") == f"Claim: {title} — Mostly false 2/10"
    assert entry.findtext(f"{A}summary") == f"Verdict: Mostly false (2/10).\n{HOSTILE}"
    parsed = parse(document)
    assert parsed.feed.title == HOSTILE
    assert parsed.entries[0].title == f"Claim: {title} — Mostly false 2/10"
    assert b"<b>" not in document and b"]]>" not in document


def test_characters_xml_cannot_carry_are_dropped_not_fatal() -> None:
    document = atom_feed([item("s1", title="nul\x00 esc\x1b lone\ud800 fine", note="bell\x07")], SITE)
    root = ET.fromstring(document)
    entry = root.find(f"{A}entry")
    assert entry is not None
    assert entry.findtext(f"{A}title") == "Claim: nul esc lone fine — Mostly false 2/10"
    assert entry.findtext(f"{A}summary") == "Verdict: Mostly false (2/10).\nbell"
    parse(document)


def test_naive_and_date_only_times_are_read_as_utc() -> None:
    no_zone = item("s1", published_at="2024-05-01T10:05:00", editor=None,
                   corrections=(correction("2024-05-02", 2, 3, "Date only."),))
    [entry] = parse(atom_feed([no_zone], SITE)).entries
    assert entry.published == "2024-05-01T10:05:00Z"
    assert entry.updated == "2024-05-02T00:00:00Z"
    assert entry.author == "grace"  # who made the latest correction


def test_an_entry_without_any_readable_time_takes_the_feed_time() -> None:
    undated = Review(story_id="s1", status=ReviewStatus.PUBLISHED, model_rating=8, final_rating=8,
                     final_verdict=Verdict.MOSTLY_TRUE)
    story = Story(id="s1", title="t", story_rating=8, verdict=Verdict.MOSTLY_TRUE, signals=())
    document = atom_feed([PublishedStory(story=story, review=undated)], SITE, updated="2024-06-01T00:00:00Z")
    root = ET.fromstring(document)
    check_atom(root)
    [entry] = parse(document).entries
    assert entry.updated == "2024-06-01T00:00:00Z" and "published" not in entry
    assert entry.author == "truthmeter desk"


def test_an_empty_feed_is_valid_and_dated_now() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    document = atom_feed([], SITE + "/")
    after = datetime.now(timezone.utc)
    root = ET.fromstring(document)
    check_atom(root)
    assert root.findall(f"{A}entry") == []
    parsed = parse(document)
    assert parsed.entries == []
    assert parsed.feed.id == "tag:truthmeter,2024:verdicts"
    assert ("self", f"{SITE}/feed.atom") in {(l.rel, l.href) for l in parsed.feed.links}  # no doubled slash
    updated = datetime.fromisoformat(parsed.feed.updated.replace("Z", "+00:00"))
    assert before <= updated <= after


def test_given_updated_time_is_used_and_a_bad_one_is_refused() -> None:
    assert parse(atom_feed([item("s1")], SITE, updated="2025-01-02T03:04:05+01:00")).feed.updated == \
        "2025-01-02T02:04:05Z"
    with pytest.raises(ValueError, match=r"^updated: not an ISO 8601 date or time: 'yesterday'$"):
        atom_feed([], SITE, updated="yesterday")


def test_ids_are_tag_uris_that_stay_when_the_site_moves() -> None:
    """RFC 4151 tag URIs from the story id alone: a reader keeps its entries when the site moves; links move."""
    tag = re.compile(r"^tag:[a-z0-9.-]+,\d{4}(-\d{2}(-\d{2})?)?:[\w/.-]+$")
    old, new = (parse(atom_feed([item("s2"), item("s1")], site)) for site in (SITE, "https://news.example.org/"))
    assert [e.id for e in old.entries] == [e.id for e in new.entries] == [entry_id("s2"), entry_id("s1")]
    assert old.feed.id == new.feed.id and all(tag.match(i) for i in [old.feed.id, *(e.id for e in old.entries)])
    assert [e.link for e in new.entries] == ["https://news.example.org/stories/s2", "https://news.example.org/stories/s1"]
