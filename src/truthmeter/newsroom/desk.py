"""The Desk protocol: what the editorial workflow needs from a store (SQLite and PostgreSQL).

Every write that an editor, token or reader makes is audited in the same transaction as the change,
so the audit log can never miss an action that took effect. Secrets (passwords, tokens, session ids)
reach the desk only already hashed.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from truthmeter.newsroom.records import (ApiToken, AuditAction, AuditEntry, Correction, OutletStory, PublishedStory,
                                         QueueItem, Review, Session, Tip, User)
from truthmeter.errors import StoreError
from truthmeter.types import Claim, FactCheck, Story

__all__ = ["Desk", "UnknownStory", "NothingToPublish"]


class UnknownStory(StoreError):
    """No stored story has this id (or unique id prefix): a web layer answers 404."""

    def __init__(self, story_id: str) -> None:
        self.story_id = story_id
        super().__init__(f"no story {story_id}")


class NothingToPublish(StoreError, ValueError):
    """The story is Unrated and no editor has rated it: a web layer answers 409. A ValueError too, as
    callers of `publish` caught before it had its own type."""

    def __init__(self, story_id: str) -> None:
        self.story_id = story_id
        super().__init__("an Unrated story needs an editor's rating before it is published")


@runtime_checkable
class Desk(Protocol):
    # --- editors, tokens, sessions -------------------------------------------------------------
    def add_user(self, name: str, password_hash: str, *, actor: str = "cli") -> User:
        """Raise StoreError("user NAME already exists") when taken, ValueError for a name that is not
        1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit)."""
        ...

    def password_hash(self, name: str) -> str | None:
        ...

    def users(self) -> list[User]:
        ...

    def add_token(self, token_hash: str, name: str, user: str, *, actor: str = "cli") -> ApiToken:
        """Raise StoreError("no user NAME") when `user` does not exist."""
        ...

    def token_user(self, token_hash: str) -> str | None:
        """The editor a token acts for (and note its use), or None when unknown or revoked."""
        ...

    def tokens(self) -> list[ApiToken]:
        ...

    def revoke_token(self, token_id: int, *, actor: str) -> bool:
        """False when no unrevoked token has this id."""
        ...

    def add_session(self, session_hash: str, user: str, csrf: str, expires_at: str) -> None:
        """Open a session (audited as LOGIN in the same transaction); expired ones are dropped."""
        ...

    def session(self, session_hash: str) -> Session | None:
        """None when unknown or expired."""
        ...

    def end_session(self, session_hash: str) -> None:
        """Close a session (audited as LOGOUT when there was one)."""
        ...

    # --- reviews and publishing ----------------------------------------------------------------
    def review(self, story_id: str) -> Review | None:
        ...

    def set_rating(self, story_id: str, rating: int, note: str, *, editor: str) -> Review:
        """Set the final rating (0-10) with a note. On a published story this is a correction: the
        earlier rating, the note and the time are kept (AuditAction.CORRECTION), else REVIEW and the
        status becomes REVIEWED. Raise UnknownStory ("no story ID") for an unknown story, ValueError
        for a rating outside 0-10 or a correction without a note."""
        ...

    def set_claim(self, story_id: str, text: str, *, editor: str) -> Claim:
        """Rewrite the story's claim (AuditAction.CLAIM, with the previous wording); later articles never
        replace an editor's claim. UnknownStory for an unknown story, ValueError for an empty claim or
        one over MAX_CLAIM_CHARS characters."""
        ...

    def set_summary(self, story_id: str, text: str | None, *, editor: str) -> Review:
        """Write the verdict in prose that readers see beside the published rating (AuditAction.SUMMARY,
        with the previous text); an empty text goes back to the one generated from the evidence.
        UnknownStory for an unknown story, ValueError for a text over MAX_SUMMARY_CHARS characters."""
        ...

    def reviews(self, story_ids: list[str]) -> dict[str, Review]:
        """The reviews of these stories, by story id (stories without one left out)."""
        ...

    def stories(self, story_ids: list[str]) -> dict[str, Story]:
        """These stories by id (unknown ids left out): the audit log names its targets with them."""
        ...

    def outlet_history(self, outlet_key: str, limit: int = 5000) -> list[OutletStory]:
        """The stories an outlet told, oldest first (its record over time)."""
        ...

    def publish(self, story_id: str, *, editor: str) -> Review:
        """Publish with the final rating, or the model's when the editor set none (then frozen as
        the final rating, so later articles cannot move a published verdict unseen). Publishing a
        published story changes nothing and is not audited. UnknownStory for an unknown story."""
        ...

    def unpublish(self, story_id: str, *, editor: str) -> Review:
        """Take a published story down; on a story not published it changes nothing (and is not
        audited) and returns its review as it is (UNREVIEWED when it has none)."""
        ...

    def corrections(self, story_id: str) -> list[Correction]:
        """Oldest first."""
        ...

    def queue(self, limit: int = 50, offset: int = 0) -> list[QueueItem]:
        """Stories no editor has rated yet, most suspicious and most recent first (tips count)."""
        ...

    def count_queue(self) -> int:
        ...

    def published(self, limit: int = 50, offset: int = 0) -> list[PublishedStory]:
        """Published stories, most recently published or corrected first."""
        ...

    def count_published(self) -> int:
        ...

    # --- tips, search, fact-checks, audit ------------------------------------------------------
    def add_tip(self, content_hash: str, note: str | None) -> Tip:
        """The article must be stored already (the caller ingests it first)."""
        ...

    def tips(self, story_id: str | None = None, limit: int = 50) -> list[Tip]:
        ...

    def search(self, query: str, limit: int = 50, offset: int = 0) -> list[Story]:
        """Full-text search over the stories' articles (titles and bodies), best match first.
        Any user text is safe to pass: it is quoted, never parsed as query syntax."""
        ...

    def count_search(self, query: str) -> int:
        ...

    def fact_checks(self, limit: int = 50, offset: int = 0) -> list[FactCheck]:
        """Every stored fact-check, newest first."""
        ...

    def count_fact_checks(self) -> int:
        ...

    def audit(self, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
        """Newest first."""
        ...

    def count_audit(self) -> int:
        ...

    def log(self, actor: str, action: AuditAction, target: str | None, detail: dict[str, object]) -> None:
        """Record an action that changes nothing in the desk (login, logout)."""
        ...

    def story_exists(self, story_id: str) -> Story | None:
        """The story with this id or unique id prefix, else None."""
        ...
