"""An article read inside its story: the story's verdict on the claim, the article's stance, and the
model's text-only estimate labelled as such, in words a reader can take in at once."""

from __future__ import annotations

from typing import Sequence

from truthmeter.types import FactCheck, Stance, Story

__all__ = ["claim_text", "claim_line", "rated_by", "in_context"]


def claim_text(story: Story) -> str:
    """What the verdict is about: the claim; a story stored before claims existed shows its headline."""
    return story.claim.text if story.claim else story.title


def claim_line(story: Story) -> str:
    """"Claim: Marisol Vance is engaged to Dex Harrow — False 1/10"."""
    rating = "" if story.story_rating is None else f" {story.story_rating}/10"
    return f"Claim: {claim_text(story)} — {story.verdict.value}{rating}"


def rated_by(story: Story, fact_checks: Sequence[FactCheck]) -> str:
    """Who or what decided the story's rating, as a reader reads it: "a Gossip Cop fact-check"."""
    if story.fact_check_rating is not None:
        deciding = [f for f in fact_checks if f.rating == story.fact_check_rating]
        latest = max(deciding, key=lambda f: f.date or "") if deciding else None
        if latest is None or not latest.outlet:
            return "a fact-check"
        # "a Gossip Cop fact-check", but never "a The Rumor Desk fact-check"
        named = latest.outlet.split()[0].lower() in ("the", "a", "an")
        return f"a fact-check from {latest.outlet}" if named else f"a {latest.outlet} fact-check"
    return "no one yet" if story.story_rating is None else "the weighted reports in it"


_STANCE_WORDS = {Stance.SUPPORTS: "it supports the claim", Stance.CONTRADICTS: "it contradicts the claim",
                 Stance.UNRELATED: "it takes no side on the claim"}


def in_context(story: Story, fact_checks: Sequence[FactCheck], truth_rating: int | None, stance: Stance,
               fact_check_rating: int | None = None) -> str:
    """An article inside its story: the story's verdict on the claim, its own stance, and the model's
    text-only estimate labelled as such ("the text alone reads 3/10; the story is rated 10/10 by a
    Gossip Cop fact-check; it supports the claim")."""
    if fact_check_rating is not None:
        own = f"this article is a fact-check rating the claim {fact_check_rating}/10"
    elif truth_rating is None:
        own = "the text alone is too short to judge"
    else:
        own = f"the text alone reads {truth_rating}/10"
    if story.story_rating is None:
        verdict = "the story is Unrated"
    else:
        verdict = f"the story is rated {story.story_rating}/10 by {rated_by(story, fact_checks)}"
    return f"{own}; {verdict}; {_STANCE_WORDS[stance]}"
