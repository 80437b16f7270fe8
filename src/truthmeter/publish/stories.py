"""Rendering stories and outlet track records for people (tables, text) and programs (JSON)."""

from __future__ import annotations

import csv
import json
import shutil
from typing import Iterable, Mapping, TextIO

from truthmeter.newsroom.records import Review, ReviewStatus
from truthmeter.publish.formats import out_of_ten, shorten
from truthmeter.store.base import StoredStory
from truthmeter.stories.evidence import find_evidence
from truthmeter.stories.outlets import OutletRecord
from truthmeter.stories.context import claim_line, claim_text, in_context, rated_by
from truthmeter.types import Story

__all__ = ["write_stories", "write_outlets", "story_detail", "describe_story", "published_fields", "STORY_FORMATS",
           "STORY_CSV_FIELDS", "claim_line", "claim_text", "rated_by", "in_context"]

STORY_FORMATS = ("table", "json", "jsonl", "csv")
STORY_CSV_FIELDS = ["id", "claim", "title", "n_articles", "outlets", "people", "first_date", "last_date",
                    "story_rating", "verdict", "fact_check_rating", "published", "published_rating",
                    "published_verdict", "published_at", "created_at", "updated_at"]
OUTLET_CSV_FIELDS = ["outlet", "key", "stories", "rated_false", "share_false", "shrunk_false", "weight"]


def published_fields(story: Story, review: Review | None) -> dict[str, object]:
    """What the desk has published on a story, beside the model's rating: `published` (true only while
    published), `published_rating` (0-10) and `published_verdict` (None when not published), and
    `published_at` (first publication)."""
    if review is None or review.status is not ReviewStatus.PUBLISHED:
        return {"published": False, "published_rating": None, "published_verdict": None, "published_at": None}
    # As PublishedStory: a published review has a final rating; the story's own is the fallback for
    # reviews stored before that.
    rating = review.final_rating if review.final_rating is not None else story.story_rating
    verdict = review.final_verdict or story.verdict
    return {"published": True, "published_rating": rating, "published_verdict": verdict.value,
            "published_at": review.published_at}


def _story_row(story: Story, review: Review | None) -> dict[str, object]:
    return {**story.to_dict(), **published_fields(story, review)}


def _csv_row(row: dict[str, object]) -> dict[str, object]:
    """A story's row flattened for CSV: the claim's text, lists joined with "; "."""
    claim = row.get("claim")
    flat = {**row, "claim": claim.get("text") if isinstance(claim, dict) else claim}
    for key in ("outlets", "people"):
        if isinstance(flat.get(key), list):
            flat[key] = "; ".join(map(str, flat[key]))  # type: ignore[arg-type]
    return flat


def _dump(rows: Iterable[dict[str, object]], fmt: str, out: TextIO, fields: list[str] | None = None) -> None:
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=fields or [], extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(_csv_row(row))
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        out.write(json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n")


def _cut(text: str, width: int) -> str:
    return shorten(" ".join(text.split()), width)


def write_stories(stories: Iterable[Story], fmt: str, out: TextIO,
                  reviews: Mapping[str, Review | None] | None = None) -> None:
    """jsonl / json: Story.to_dict per story with `published_fields` from its review in `reviews` (by
    story id); csv: the same, flattened (STORY_CSV_FIELDS); table: claim, articles, outlets, dates and
    rating: the published one, marked so, where the desk has published the story."""
    reviews = reviews or {}
    if fmt != "table":
        _dump((_story_row(s, reviews.get(s.id)) for s in stories), fmt, out, STORY_CSV_FIELDS)
        return
    stories = list(stories)
    id_w = max([2, *(len(s.id) for s in stories)])  # whole ids: people copy them into `story ID`
    width = max(20, shutil.get_terminal_size((110, 20)).columns - 60 - id_w)
    out.write(f"{'ID':<{id_w}}  {'CLAIM':<{width}}  {'ART':>3}  {'OUTLETS':<20}  {'DATES':<21}  RATING\n")
    for s in stories:
        dates = s.first_date if s.first_date == s.last_date else f"{s.first_date}..{s.last_date}"
        published = published_fields(s, reviews.get(s.id))
        marks = (["published"] if published["published"] else []) + (
            ["fact-checked"] if s.fact_check_rating is not None else [])
        rating = f"{out_of_ten(s.story_rating, 2)} {s.verdict.value}"
        if published["published"]:
            final: int = published["published_rating"]  # type: ignore[assignment]
            rating = f"{out_of_ten(final, 2)} {published['published_verdict']}"
        out.write(f"{s.id:<{id_w}}  {_cut(claim_text(s), width):<{width}}  {len(s.article_ids):>3}  "
                  f"{_cut(', '.join(s.outlets) or '-', 20):<20}  {dates or '-':<21}  "
                  f"{rating}{' (' + ', '.join(marks) + ')' if marks else ''}\n")
    out.flush()


def story_detail(stored: StoredStory) -> dict[str, object]:
    """A story with its articles (rating, stance), fact-checks, on-the-record quotes and denials."""
    articles, quotes, denials = [], [], []
    for item, stance in stored.members:
        a, r = item.article, item.rating
        context = in_context(stored.story, stored.fact_checks, r.truth_rating, stance, r.fact_check_rating)
        articles.append({"id": a.id, "title": a.title, "outlet": a.outlet, "date": a.date, "url": a.url,
                         "truth_rating": r.truth_rating, "p_true": round(float(r.p_true), 4),
                         "verdict": r.verdict.value, "stance": stance.value, "is_fact_check": r.is_fact_check,
                         "fact_check_rating": r.fact_check_rating, "content_hash": item.content_hash,
                         "in_context": context})
        evidence = find_evidence(a)
        quotes += [{"article_id": a.id, "speaker": q.speaker, "text": q.text} for q in evidence.on_record]
        denials += [{"article_id": a.id, "text": d.text, "by": d.by, "quoted": d.quoted, "sentence": d.sentence}
                    for d in evidence.denials]
    return {**stored.story.to_dict(), "articles": articles,
            "fact_checks": [f.to_dict() for f in stored.fact_checks], "quotes_on_record": quotes,
            "denials": denials}


def describe_story(stored: StoredStory, review: Review | None = None) -> str:
    """The story as text; where the desk has published it (`review`), the published verdict comes first."""
    d = story_detail(stored)
    s = stored.story
    published = published_fields(s, review)
    reported = ""
    if s.claim and (s.claim.reported_by or s.claim.reported_on):
        reported = f"first reported by {s.claim.reported_by or 'an unnamed outlet'}" + (
            f" on {s.claim.reported_on}" if s.claim.reported_on else "")
    edited = f" (claim written by {s.claim.edited_by})" if s.claim and s.claim.edited_by else ""
    head = [claim_line(s) + edited]
    if published["published"] and review is not None:
        when = f" on {str(review.published_at)[:10]}" if review.published_at else ""
        editor = f" by {review.editor}" if review.editor else ""
        model = "Unrated" if s.story_rating is None else f"{s.verdict.value} {s.story_rating}/10"
        head = [f"Claim: {claim_text(s)} — {published['published_verdict']} {published['published_rating']}/10, "
                f"published{editor}{when}{edited}", f"model rating: {model}"]
    lines = [*head, *([reported] if reported else []), f"headline: {s.title}",
             f"story {s.id}: rated by {rated_by(s, stored.fact_checks)}"
             + (f", fact-check rating {s.fact_check_rating}" if s.fact_check_rating is not None else ""),
             "", "reasons (rating points towards true, relative to 5):"]
    lines += [f"  {x.weight:+.2f}  {x.name}" + (f"  {x.text}" if x.text else "") for x in s.signals]
    lines += ["", "articles:"]
    for a in d["articles"]:  # type: ignore[union-attr]
        fc = f", fact-check {a['fact_check_rating']}" if a["is_fact_check"] else ""
        lines.append(f"  {a['id']}  {a['stance']:<11}  {a['outlet'] or '-'}  {a['date'] or '-'}{fc}\n"
                     f"      {a['title']}\n      {a['in_context']}")
    sections = (("fact-checks:", [f"  {f['rating']}/10 by {f['outlet'] or '-'} ({f['basis']}): {f['title']}"
                                  for f in d["fact_checks"]]),  # type: ignore[union-attr]
                ("on-the-record quotes:", [f"  {q['speaker']}: “{_cut(q['text'], 160)}” [{q['article_id']}]"
                                           for q in d["quotes_on_record"]]),  # type: ignore[union-attr]
                ("denials:", [f"  “{x['text']}”" + (f" ({x['by']})" if x["by"] else "") + f": {_cut(x['sentence'], 140)}"
                              f" [{x['article_id']}]" for x in d["denials"]]))  # type: ignore[union-attr]
    for head, body in sections:
        lines += ["", head, *(body or ["  none found"])]
    return "\n".join(lines)


def write_outlets(records: Iterable[OutletRecord], fmt: str, out: TextIO) -> None:
    if fmt != "table":
        _dump((r.to_dict() for r in records), fmt, out, OUTLET_CSV_FIELDS)
        return
    out.write(f"{'OUTLET':<28}  {'STORIES':>7}  {'FALSE':>5}  {'SHARE':>5}  {'SHRUNK':>6}  WEIGHT\n")
    for r in records:
        out.write(f"{_cut(r.name, 28):<28}  {r.told:>7}  {r.rated_false:>5}  {r.share_false:>5.2f}  "
                  f"{r.shrunk_false:>6.2f}  {r.weight:.2f}\n")
    out.flush()
