"""HTML pages: main text and metadata (trafilatura), with an lxml fallback for pages it gives up
on, and a publisher's own fact-check verdict read from ClaimReview JSON-LD."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator

import lxml.etree
import lxml.html
import trafilatura

__all__ = ["extract_html", "claim_review_rating"]

# trafilatura logs every page it finds too short; for us that is an expected outcome, not news.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

# Verdict words some fact-checkers publish instead of (or beside) a number, on the 0-10 scale.
_VERDICT_WORDS = {"true": 10, "mostly true": 8, "half true": 5, "mixture": 5, "mixed": 5,
                  "mostly false": 2, "false": 0, "pants on fire": 0, "fake": 0}
_SPACES = re.compile(r"[ \t\u00a0]+")


def _tree(html: str) -> lxml.html.HtmlElement | None:
    # Bytes plus an explicit encoding: lxml refuses str input that carries an XML declaration.
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    try:
        return lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return None


def _paragraphs(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n\n".join(line for line in lines if line)


def _fallback_body(tree: lxml.html.HtmlElement) -> str:
    """Visible text of <body> when trafilatura finds no main text (broken or tiny pages)."""
    for bad in tree.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    bodies = tree.xpath("//body")
    root = bodies[0] if bodies else tree
    for block in root.xpath(".//p|.//div|.//br|.//li|.//h1|.//h2|.//h3|.//h4|.//tr|.//blockquote"):
        block.tail = "\n" + (block.tail or "")  # keep block boundaries as line breaks
    return _paragraphs(root.text_content())


def _fallback_title(tree: lxml.html.HtmlElement) -> str | None:
    for xpath in ("//meta[@property='og:title']/@content", "//title/text()", "//h1//text()"):
        found = " ".join(t.strip() for t in tree.xpath(xpath) if t.strip())
        if found:
            return found
    return None


def _trafilatura(html: str, url: str | None) -> dict[str, str | None]:
    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          include_tables=False)
    except (ValueError, TypeError, lxml.etree.LxmlError):
        doc = None
    if doc is None:
        return {}
    return {"title": doc.title, "body": doc.text, "author": doc.author, "date": doc.date,
            "outlet": doc.sitename, "url": doc.url}


def extract_html(html: str, url: str | None = None) -> dict[str, object]:
    """Fields of an article page: title, body, author, date, outlet, url, fact_check_rating."""
    found = _trafilatura(html, url)
    title = (found.get("title") or "").strip()
    body = _paragraphs(found.get("body") or "")
    if title and body.startswith(title):
        body = body[len(title):].lstrip()  # trafilatura keeps the <h1> as the first line
    tree = _tree(html)
    # Read the JSON-LD before the fallback below strips <script> elements from the tree.
    rating = claim_review_rating(tree) if tree is not None else None
    if not body and tree is not None:
        title = title or (_fallback_title(tree) or "")
        body = _fallback_body(tree)
        if title and body.startswith(title):
            body = body[len(title):].lstrip()
    result: dict[str, object] = {k: (found.get(k) or None) for k in ("author", "date", "outlet")}
    result.update(title=title, body=body, url=found.get("url") or url, fact_check_rating=rating)
    return result


def _json_ld(tree: lxml.html.HtmlElement) -> Iterator[object]:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = (script.text or "").strip()
        raw = raw.removeprefix("<!--").removesuffix("-->").strip()
        try:
            yield json.loads(raw)
        except ValueError:
            continue  # a broken block of metadata is not a reason to lose the article


def _walk(value: object) -> Iterator[dict[str, object]]:
    if isinstance(value, list):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        yield value
        for key in ("@graph", "mainEntity", "itemListElement"):
            if key in value:
                yield from _walk(value[key])


def _is_claim_review(node: dict[str, object]) -> bool:
    kinds = node.get("@type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return any(isinstance(k, str) and k.split("/")[-1] == "ClaimReview" for k in kinds)


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _scale(rating: dict[str, object]) -> int | None:
    value = _number(rating.get("ratingValue"))
    if value is None:
        word = str(rating.get("alternateName") or rating.get("ratingValue") or "").strip().lower()
        return _VERDICT_WORDS.get(word)
    # schema.org's defaults when a page leaves the scale out: 1 (worst) to 5 (best).
    best = _number(rating.get("bestRating"))
    worst = _number(rating.get("worstRating"))
    best = 5.0 if best is None else best
    worst = 1.0 if worst is None else worst
    if best <= worst:
        return None
    # floor(x + 0.5): halves round up ("2 of 1-5" is 2.5 -> 3), unlike round()'s banker's rounding.
    return max(0, min(10, math.floor((value - worst) / (best - worst) * 10 + 0.5)))


def claim_review_rating(tree: lxml.html.HtmlElement) -> int | None:
    """The 0-10 rating of the first ClaimReview in the page's JSON-LD, if any."""
    for block in _json_ld(tree):
        for node in _walk(block):
            rating = node.get("reviewRating")
            if _is_claim_review(node) and isinstance(rating, dict):
                scaled = _scale(rating)
                if scaled is not None:
                    return scaled
    return None
