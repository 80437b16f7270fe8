"""PostgreSQL implementation of the Store protocol: psycopg 3 (the `postgres` extra) behind the
sqlite3-like interface the shared SQL code uses, so SQLStore and SQLDesk run on it unchanged.

The adapter rewrites `?` placeholders to psycopg's `%s`, returns rows readable by name and by
position (as sqlite3.Row), and keeps the connection in autocommit mode so that the explicit
BEGIN/COMMIT of the shared code are the only transactions. psycopg is imported only here, only when
a postgresql:// URL is opened: the default install does not need it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from truthmeter.errors import StoreError
from truthmeter.store.desk_sql import SQLDesk
from truthmeter.store.dialect import POSTGRES
from truthmeter.store.migrations import migrate
from truthmeter.store.sqlstore import SQLStore

if TYPE_CHECKING:
    import psycopg

__all__ = ["PostgresStore", "PostgresDesk", "PgConnection", "mask_url", "SCHEMES"]

SCHEMES = ("postgresql://", "postgres://")
INSTALL_HINT = "PostgreSQL support is not installed: pip install 'truthmeter[postgres]'"

_CONNECT_TIMEOUT_S = 10
# NUL cannot be stored in PostgreSQL text; U+FFFD is what a decoder leaves for an unreadable character.
_NUL, _REPLACEMENT = "\x00", "\ufffd"


def mask_url(url: str) -> str:
    """`url` with any password (in the authority or as ?password=) replaced by ***, for messages."""
    scheme, sep, rest = url.partition("://")
    if sep:
        authority, tail = re.match(r"([^/?#]*)(.*)", rest, re.S).groups()  # type: ignore[union-attr]
        if "@" in authority:
            user_info, host = authority.rsplit("@", 1)
            if ":" in user_info:
                authority = f"{user_info.split(':', 1)[0]}:***@{host}"
        url = f"{scheme}://{authority}{tail}"
    return re.sub(r"([?&]password=)[^&#]*", r"\1***", url, flags=re.I)


@lru_cache(maxsize=512)
def _pg_sql(sql: str) -> str:
    """`?` placeholders as psycopg's `%s`, literal `%` doubled; a `?` inside a string literal is a bug."""
    pieces = sql.split("'")
    if any("?" in literal for literal in pieces[1::2]):
        raise ValueError(f"'?' inside a string literal cannot be told from a placeholder: {sql[:80]!r}")
    pieces = [p.replace("%", "%%") for p in pieces]
    pieces[::2] = [p.replace("?", "%s") for p in pieces[::2]]
    return "'".join(pieces)


def _clean(params: Sequence[object]) -> Sequence[object]:
    if any(isinstance(p, str) and _NUL in p for p in params):
        return [p.replace(_NUL, _REPLACEMENT) if isinstance(p, str) else p for p in params]
    return params


class PgRow(tuple):  # type: ignore[type-arg]
    """A result row readable as row["column"] and row[0], like sqlite3.Row."""

    __slots__ = ()
    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._index[key])
            except KeyError:
                raise IndexError(f"no column {key!r}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


@lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type[PgRow]:
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)  # as sqlite3.Row: a repeated name means its first column
    return type("PgRow", (PgRow,), {"__slots__": (), "_index": index})


def _row_factory(cursor: Any) -> Any:
    description = cursor.description
    if description is None:
        return tuple
    return _row_class(tuple(d.name for d in description))


class PgConnection:
    """A psycopg connection speaking the part of sqlite3.Connection the SQL code uses."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[object] | None = None) -> Any:
        cursor = self._conn.cursor()
        if params is None:
            cursor.execute(sql)  # type: ignore[arg-type]  # no parameters: `%` and `;` mean themselves
        else:
            cursor.execute(_pg_sql(sql), _clean(params))  # type: ignore[arg-type]
        return cursor

    def executemany(self, sql: str, seq: Iterable[Sequence[object]]) -> Any:
        cursor = self._conn.cursor()
        cursor.executemany(_pg_sql(sql), [_clean(p) for p in seq])  # type: ignore[arg-type]
        return cursor

    @property
    def lost(self) -> bool:
        """Whether the connection has gone (the server restarted, or ended this session)."""
        return bool(self._conn.closed)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self._conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR)

    def close(self) -> None:
        self._conn.close()


def describe_error(exc: BaseException) -> str:
    """A psycopg error as one line: the server's message and detail, else the client's text."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if primary:
        detail = getattr(diag, "message_detail", None)
        return f"{primary} ({detail})" if detail else primary
    return " ".join(str(exc).split()) or type(exc).__name__


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise StoreError(INSTALL_HINT) from None
    return psycopg


def connect(url: str) -> PgConnection:
    """Connect in autocommit mode (no migration); failures become one-line StoreErrors."""
    psycopg = _psycopg()
    masked = mask_url(url)
    try:
        conn = psycopg.connect(url, autocommit=True, row_factory=_row_factory, connect_timeout=_CONNECT_TIMEOUT_S,
                               application_name="truthmeter")
    except psycopg.Error as exc:
        raise StoreError(f"{masked}: cannot connect: {describe_error(exc)}") from None
    except ValueError as exc:  # a URL libpq cannot parse (psycopg raises ProgrammingError; be safe)
        raise StoreError(f"{masked}: cannot connect: {exc}") from None
    return PgConnection(conn)


class PostgresStore(SQLStore):
    """Rated articles in a PostgreSQL database (the schema on the connection's search_path); opening
    migrates it. Thread-safe like SQLiteStore: one connection, one lock for each use of it."""

    def __init__(self, url: str) -> None:
        psycopg = _psycopg()
        self._errors = (psycopg.Error,)
        masked = mask_url(url)
        conn = connect(url)
        try:
            migrate(conn, dialect=POSTGRES)
        except psycopg.Error as exc:
            conn.close()
            raise StoreError(f"{masked}: cannot open database: {describe_error(exc)}") from None
        except StoreError as exc:
            conn.close()
            raise StoreError(f"{masked}: {exc}") from None
        except BaseException:
            conn.close()
            raise
        super().__init__(conn, POSTGRES, masked)
        self._connect_url = url


    @property
    def url(self) -> str:
        """The URL without its password."""
        return self._location

    def __repr__(self) -> str:
        return f"PostgresStore({self._location!r})"

    def _make_desk(self) -> PostgresDesk:
        return PostgresDesk(self)

    @property
    def desk(self) -> PostgresDesk:
        return super().desk  # type: ignore[return-value]

    def __enter__(self) -> PostgresStore:
        return self

    def _revive(self) -> None:
        # A server restart must not leave a long-running web app failing every request: the use that
        # met the dropped connection failed (StoreError); the next one connects afresh.
        if self._conn.lost:
            self._conn = connect(self._connect_url)

    @staticmethod
    def _describe(exc: BaseException) -> str:
        return describe_error(exc)


class PostgresDesk(SQLDesk):
    """The Desk protocol over one PostgresStore (get it as `store.desk`)."""

    def __init__(self, store: PostgresStore) -> None:
        super().__init__(store)
