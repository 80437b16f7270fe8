"""Feature families, registered under versioned names so a saved model names what it used.

A family turns a batch of `Doc`s into a sparse matrix and can say, for one doc, which span of
text is behind each of its columns (that is what makes explanations point at text).
"""

from __future__ import annotations

from truthmeter.features._base import FACT_CHECKERS, Doc, FeatureFamily, Span, create, make_doc, register, registry
from truthmeter.features import lexical as _lexical  # noqa: F401  (registers lexical.v1)
from truthmeter.features import cues as _cues  # noqa: F401  (registers the cue families)

__all__ = ["FACT_CHECKERS", "Doc", "FeatureFamily", "Span", "make_doc", "registry", "register", "create"]
