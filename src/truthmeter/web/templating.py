"""Jinja2 templates for the site, and the small helpers they use (gauge geometry, dates, safe links).

Autoescape is on for every template: article titles, bodies, quotes, outlets and notes come from
untrusted pages and readers, so they are only ever rendered escaped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable
from urllib.parse import urlencode, urlsplit

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from truthmeter.publish.formats import out_of_ten
from truthmeter.rating import GATE_SIGNALS
from truthmeter.reasons import shown_signal, signal_label
from truthmeter.types import Signal, Verdict
from truthmeter.web.reader import story_reason

__all__ = ["templates", "Gauge", "gauge", "when", "http_url", "verdict_class", "Segment", "highlight",
           "query_string", "shown_signals", "TEMPLATE_DIR", "STATIC_DIR"]

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# The gauge is a half circle drawn in a 120 x 70 box: centre at the bottom middle.
_CX, _CY, _R, _NEEDLE = 60.0, 62.0, 50.0, 42.0
_NEEDLE_FROM = 22.0  # the needle starts off centre: the number below its root stays readable at every rating
_ZERO_STUB = 0.35  # how far (in rating points) the arc of a 0 reaches


@dataclass(frozen=True)
class Gauge:
    """Geometry of the semicircle gauge for a 0-10 rating: the track, the filled arc and the needle."""

    rating: int | None  # None: Unrated (the track alone is drawn)
    track: str  # SVG path of the whole half circle
    arc: str | None  # SVG path of the filled part (a short stub at 0), None when Unrated
    needle_x: float
    needle_y: float
    base_x: float = _CX  # where the needle starts
    base_y: float = _CY


def _point(fraction: float, radius: float) -> tuple[float, float]:
    # 0 is the left end of the half circle, 1 the right end; SVG y grows downwards.
    angle = math.pi * (1.0 - fraction)
    return round(_CX + radius * math.cos(angle), 2), round(_CY - radius * math.sin(angle), 2)


def gauge(rating: int | None) -> Gauge:
    """The gauge for `rating`, clamped to 0-10; for None (Unrated) the empty track only."""
    start = f"M {_CX - _R:g} {_CY:g}"
    track = f"{start} A {_R:g} {_R:g} 0 0 1 {_CX + _R:g} {_CY:g}"
    if rating is None:
        return Gauge(None, track, None, _CX, _CY)
    value = max(0, min(10, int(rating)))
    # A 0 still shows a stub of the verdict's colour (red): an empty grey gauge reads as "no rating".
    x, y = _point(max(value, _ZERO_STUB) / 10, _R)
    arc = f"{start} A {_R:g} {_R:g} 0 0 1 {x:g} {y:g}"
    nx, ny = _point(value / 10, _NEEDLE)
    bx, by = _point(value / 10, _NEEDLE_FROM)
    return Gauge(value, track, arc, nx, ny, bx, by)


def when(value: str | None) -> str:
    """An ISO 8601 time as 'YYYY-MM-DD HH:MM UTC'; a bare date or anything unparsable as given."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if len(value) <= 10:  # a date without a time of day
        return moment.date().isoformat()
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def http_url(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL, else None: only those may become links
    (a `javascript:` or `data:` URL from an article must never be clickable)."""
    if not url:
        return None
    cleaned = url.strip()
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # Control characters or quotes in a URL are never legitimate and could confuse a browser.
    if any(ord(c) < 32 or c in "\"'<> " for c in cleaned):
        return None
    return cleaned


def verdict_class(verdict: Verdict | str) -> str:
    """CSS class of a verdict: 'v-false', 'v-mostly-false', 'v-mixed', 'v-mostly-true', 'v-true', 'v-unrated'."""
    value = verdict.value if isinstance(verdict, Verdict) else str(verdict)
    return "v-" + value.lower().replace(" ", "-")


@dataclass(frozen=True)
class Segment:
    """A run of an article's text, and the signal it belongs to if any (rendered as a mark)."""

    text: str
    signal: Signal | None = None


def highlight(text: str, signals: Iterable[Signal]) -> list[Segment]:
    """Split `text` at the signals' spans, left to right; overlapping or out-of-range spans are skipped."""
    spans = sorted((s for s in signals if s.start is not None and s.end is not None
                    and 0 <= s.start < s.end <= len(text)), key=lambda s: (s.start, s.end))
    out: list[Segment] = []
    at = 0
    for s in spans:
        start, end = int(s.start), int(s.end)  # type: ignore[arg-type]
        if start < at:
            continue
        if start > at:
            out.append(Segment(text[at:start]))
        out.append(Segment(text[start:end], s))
        at = end
    if at < len(text):
        out.append(Segment(text[at:]))
    return out


def query_string(params: dict[str, object], **changes: object) -> str:
    """'?a=1&b=2' from `params` updated with `changes`, leaving out empty values ('' when none left)."""
    merged = {**params, **changes}
    kept = [(k, str(v)) for k, v in merged.items() if v not in (None, "")]
    return "?" + urlencode(kept) if kept else ""


def shown_signals(signals: Iterable[Signal]) -> list[Signal]:
    """The signals whose passages are marked for readers (no lone function word, day or number)."""
    return [s for s in signals if shown_signal(s)]


# An article's stance toward its story's claim, as the sources list says it.
STANCE_WORDS = {"supports": "reports the claim", "contradicts": "contradicts the claim",
                "unrelated": "takes no side"}


def _signed(weight: float) -> str:
    return f"{weight:+.2f}"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(when=when, http_url=http_url, verdict_class=verdict_class, signed=_signed,
                       out_of_ten=out_of_ten)
    env.globals.update(gauge=gauge, highlight=highlight, query_string=query_string, verdicts=list(Verdict),
                       signal_label=signal_label, story_reason=story_reason, shown_signals=shown_signals,
                       gate_signals=GATE_SIGNALS, stance_words=STANCE_WORDS)
    return env


templates = Jinja2Templates(env=_environment())
