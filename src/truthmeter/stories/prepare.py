"""The story work of an article that needs nothing but the article: its clustering entry (people,
signature, vector), evidence, fact-check and claim sentence, and the bytes its story link stores.

It is most of the story step's cost and independent per article, so it runs in worker processes
(`prepared_chunks`: a forked pool over batches, in input order) while only candidate scoring, the
story verdicts and the store stay serial (service.py). `prepare_batch` is the function a rating
worker could call on its batch instead (it needs the articles only, not their ratings). The result is
the same wherever it is computed: `StoryService.plan` computes it inline for an article it was not
handed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence, TypeVar

from truthmeter._ordered import can_fork, in_order, two_or_more
from truthmeter.features.outlet import outlet_key
from truthmeter.stories.claims import claim_sentence
from truthmeter.stories.cluster import NUM_PERM, Entry, entry_for
from truthmeter.stories.evidence import Evidence, content_words, find_evidence
from truthmeter.stories.verdict import fact_check_of, is_debunk
from truthmeter.types import Article, ClaimBasis, FactCheck, RatedArticle, content_hash


__all__ = ["Prepared", "prepare", "prepare_batch", "prepared_chunks", "rated_articles", "default_workers"]

T = TypeVar("T")


@dataclass(frozen=True)
class Prepared:
    """One article's story facts, keyed by its content hash (`entry.key`)."""

    entry: Entry
    evidence: Evidence
    evidence_json: str
    fact_check: FactCheck | None
    claim: str
    claim_basis: ClaimBasis
    outlet_key: str | None
    signature: bytes  # service.encode_array of the entry's arrays: what the story link stores
    vector: bytes | None
    words: frozenset[str]  # its headline's topic words and people (verdict.Member.words)


def prepare(digest: str, article: Article, num_perm: int = NUM_PERM, *, entry: Entry | None = None) -> Prepared:
    """The story facts of one article whose content hash is `digest`; `entry`: its clustering entry
    when a clusterer of another kind made it (its people then name the claim's people)."""
    from truthmeter.stories.service import encode_array  # service imports this module

    entry = entry or entry_for(digest, article, num_perm=num_perm)
    evidence = find_evidence(article)
    check = fact_check_of(article, digest, evidence)
    # The claim is read here, while the body is at hand: the store keeps the sentence, not the body's view.
    claim, basis = claim_sentence(article.title, article.body, entry.people,
                                  debunk=is_debunk(check, bool(evidence.strong_denials())))
    return Prepared(entry=entry, evidence=evidence, evidence_json=evidence.to_json(), fact_check=check,
                    claim=claim, claim_basis=basis, outlet_key=outlet_key(article),
                    signature=encode_array(entry.signature),
                    vector=None if entry.vector is None else encode_array(entry.vector),
                    words=content_words(article.title, tuple(entry.people)))


def prepare_batch(articles: Sequence[Article], num_perm: int = NUM_PERM) -> list[Prepared]:
    """`prepare` for each article, in order."""
    return [prepare(content_hash(a.title, a.body), a, num_perm) for a in articles]


def rated_articles(chunk: Sequence[object]) -> list[Article]:
    """The articles of the rated ones in a batch (errors left out): what `prepared_chunks` prepares."""
    return [x.article for x in chunk if isinstance(x, RatedArticle)]


def default_workers() -> int:
    """Two processes where there are two cores: the story step's default."""
    return min(2, os.cpu_count() or 1)


def prepared_chunks(chunks: Iterator[list[T]], articles: Callable[[list[T]], list[Article]], workers: int,
                    num_perm: int = NUM_PERM) -> Iterator[tuple[list[T], dict[str, Prepared] | None]]:
    """Each chunk with the prepared facts of its articles (by content hash), computed `workers` batches
    at a time in forked processes, in input order; None (compute inline) with one worker or one chunk,
    where forking costs more than it saves."""
    several, chunks = two_or_more(chunks)
    if workers <= 1 or not several or not can_fork():
        yield from ((chunk, None) for chunk in chunks)
        return
    import multiprocessing as mp  # only when forking: a small input starts faster without it

    with mp.get_context("fork").Pool(workers) as pool:
        for chunk, result in in_order(chunks, lambda c: pool.apply_async(prepare_batch, (articles(c), num_perm)),
                                      2 * workers):
            yield chunk, {p.entry.key: p for p in result}
