"""RSS / Atom feeds: one RawDocument per entry, its origin line being the entry's 1-based index.

Feeds are streamed: lxml reads the XML (expanding no entity, loading no DTD, touching no network) and
hands over entries a batch at a time, each batch parsed by feedparser inside a copy of the feed's
frame (its root, channel and title), so memory holds a batch, never the file. A feed that is not
well-formed XML (HTML entities such as &nbsp;, broken markup) is read whole by feedparser's
forgiving parser from where the stream stopped, as before; the file size limit bounds that read.
"""

from __future__ import annotations

import copy
import html
import io
import re
import time
from collections.abc import Iterator
from typing import IO

import feedparser
from lxml import etree

from ..errors import ParseError
from ..types import Origin, RawDocument

__all__ = ["read_feed"]

_HTML_TAG = re.compile(r"<[a-zA-Z][^>]*>")
_MAILBOX = re.compile(r"^\s*\S+@\S+\s*\((?P<name>[^()]+)\)\s*$")
_BATCH = 64  # entries per feedparser call: its fixed cost is paid per batch, memory stays small
_ENTRIES = ("item", "entry")  # RSS 0.9x/1.0/2.0 items, Atom entries
_XML_OPTIONS = {"events": ("end",), "resolve_entities": False, "load_dtd": False, "no_network": True,
                "huge_tree": False, "remove_comments": True, "remove_pis": True}


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


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _is_entry(element: etree._Element, root: etree._Element) -> bool:
    """An item or entry of the feed itself (under the root, or under the root's channel)."""
    parent = element.getparent()
    return _local(element) in _ENTRIES and parent is not None and (
        parent is root or (_local(parent) == "channel" and parent.getparent() is root))


def _frame(root: etree._Element, container: etree._Element) -> tuple[etree._Element, etree._Element]:
    """An empty copy of the feed around its entries: the root, the channel when entries sit in one,
    and the feed's title (feedparser's feed.title, the outlet). Built from elements complete by now:
    lxml may already have parsed past the entry being handed on."""
    frame = etree.Element(root.tag, dict(root.attrib), nsmap=root.nsmap)
    holder = frame
    channel = next((c for c in root if _local(c) == "channel"), None)
    if channel is not None:
        inner = etree.SubElement(frame, channel.tag, dict(channel.attrib))
        holder = inner if container is channel else frame
        titled = channel
    else:
        inner, titled = frame, root
    title = next((c for c in titled if _local(c) == "title"), None)
    if title is not None:
        inner.append(copy.deepcopy(title))
    return frame, holder


def _batches(source: IO[bytes]) -> Iterator[bytes]:
    """The feed as a series of small feeds of up to _BATCH entries each; handed-on entries are dropped."""
    pending: list[etree._Element] = []
    root: etree._Element | None = None
    for _, element in etree.iterparse(source, **_XML_OPTIONS):
        root = root if root is not None else element.getroottree().getroot()
        if not _is_entry(element, root):
            continue
        pending.append(element)
        if len(pending) == _BATCH:
            yield _flush(root, pending)
    if pending and root is not None:
        yield _flush(root, pending)


def _flush(root: etree._Element, pending: list[etree._Element]) -> bytes:
    frame, holder = _frame(root, pending[0].getparent())  # type: ignore[arg-type]
    for element in pending:
        holder.append(copy.deepcopy(element))
        element.getparent().remove(element)  # type: ignore[union-attr]
    pending.clear()
    return etree.tostring(frame)


def _parse(data: bytes) -> feedparser.FeedParserDict:
    # A stream, never bytes or str: feedparser opens a string that looks like a URL or path as one.
    return feedparser.parse(io.BytesIO(data))


def read_feed(path: str, source: IO[bytes]) -> Iterator[RawDocument | ParseError]:
    """The entries of a feed read from `source` (seekable: a feed lxml cannot read is read again)."""
    start = source.tell()
    if not source.read(4096).strip():
        yield ParseError(path, None, "empty file")
        return
    source.seek(start)
    done, outlet = 0, None
    try:
        for batch in _batches(source):
            parsed = _parse(batch)
            outlet = outlet or parsed.feed.get("title") or None
            for entry in parsed.entries:
                done += 1
                yield _entry_document(path, done, entry, outlet)
    except etree.LxmlError:
        pass  # not well-formed XML: feedparser's forgiving parser reads the rest below
    else:
        if done:
            return
    source.seek(start)
    yield from _read_whole(path, source.read(), done)


def _read_whole(path: str, data: bytes, done: int) -> Iterator[RawDocument | ParseError]:
    """The entries after the first `done`, by feedparser over the whole feed (within the size limit)."""
    parsed = _parse(data)
    if not parsed.entries:
        if not done:
            reason = "not a valid feed" if parsed.get("bozo") and not parsed.feed else "feed has no entries"
            yield ParseError(path, None, reason)
        return
    outlet = parsed.feed.get("title") or None
    for index, entry in enumerate(parsed.entries[done:], done + 1):
        yield _entry_document(path, index, entry, outlet)
