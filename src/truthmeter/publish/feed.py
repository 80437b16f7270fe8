"""An Atom 1.0 feed of the desk's published verdicts, corrections included.

Each entry's title is the claim with the verdict ("Claim: Marisol Vance is engaged to Dex Harrow — False
1/10"), never a debunk's headline beside a verdict; the headline is in the summary.

Ids are `tag:` URIs (RFC 4151) made from the story id alone, so a feed reader keeps its entries when the
site moves to another address; the links follow the site address.

Built with ElementTree so every piece of text is escaped; characters XML 1.0 cannot carry at all
(control characters, lone surrogates) are dropped rather than producing a feed no reader can parse.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from typing import Sequence

from truthmeter.newsroom.records import PublishedStory
from truthmeter.publish.claimreview import AUTHOR_NAME, story_url
from truthmeter.publish.stories import claim_text

__all__ = ["ATOM_NS", "TAG_PREFIX", "FEED_ID", "entry_id", "atom_feed", "entry_title", "entry_summary"]

ATOM_NS = "http://www.w3.org/2005/Atom"
TAG_PREFIX = "tag:truthmeter,2024:"  # the tagging entity and date never change: ids stay put
FEED_ID = TAG_PREFIX + "verdicts"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _timestamp(value: str | None) -> datetime | None:
    """An ISO 8601 date or time as an aware datetime (naive ones are UTC); None when unreadable."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _rfc3339(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _day(value: str) -> str:
    when = _timestamp(value)
    return when.astimezone(timezone.utc).date().isoformat() if when else value


def entry_id(story_id: str) -> str:
    """"tag:truthmeter,2024:story/s34354376d7ce": the same wherever the site is served from."""
    return f"{TAG_PREFIX}story/{story_id}"


def entry_title(item: PublishedStory) -> str:
    """"Claim: Marisol Vance is engaged to Dex Harrow — False 1/10", with the desk's published rating."""
    return f"Claim: {claim_text(item.story)} — {item.verdict.value} {item.rating}/10"


def entry_summary(item: PublishedStory) -> str:
    """The verdict, the headline, who first reported the claim, the editor's note, then one line per
    correction, oldest first."""
    lines = [f"Verdict: {item.verdict.value} ({item.rating}/10)."]
    claim = item.story.claim
    if claim is not None:  # without a claim the title already shows the headline
        lines.append(f"Headline: {item.story.title}")
        if claim.reported_by or claim.reported_on:
            lines.append("First reported" + (f" by {claim.reported_by}" if claim.reported_by else "")
                         + (f" on {claim.reported_on}" if claim.reported_on else "") + ".")
    if item.review.note:
        lines.append(item.review.note)
    lines += [f"Corrected on {_day(c.at)} from {c.previous_rating} to {c.new_rating}: {c.note}"
              for c in item.corrections]
    return "\n".join(lines)


def _times(item: PublishedStory) -> tuple[datetime | None, datetime | None]:
    """(published, updated): updated is the latest of publication, review and corrections."""
    published = _timestamp(item.review.published_at)
    known = [t for t in (published, _timestamp(item.review.reviewed_at), *(_timestamp(c.at) for c in item.corrections))
             if t is not None]
    return published, max(known, default=None)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _clean(v) for k, v in attrib.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def _entry(feed: ET.Element, item: PublishedStory, site_url: str, fallback: datetime) -> None:
    url = story_url(site_url, item.story.id)
    published, updated = _times(item)
    entry = _sub(feed, "entry")
    _sub(entry, "id", entry_id(item.story.id))
    _sub(entry, "title", entry_title(item), type="text")
    _sub(entry, "link", rel="alternate", type="text/html", href=url)
    _sub(entry, "updated", _rfc3339(updated or fallback))
    if published:
        _sub(entry, "published", _rfc3339(published))
    editor = (item.corrections[-1].editor if item.corrections else None) or item.review.editor
    _sub(_sub(entry, "author"), "name", editor or AUTHOR_NAME)
    _sub(entry, "category", term=item.verdict.value, label=item.verdict.value)
    _sub(entry, "summary", entry_summary(item), type="text")


def atom_feed(items: Sequence[PublishedStory], site_url: str, *, title: str = "truthmeter verdicts",
              updated: str | None = None) -> bytes:
    """A UTF-8 Atom 1.0 document with one entry per item, in the order given.

    The feed's `updated` is `updated` when given, else the latest entry's, else now (no entries).
    Raises ValueError when `updated` is not an ISO 8601 date or time.
    """
    site = site_url.rstrip("/")
    if updated is not None and _timestamp(updated) is None:
        raise ValueError(f"updated: not an ISO 8601 date or time: {updated!r}")
    latest = max((t for t in (_times(i)[1] for i in items) if t is not None), default=None)
    feed_updated = _timestamp(updated) or latest or datetime.now(timezone.utc)
    # The namespace as a plain attribute keeps tags unprefixed without ET's global namespace registry.
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _sub(feed, "id", FEED_ID)
    _sub(feed, "title", title, type="text")
    _sub(feed, "updated", _rfc3339(feed_updated))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=f"{site}/feed.atom")
    _sub(feed, "link", rel="alternate", type="text/html", href=f"{site}/")
    _sub(_sub(feed, "author"), "name", AUTHOR_NAME)
    _sub(feed, "generator", "truthmeter")
    for item in items:
        _entry(feed, item, site, feed_updated)
    ET.indent(feed)
    document = ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"
    # ET leaves a carriage return in text as is and parsers would read it as a newline; as a
    # character reference it survives. Indentation and the declaration use "\n" only.
    return document.replace(b"\r", b"&#13;")
