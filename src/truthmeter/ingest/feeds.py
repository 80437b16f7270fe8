"""RSS / Atom feeds: one RawDocument per entry, its origin line being the entry's 1-based index."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator

import feedparser

from ..errors import ParseError
from ..types import Origin, RawDocument

__all__ = ["read_feed"]

_HTML_TAG = re.compile(r"<[a-zA-Z][^>]*>")
_MAILBOX = re.compile(r"^\s*\S+@\S+\s*\((?P<name>[^()]+)\)\s*$")


def _entry_text(entry: feedparser.FeedParserDict) -> tuple[str, bool]:
    """The entry's fullest text and whether it is HTML."""
    for content in entry.get("content") or []:
        value = content.get("value") or ""
        if value.strip():
            return value, bool(_HTML_TAG.search(value))
    # Judged by the markup itself: feedparser labels every RSS description text/html.
    summary = entry.get("summary") or ""
    return summary, bool(_HTML_TAG.search(summary))


def _entry_date(entry: feedparser.FeedParserDict) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            return time.strftime("%Y-%m-%d", parsed)
    return None


def _entry_fields(entry: feedparser.FeedParserDict, outlet: str | None) -> dict[str, str]:
    author = entry.get("author") or ""
    mailbox = _MAILBOX.match(author)  # RSS authors are often "mail@host (Name)"
    author = mailbox["name"] if mailbox else author
    values = {"title": entry.get("title"), "url": entry.get("link"), "date": _entry_date(entry),
              "author": author, "outlet": outlet}
    return {k: v.strip() for k, v in values.items() if isinstance(v, str) and v.strip()}


def _entry_document(path: str, index: int, entry: feedparser.FeedParserDict,
                    outlet: str | None) -> RawDocument | ParseError:
    origin = Origin(path, index)
    fields = _entry_fields(entry, outlet)
    text, is_html = _entry_text(entry)
    if text.strip() and is_html:
        return RawDocument(origin, "html", text, fields)
    # Plain-text summaries (or none at all) are records: the feed already split out the title.
    body = html.unescape(text).strip() or fields.get("title", "")
    if not body:
        return ParseError(path, index, "feed entry has no title or text")
    return RawDocument(origin, "record", body, fields)


def read_feed(path: str, data: bytes) -> Iterator[RawDocument | ParseError]:
    """Parse feed bytes (never a string: feedparser would treat one that looks like a URL as a URL)."""
    if not data.strip():
        yield ParseError(path, None, "empty file")
        return
    parsed = feedparser.parse(data)
    if not parsed.entries:
        reason = "not a valid feed" if parsed.get("bozo") and not parsed.feed else "feed has no entries"
        yield ParseError(path, None, reason)
        return
    outlet = parsed.feed.get("title") or None
    for index, entry in enumerate(parsed.entries, 1):
        yield _entry_document(path, index, entry, outlet)
