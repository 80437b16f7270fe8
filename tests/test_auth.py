"""Editor credentials on a real SQLite desk: argon2 passwords, API tokens (only hashes stored,
revocation), login sessions (wrong password, unknown user, expiry, logout) and the audit of each."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from truthmeter.errors import StoreError
from truthmeter.newsroom import AuditAction
from truthmeter.newsroom.auth import (MIN_PASSWORD_LENGTH, TOKEN_PREFIX, check_user_name, create_token, hash_password,
                                      hash_secret, login, logout, new_secret, secrets_match, session_editor,
                                      token_editor, verify_password)
from truthmeter.store import SQLiteStore, open_store
from truthmeter.store.desk_sqlite import SQLiteDesk

# Cheap parameters keep the tests fast; production hashes use argon2-cffi's defaults.
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = open_store(tmp_path / "auth.db")
    assert isinstance(s, SQLiteStore)
    yield s
    s.close()


@pytest.fixture
def desk(store: SQLiteStore) -> SQLiteDesk:
    store.desk.add_user("alice", hash_password(PASSWORD, hasher=CHEAP))
    return store.desk


def test_password_hashing() -> None:
    hashed = hash_password(PASSWORD, hasher=CHEAP)
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert hash_password(PASSWORD, hasher=CHEAP) != hashed  # salted
    assert verify_password(hashed, PASSWORD) is True
    assert verify_password(hashed, PASSWORD + " ") is False and verify_password(hashed, "") is False
    assert verify_password("not a hash", PASSWORD) is False and verify_password("", PASSWORD) is False
    production = hash_password("eight ch")
    assert production.startswith("$argon2id$v=19$m=65536,t=3,p=4$") and verify_password(production, "eight ch")
    with pytest.raises(ValueError, match=f"^password too short: at least {MIN_PASSWORD_LENGTH} characters$"):
        hash_password("seven c")


def test_user_names() -> None:
    assert check_user_name("Ann_O.k-1") == "Ann_O.k-1"
    for bad in ("", " ann", "ann!", "reader:x", "_ann"):
        with pytest.raises(ValueError, match="is not 1-64 letters"):
            check_user_name(bad)


def test_secrets() -> None:
    a, b = new_secret(), new_secret()
    assert a != b and len(a) == 43 and set(a) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert hash_secret(a) == hashlib.sha256(a.encode()).hexdigest()
    assert secrets_match(a, a) and not secrets_match(a, b)
    assert not secrets_match(a, None) and not secrets_match(None, a) and not secrets_match("", "")
    assert not secrets_match(a, a + "x") and secrets_match("é", "é")


def test_tokens_are_stored_hashed_and_can_be_revoked(desk: SQLiteDesk, store: SQLiteStore) -> None:
    token = create_token(desk, "alice", "ci")
    assert token.startswith(TOKEN_PREFIX) and len(token) == len(TOKEN_PREFIX) + 43
    assert token_editor(desk, token) == "alice"
    for wrong in (token[:-1], token + "x", token[len(TOKEN_PREFIX):], "", None, "tm_", "Bearer " + token):
        assert token_editor(desk, wrong) is None
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT token_hash FROM api_tokens").fetchone()[0] == hash_secret(token)
    dump = "\n".join(conn.iterdump())
    conn.close()
    assert token not in dump and token[len(TOKEN_PREFIX):] not in dump  # the secret itself is nowhere
    (listed,) = desk.tokens()
    assert desk.revoke_token(listed.id, actor="alice")
    assert token_editor(desk, token) is None
    with pytest.raises(StoreError, match="^no user bob$"):
        create_token(desk, "bob", "ci")


def test_login_sessions_and_logout(desk: SQLiteDesk, store: SQLiteStore) -> None:
    assert login(desk, "alice", "wrong password") is None
    assert login(desk, "nobody", PASSWORD) is None
    assert login(desk, "ALICE", PASSWORD) is None  # names are exact at login
    found = login(desk, "alice", PASSWORD, hours=2)
    assert found is not None
    secret, csrf = found
    assert secret != csrf and len(secret) == len(csrf) == 43
    session = session_editor(desk, secret)
    assert session is not None and (session.user, session.csrf) == ("alice", csrf)
    expires = datetime.fromisoformat(session.expires_at)
    assert timedelta(hours=1, minutes=59) < expires - datetime.now(timezone.utc) <= timedelta(hours=2)
    assert session_editor(desk, csrf) is None and session_editor(desk, None) is None
    assert session_editor(desk, "") is None
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT session_hash FROM sessions").fetchall() == [(hash_secret(secret),)]
    conn.close()
    logout(desk, secret)
    assert session_editor(desk, secret) is None
    logout(desk, secret)  # twice is fine
    logout(desk, None)
    entries = [(e.actor, e.action) for e in reversed(desk.audit())]
    assert entries == [("cli", AuditAction.USER_ADDED), ("alice", AuditAction.LOGIN), ("alice", AuditAction.LOGOUT)]
    with pytest.raises(ValueError, match="session length must be positive"):
        login(desk, "alice", PASSWORD, hours=0)


def test_expired_session_is_refused(desk: SQLiteDesk, store: SQLiteStore) -> None:
    found = login(desk, "alice", PASSWORD)
    assert found is not None and session_editor(desk, found[0]) is not None
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat(timespec="seconds")
    conn = sqlite3.connect(store.path, isolation_level=None)
    conn.execute("UPDATE sessions SET expires_at = ?", (past,))
    conn.close()
    assert session_editor(desk, found[0]) is None
    again = login(desk, "alice", PASSWORD)  # a new login drops the expired session
    assert again is not None
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT session_hash FROM sessions").fetchall() == [(hash_secret(again[0]),)]
    conn.close()


# --- abuse: bounded hashing, throttled failures (issue 15, item 10) ------------------------------------

def test_at_most_two_password_checks_hash_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each argon2 verification holds 64 MiB: a burst of 8 runs 2 at a time, not 8."""
    from truthmeter.newsroom import auth

    running, peak, lock = [0], [0], threading.Lock()

    class Slow:
        def verify(self, password_hash: str, password: str) -> bool:
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1
            return True

    monkeypatch.setattr(auth, "_HASHER", Slow())
    threads = [threading.Thread(target=verify_password, args=("h", "p")) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert auth.HASHING_SLOTS == 2 and peak[0] == 2


def test_a_check_that_waits_too_long_for_a_slot_is_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    from truthmeter.newsroom import auth

    monkeypatch.setattr(auth, "HASHING_WAIT", 0.05)
    taken = [auth._HASHING.acquire() for _ in range(auth.HASHING_SLOTS)]
    try:
        with pytest.raises(auth.HashingBusy, match="^the server is busy checking other logins$"):
            verify_password(hash_password(PASSWORD, hasher=CHEAP), PASSWORD)
    finally:
        for _ in taken:
            auth._HASHING.release()
    assert verify_password(hash_password(PASSWORD, hasher=CHEAP), PASSWORD)  # the slots are back


def test_login_throttle_per_account_and_client() -> None:
    from truthmeter.newsroom.auth import LoginThrottle

    now = [0.0]
    throttle = LoginThrottle(limit=5, window=900, max_keys=4, clock=lambda: now[0])
    assert [throttle.attempt("Alice", "1.2.3.4") for _ in range(5)] == [0] * 5
    assert throttle.attempt("alice ", "5.6.7.8") == 900  # the account, from anywhere, any case
    assert throttle.attempt("bob", "1.2.3.4") == 900  # the client, for any account
    assert throttle.attempt("bob", "5.6.7.8") == 0
    now[0] = 899.5
    assert throttle.attempt("alice", "9.9.9.9") == 1  # whole seconds, at least 1
    now[0] = 900.0
    assert throttle.attempt("alice", "9.9.9.9") == 0  # the oldest failure aged out
    throttle.succeeded("alice", "9.9.9.9")
    assert [throttle.attempt("alice", "9.9.9.8") for _ in range(4)] == [0] * 4
    assert len(throttle) <= 4  # bounded
