"""Durable storage of rated articles: `open_store()` picks the backend (SQLite or PostgreSQL) from the target."""

from __future__ import annotations

import os
from pathlib import Path

from truthmeter import settings
from truthmeter.errors import StoreError
from truthmeter.store.base import (OutletCount, Store, StoredArticle, StoredStory, StoryLink, StoryMemberRow,
                                   StoryUpdate, content_hash)
from truthmeter.store.migrations import LATEST_VERSION
from truthmeter.store.sqlite import SQLiteStore
from truthmeter.store.sqlstore import SQLStore

__all__ = ["open_store", "Store", "StoredArticle", "SQLiteStore", "SQLStore", "content_hash", "LATEST_VERSION",
           "StoryLink", "StoryMemberRow", "StoryUpdate", "StoredStory", "OutletCount", "is_postgres_url"]

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(target: str | os.PathLike[str]) -> bool:
    return os.fspath(target).startswith(_POSTGRES_SCHEMES)


def open_store(target: str | os.PathLike[str] | None = None) -> Store:
    """Open (creating and migrating as needed) the store at `target`.

    None means the configured database (TRUTHMETER_DB), else the per-user default path.
    A file path or ":memory:" gives SQLite; a postgresql:// (or postgres://) URL gives
    PostgreSQL, which needs the `postgres` extra (psycopg).
    """
    if target is None:
        configured = settings.get("db")
        target = str(configured) if configured else _default_path()
    location = os.fspath(target)
    if is_postgres_url(location):
        # Imported here: psycopg is optional, and SQLite users should not pay for loading it.
        from truthmeter.store.postgres import PostgresStore

        return PostgresStore(location)
    return SQLiteStore(os.path.expanduser(location))


def _default_path() -> str:
    path = Path(settings.default_db_path())
    # Only the default gets its directory created: a path the user typed that points
    # nowhere is more likely a typo than a wish for new directories.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create directory {path.parent}: {exc.strerror}") from exc
    return str(path)
