"""Publishing formats: rated articles (JSON, JSON lines, CSV, a plain-text table), schema.org
ClaimReview JSON-LD for stories and an Atom feed of published verdicts."""

from __future__ import annotations

from truthmeter.publish.claimreview import (claim_review, claim_review_for_story, claim_review_script,
                                            export_claimreview)
from truthmeter.publish.feed import atom_feed
from truthmeter.publish.formats import FORMATS, Writer, writer_for

__all__ = ["FORMATS", "Writer", "writer_for", "claim_review", "claim_review_for_story", "claim_review_script",
           "export_claimreview", "atom_feed"]
