"""The review queue's ranking: which unreviewed story an editor should look at first.

Backend-neutral on purpose: every Desk implementation orders its queue with this same function.
"""

from __future__ import annotations

__all__ = ["suspicion", "TIP_KEEP", "CONTRADICTION_KEEP", "UNRATED_AS"]

# Each reader's tip keeps this share of a story's credibility in the queue, each contradicting
# article (a denial, a debunk) this share.
TIP_KEEP = 0.8
CONTRADICTION_KEEP = 0.9
# An Unrated story (too little text, no fact-check) ranks as if rated Mixed: nothing says it is true
# or false, so it sits mid-queue and tips or denials still lift it.
UNRATED_AS = 5


def suspicion(story_rating: int | None, tips: int = 0, contradicting: int = 0) -> float:
    """How much a story needs an editor, 0..1: 1 - (rating / 10) * 0.8**tips * 0.9**contradicting.

    The model's story rating sets the base (a story rated 0 is as suspicious as it gets, one rated
    10 not at all); every reader's tip takes away a fifth of the credibility left and every
    contradicting article (a denial or a debunk among its articles) a tenth, so a story that readers
    keep flagging climbs the queue even when the model believed it.
    """
    rating = UNRATED_AS if story_rating is None else int(story_rating)
    trust = max(0, min(10, rating)) / 10
    return 1.0 - trust * TIP_KEEP ** max(0, int(tips)) * CONTRADICTION_KEEP ** max(0, int(contradicting))
