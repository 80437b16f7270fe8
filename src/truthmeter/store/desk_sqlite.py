"""The editorial desk on SQLite: SQLDesk over a SQLiteStore (search by FTS5, see Dialect.search)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from truthmeter.store.desk_sql import SQLDesk
from truthmeter.store.dialect import fts_query

if TYPE_CHECKING:
    from truthmeter.store.sqlite import SQLiteStore

__all__ = ["SQLiteDesk", "fts_query"]


class SQLiteDesk(SQLDesk):
    """The Desk protocol over one SQLiteStore (get it as `store.desk`)."""

    def __init__(self, store: SQLiteStore) -> None:
        super().__init__(store)
