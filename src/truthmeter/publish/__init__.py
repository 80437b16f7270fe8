"""Publishing formats: rated articles (JSON, JSON lines, CSV, a plain-text table), schema.org
ClaimReview JSON-LD for stories and an Atom feed of published verdicts."""

from __future__ import annotations

from truthmeter.publish.formats import FORMATS, Writer, writer_for

__all__ = ["FORMATS", "Writer", "writer_for", "claim_review", "claim_review_for_story", "claim_review_script",
           "export_claimreview", "atom_feed"]


def __getattr__(name: str) -> object:
    """ClaimReview and the feed load on first use: `truthmeter rate` needs neither (start-up time)."""
    if name in ("claim_review", "claim_review_for_story", "claim_review_script", "export_claimreview"):
        from truthmeter.publish import claimreview

        return getattr(claimreview, name)
    if name == "atom_feed":
        from truthmeter.publish.feed import atom_feed

        return atom_feed
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
