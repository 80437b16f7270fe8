"""Storing articles already rated by an engine: `pipeline.store_rated`, the write half of an ingest."""

from __future__ import annotations

from truthmeter.pipeline import store_rated

__all__ = ["store_rated"]
