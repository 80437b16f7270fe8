"""The web app's settings: one frozen value, built by `truthmeter serve` or read from the environment."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields

from truthmeter import settings
from truthmeter.errors import TruthmeterError

__all__ = ["WebConfig"]


@dataclass(frozen=True)
class WebConfig:
    """Everything create_app needs; every field has a safe default for a local server.

    `rate_limit` is articles per second per client on the public write endpoints (a batch of N
    articles to /api/rate costs N; a tip, a /check or a login costs 1), with bursts up to `burst`;
    0 turns the limiter off. `max_articles` caps the articles in one request to /api/rate or
    /api/articles (413 above it). `fetch_private` lets /api/rate and /check fetch URLs on loopback
    or private networks: off by default, so the server cannot be made to probe its own network.
    Session cookies are `Secure` when `site_url` is https, or always with `secure_cookies`.
    """

    db: str | None = None
    model_dir: str | None = None
    site_url: str = "http://127.0.0.1:8000"
    rate_limit: float = 20.0
    burst: int = 40
    max_body_bytes: int = 1_000_000
    max_articles: int = 100
    session_hours: int = 12
    secure_cookies: bool = False
    max_text_chars: int = 200_000
    fetch_private: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "site_url", self.site_url.rstrip("/"))
        if not self.site_url.startswith(("http://", "https://")):
            raise TruthmeterError(f"site url must start with http:// or https://, got {self.site_url!r}")
        checks = (("rate limit", self.rate_limit, 0), ("burst", self.burst, 1),
                  ("max body bytes", self.max_body_bytes, 1), ("max articles", self.max_articles, 1),
                  ("session hours", self.session_hours, 1), ("max text chars", self.max_text_chars, 1))
        for name, value, least in checks:
            if value < least:
                raise TruthmeterError(f"{name} must be at least {least}, got {value}")

    @property
    def cookies_secure(self) -> bool:
        """Whether cookies get the Secure attribute (sent over https only)."""
        return self.secure_cookies or self.site_url.startswith("https://")

    @classmethod
    def from_env(cls) -> "WebConfig":
        """TRUTHMETER_DB and TRUTHMETER_MODEL as everywhere else, plus TRUTHMETER_<FIELD> for the
        web fields (TRUTHMETER_SITE_URL, TRUTHMETER_RATE_LIMIT, TRUTHMETER_SECURE_COOKIES, ...)."""
        values: dict[str, object] = {"db": settings.get("db"), "model_dir": settings.get("model")}
        for f in fields(cls):
            if f.name in values:
                continue
            raw = os.environ.get("TRUTHMETER_" + f.name.upper(), "").strip()
            if raw:
                values[f.name] = _parse(f.name, raw, type(f.default))
        return cls(**values)  # type: ignore[arg-type]

    def to_json(self) -> str:
        """The settings as JSON, for `from_json` in another process (serve's workers)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> "WebConfig":
        return cls(**json.loads(raw))


def _parse(name: str, raw: str, kind: type) -> object:
    env = "TRUTHMETER_" + name.upper()
    if kind is bool:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise TruthmeterError(f"{env}: expected true or false, got {raw!r}")
    try:
        return kind(raw)
    except ValueError:
        raise TruthmeterError(f"{env}: expected {'a number' if kind is float else 'an integer'}, got {raw!r}") from None
