"""The editorial desk: editors, review queue, overrides, publishing, corrections, tips and audit."""

from __future__ import annotations

from truthmeter.newsroom.desk import Desk, UnknownStory
from truthmeter.newsroom.records import (ApiToken, AuditAction, AuditEntry, Correction, PublishedStory, QueueItem,
                                         Review, ReviewStatus, Session, Tip, User)

__all__ = ["Desk", "UnknownStory", "ApiToken", "AuditAction", "AuditEntry", "Correction", "PublishedStory",
           "QueueItem", "Review", "ReviewStatus", "Session", "Tip", "User"]
