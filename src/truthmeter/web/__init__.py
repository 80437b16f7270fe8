"""The newsroom web site and REST API (FastAPI): `create_app(WebConfig(...))`.

    from truthmeter.web import WebConfig, create_app
    app = create_app(WebConfig(db="newsroom.db"))   # serve with uvicorn
"""

from __future__ import annotations

from truthmeter.web.app import create_app, factory
from truthmeter.web.config import WebConfig

__all__ = ["create_app", "factory", "WebConfig"]
