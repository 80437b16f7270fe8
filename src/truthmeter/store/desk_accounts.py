"""The Desk's plumbing (one transaction per change with its audit row) and its accounts: editors, API
tokens and sessions, in SQL for SQLite and PostgreSQL. desk_sql.py builds the rest of the Desk on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from truthmeter.errors import StoreError
from truthmeter.newsroom.auth import check_user_name
from truthmeter.newsroom.records import ApiToken, AuditAction, Session, User
from truthmeter.store import desk_rows as decode
from truthmeter.store.dialect import Connection
from truthmeter.store.sqlutil import utc_now

if TYPE_CHECKING:
    from truthmeter.store.sqlstore import SQLStore

__all__ = ["SQLAccounts"]

# A token's last use is noted at most this often: a write per API call would be pure overhead.
_TOKEN_TOUCH = timedelta(minutes=1)


class SQLAccounts:
    """Editors, tokens and sessions over one SQLStore, and the transactions every desk write uses."""

    def __init__(self, store: SQLStore) -> None:
        self._store = store
        self._dialect = store.dialect

    # --- plumbing -------------------------------------------------------------------------------
    @contextmanager
    def _read(self, action: str) -> Iterator[Connection]:
        with self._store._db(action) as conn:
            yield conn

    @contextmanager
    def _write(self, action: str) -> Iterator[Connection]:
        """One transaction: the change and its audit row commit together or not at all."""
        with self._store._db(action) as conn:
            self._dialect.begin(conn)
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @staticmethod
    def _audit(conn: Connection, actor: str, action: AuditAction, target: str | None,
               detail: dict[str, object]) -> None:
        conn.execute("INSERT INTO audit_log (at, actor, action, target, detail_json) VALUES (?, ?, ?, ?, ?)",
                     (utc_now(), actor, action.value, target, json.dumps(detail, ensure_ascii=False, sort_keys=True)))

    # --- editors, tokens, sessions --------------------------------------------------------------
    def add_user(self, name: str, password_hash: str, *, actor: str = "cli") -> User:
        check_user_name(name)
        now = utc_now()
        with self._write("cannot add user") as conn:
            # Case-insensitively: "Alice" and "alice" as two editors would only confuse the audit log.
            if conn.execute("SELECT 1 FROM users WHERE lower(name) = lower(?)", (name,)).fetchone():
                raise StoreError(f"user {name} already exists")
            conn.execute("INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?)",
                         (name, password_hash, now))
            self._audit(conn, actor, AuditAction.USER_ADDED, name, {})
        return User(name=name, created_at=now)

    def password_hash(self, name: str) -> str | None:
        with self._read("cannot read user") as conn:
            row = conn.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def users(self) -> list[User]:
        with self._read("cannot list users") as conn:
            rows = conn.execute("SELECT name, created_at FROM users ORDER BY name").fetchall()
        return [User(name=r["name"], created_at=r["created_at"]) for r in rows]

    def add_token(self, token_hash: str, name: str, user: str, *, actor: str = "cli") -> ApiToken:
        now = utc_now()
        with self._write("cannot create token") as conn:
            if not conn.execute("SELECT 1 FROM users WHERE name = ?", (user,)).fetchone():
                raise StoreError(f"no user {user}")
            token_id = self._dialect.insert_id(conn, "INSERT INTO api_tokens (token_hash, name, user_name, created_at) "
                                               "VALUES (?, ?, ?, ?)", (token_hash, name, user, now))
            self._audit(conn, actor, AuditAction.TOKEN_CREATED, str(token_id), {"name": name, "user": user})
        return ApiToken(id=token_id, name=name, user=user, created_at=now)

    def token_user(self, token_hash: str) -> str | None:
        now = datetime.now(timezone.utc)
        with self._read("cannot check token") as conn:
            row = conn.execute("SELECT id, user_name, last_used_at FROM api_tokens "
                               "WHERE token_hash = ? AND revoked_at IS NULL", (token_hash,)).fetchone()
            if row is None:
                return None
            last = row["last_used_at"]
            if last is None or datetime.fromisoformat(last) < now - _TOKEN_TOUCH:
                # One statement: atomic without a transaction, and not audited (a use changes nothing).
                conn.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?",
                             (now.isoformat(timespec="seconds"), row["id"]))
        return str(row["user_name"])

    def tokens(self) -> list[ApiToken]:
        with self._read("cannot list tokens") as conn:
            return [decode.token(r) for r in conn.execute("SELECT * FROM api_tokens ORDER BY id")]

    def revoke_token(self, token_id: int, *, actor: str) -> bool:
        with self._write("cannot revoke token") as conn:
            row = conn.execute("SELECT name, user_name FROM api_tokens WHERE id = ? AND revoked_at IS NULL",
                               (token_id,)).fetchone()
            if row is None:
                return False
            conn.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ?", (utc_now(), token_id))
            self._audit(conn, actor, AuditAction.TOKEN_REVOKED, str(token_id),
                        {"name": row["name"], "user": row["user_name"]})
        return True

    def add_session(self, session_hash: str, user: str, csrf: str, expires_at: str) -> None:
        expires, now = decode.utc(expires_at), utc_now()
        with self._write("cannot start session") as conn:
            if not conn.execute("SELECT 1 FROM users WHERE name = ?", (user,)).fetchone():
                raise StoreError(f"no user {user}")
            # Expired sessions are useless; dropping them here keeps the table as small as the logins.
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            conn.execute("INSERT INTO sessions (session_hash, user_name, csrf, created_at, expires_at) "
                         "VALUES (?, ?, ?, ?, ?)", (session_hash, user, csrf, now, expires))
            self._audit(conn, user, AuditAction.LOGIN, user, {"expires_at": expires})

    def session(self, session_hash: str) -> Session | None:
        with self._read("cannot read session") as conn:
            row = conn.execute("SELECT user_name, csrf, expires_at FROM sessions WHERE session_hash = ?",
                               (session_hash,)).fetchone()
        if row is None or row["expires_at"] <= utc_now():
            return None
        return Session(user=row["user_name"], csrf=row["csrf"], expires_at=row["expires_at"])

    def end_session(self, session_hash: str) -> None:
        with self._write("cannot end session") as conn:
            row = conn.execute("SELECT user_name FROM sessions WHERE session_hash = ?", (session_hash,)).fetchone()
            if row is not None:
                conn.execute("DELETE FROM sessions WHERE session_hash = ?", (session_hash,))
                self._audit(conn, row["user_name"], AuditAction.LOGOUT, row["user_name"], {})

    # --- reviews and publishing -----------------------------------------------------------------
