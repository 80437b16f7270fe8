"""Decoding and checking for the SQL desk: rows to editorial records, times and ratings in one form."""

from __future__ import annotations

import json
import numbers
from datetime import datetime, timezone

from truthmeter.newsroom.records import ApiToken, AuditAction, AuditEntry, Correction, Review, ReviewStatus, Tip
from truthmeter.store.sqlutil import Row
from truthmeter.types import Verdict

__all__ = ["precise_now", "utc", "check_rating", "clean_note", "review", "correction", "token", "tip", "audit_entry"]


def precise_now() -> str:
    # Orders the published list: two publications within one second must still come out in order.
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def utc(moment: str) -> str:
    """An ISO 8601 time as UTC in our one format, so stored times compare as strings."""
    try:
        parsed = datetime.fromisoformat(moment)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not an ISO 8601 time: {moment!r}") from exc
    if parsed.tzinfo is None:
        raise ValueError(f"time without a timezone: {moment!r}")
    return parsed.astimezone(timezone.utc).isoformat(timespec="seconds")


def check_rating(rating: object) -> int:
    if isinstance(rating, bool) or not isinstance(rating, numbers.Integral) or not 0 <= int(rating) <= 10:
        raise ValueError(f"rating must be a whole number from 0 to 10, got {rating!r}")
    return int(rating)


def clean_note(note: str | None) -> str | None:
    return (note or "").strip() or None


def review(row: Row) -> Review:
    return Review(story_id=row["story_id"], status=ReviewStatus(row["status"]), model_rating=row["model_rating"],
                  final_rating=row["final_rating"],
                  final_verdict=None if row["final_verdict"] is None else Verdict(row["final_verdict"]),
                  note=row["note"], editor=row["editor"], reviewed_at=row["reviewed_at"],
                  published_at=row["published_at"], changed_at=row["changed_at"], summary=row["summary"],
                  summary_by=row["summary_by"])


def correction(row: Row) -> Correction:
    return Correction(story_id=row["story_id"], previous_rating=row["previous_rating"], new_rating=row["new_rating"],
                      note=row["note"], editor=row["editor"], at=row["at"])


def token(row: Row) -> ApiToken:
    return ApiToken(id=row["id"], name=row["name"], user=row["user_name"], created_at=row["created_at"],
                    last_used_at=row["last_used_at"], revoked_at=row["revoked_at"])


def tip(row: Row) -> Tip:
    return Tip(id=row["id"], content_hash=row["content_hash"], article_id=row["article_id"],
               story_id=row["story_id"], note=row["note"], submitted_at=row["submitted_at"])


def audit_entry(row: Row) -> AuditEntry:
    return AuditEntry(id=row["id"], at=row["at"], actor=row["actor"], action=AuditAction(row["action"]),
                      target=row["target"], detail=json.loads(row["detail_json"]))
