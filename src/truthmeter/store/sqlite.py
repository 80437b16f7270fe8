"""SQLite implementation of the Store protocol (standard library sqlite3, no ORM): connecting,
configuring and migrating; the queries are SQLStore's."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

from truthmeter.errors import StoreError
from truthmeter.newsroom.queue import suspicion
from truthmeter.store.dialect import SQLITE
from truthmeter.store.migrations import migrate
from truthmeter.store.sqlstore import SQLStore

if TYPE_CHECKING:
    from truthmeter.store.desk_sqlite import SQLiteDesk

__all__ = ["SQLiteStore", "MEMORY"]

MEMORY = ":memory:"

# Long enough to ride out another process's batch commit, short enough not to look hung.
_BUSY_TIMEOUT_S = 30.0


class SQLiteStore(SQLStore):
    """Rated articles in one SQLite file (or in memory); opening migrates the schema.

    Safe to share between threads (the web app calls it from a thread pool): one connection, and a
    lock held for each whole use of it, transactions included, so threads take turns rather than
    interleave statements of each other's transactions.
    """

    _errors = (sqlite3.Error,)

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = os.fspath(path)
        super().__init__(_connect(self._path), SQLITE, self._path)

    @property
    def path(self) -> str:
        return self._path

    def __repr__(self) -> str:
        return f"SQLiteStore({self._path!r})"

    def _make_desk(self) -> SQLiteDesk:
        from truthmeter.store.desk_sqlite import SQLiteDesk

        return SQLiteDesk(self)

    @property
    def desk(self) -> SQLiteDesk:
        """The editorial desk over this store's database (editors, reviews, audit, search)."""
        return super().desk  # type: ignore[return-value]

    def __enter__(self) -> SQLiteStore:
        return self


def _connect(path: str) -> sqlite3.Connection:
    """Open, configure and migrate; every failure becomes a one-line StoreError naming `path`."""
    if path == "":
        raise StoreError("database path is empty")
    if path != MEMORY:
        file = Path(path)
        if file.is_dir():
            raise StoreError(f"{path}: is a directory, not a database file")
        if not file.parent.is_dir():
            raise StoreError(f"{path}: cannot open database: directory {file.parent} does not exist")
    try:
        # check_same_thread off: SQLiteStore's lock serialises the threads that share the connection.
        conn = sqlite3.connect(path, isolation_level=None, timeout=_BUSY_TIMEOUT_S, check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open database: {exc}") from exc
    try:
        conn.row_factory = sqlite3.Row
        if path != MEMORY:
            # WAL lets readers (list, show) run while an ingest writes; NORMAL is still
            # crash-safe under WAL, it only risks the last commits on power loss.
            _use_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        # The review queue ranks in SQL by the one Python definition of suspicion (Dialect.suspicion).
        conn.create_function("tm_suspicion", 3, suspicion, deterministic=True)
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        what = "not a SQLite database" if "not a database" in str(exc) else "cannot open database"
        raise StoreError(f"{path}: {what}: {exc}") from exc
    except StoreError as exc:
        conn.close()
        raise StoreError(f"{path}: {exc}") from None
    except BaseException:
        conn.close()
        raise
    return conn


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL, waiting out other connections doing the same.

    Changing the journal mode needs the file to itself and SQLite answers "database is locked" at
    once, without calling the busy handler, while another connection holds it (several processes
    opening a new database together do). So retry here, for as long as the busy timeout.
    """
    deadline = time.monotonic() + _BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)
