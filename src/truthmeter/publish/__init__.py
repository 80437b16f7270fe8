"""Publishing formats for rated articles: JSON, JSON lines, CSV and a plain-text table."""

from __future__ import annotations

from truthmeter.publish.formats import FORMATS, Writer, writer_for

__all__ = ["FORMATS", "Writer", "writer_for"]
