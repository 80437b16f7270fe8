"""Editor credentials: argon2id password hashes, API tokens and browser sessions.

Only hashes of secrets reach the desk. Passwords are low-entropy, so they get a slow, salted,
memory-hard hash (argon2id). Tokens and session ids are 256 random bits: no one can guess or
brute-force them, so a fast unsalted sha256 is the right hash for them, and it lets the desk find
one by an indexed lookup on every request instead of trying argon2 against every stored hash.

Each argon2 verification holds 64 MiB: at most HASHING_SLOTS run at once in a process (others wait
their turn, up to HASHING_WAIT seconds, then get HashingBusy), so a burst of logins cannot hold
many of those buffers. LoginThrottle refuses logins for an account or from a client after
repeated failures (the web app answers 429 with Retry-After).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import threading
import time
from collections import OrderedDict, deque
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from truthmeter.errors import TruthmeterError
from truthmeter.newsroom.desk import Desk
from truthmeter.newsroom.records import Session

__all__ = ["MIN_PASSWORD_LENGTH", "TOKEN_PREFIX", "check_user_name", "hash_password", "verify_password", "new_secret",
           "hash_secret", "secrets_match", "create_token", "token_editor", "login", "session_editor", "logout",
           "LoginThrottle", "HashingBusy", "HASHING_SLOTS", "HASHING_WAIT"]

MIN_PASSWORD_LENGTH = 8
# Marks our tokens, so a leaked one is recognisable in logs and by secret scanners.
TOKEN_PREFIX = "tm_"

# Plain names only: they appear in audit logs, URLs and ClaimReview authors, and a ':' could pass
# for the "token:" actors.
_USER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

# argon2-cffi's defaults (RFC 9106's low-memory profile: argon2id, 64 MiB, 3 passes).
_HASHER = PasswordHasher()
# Verifications at once per process, and how long one waits for its turn before giving up.
HASHING_SLOTS = 2
HASHING_WAIT = 10.0
_HASHING = threading.BoundedSemaphore(HASHING_SLOTS)


class HashingBusy(TruthmeterError):
    """Every hashing slot stayed taken for HASHING_WAIT seconds: the server is busy checking logins."""


def check_user_name(name: str) -> str:
    """`name` when it is 1-64 letters, digits, '.', '_' or '-' starting with a letter or digit, else ValueError."""
    if not _USER_NAME.fullmatch(name):
        raise ValueError(f"user name {name!r} is not 1-64 letters, digits, '.', '_' or '-' "
                         "(starting with a letter or digit)")
    return name


def hash_password(password: str, *, hasher: PasswordHasher | None = None) -> str:
    """An argon2id hash (salted, parameters encoded in it). `hasher` lets tests use cheap parameters;
    verification reads the parameters from the hash, so any hasher's hashes verify.
    Raise ValueError for a password shorter than MIN_PASSWORD_LENGTH characters."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    return (hasher or _HASHER).hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches; False for a wrong password or a hash that is not argon2's.
    At most HASHING_SLOTS run at once; raise HashingBusy after waiting HASHING_WAIT seconds for one."""
    if not _HASHING.acquire(timeout=HASHING_WAIT):
        raise HashingBusy("the server is busy checking other logins")
    try:
        return bool(_HASHER.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False
    finally:
        _HASHING.release()


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return _HASHER.hash(new_secret())


def new_secret() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """sha256 hex of a high-entropy secret (see the module docstring for why not argon2)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secrets_match(expected: str | None, given: str | None) -> bool:
    """Constant-time equality for secrets compared in Python (CSRF tokens): False when either is missing."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def create_token(desk: Desk, user: str, name: str, *, actor: str = "cli") -> str:
    """A new API token for `user`, returned once: only its hash is stored.
    Raise StoreError when the user does not exist."""
    token = TOKEN_PREFIX + new_secret()
    desk.add_token(hash_secret(token), name, user, actor=actor)
    return token


def token_editor(desk: Desk, token: str | None) -> str | None:
    """The editor a token acts for, or None when it is unknown, revoked or not one of ours."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    return desk.token_user(hash_secret(token))


def login(desk: Desk, name: str, password: str, hours: int = 12) -> tuple[str, str] | None:
    """Check the password and open a session of `hours` (audited as LOGIN by the desk).
    Return (session secret for the cookie, CSRF token for the forms), or None when the name or
    password is wrong: the same answer, and about the same time, for both."""
    if hours <= 0:
        raise ValueError(f"session length must be positive, got {hours} hours")
    stored = desk.password_hash(name)
    # An unknown name still costs one argon2 verification, so timing does not reveal who exists.
    if not verify_password(stored if stored is not None else _decoy_hash(), password) or stored is None:
        return None
    secret, csrf = new_secret(), new_secret()
    expires = datetime.now(timezone.utc) + timedelta(hours=hours)
    desk.add_session(hash_secret(secret), name, csrf, expires.isoformat(timespec="seconds"))
    return secret, csrf


class LoginThrottle:
    """Failed logins per account and per client: after `limit` failures within `window` seconds,
    either one is refused until its oldest failure is that old. A success clears both.

    An attempt counts as a failure from the moment it starts (a success then takes it back), so a
    burst of concurrent attempts is held to `limit` as well. Unknown names count like known ones:
    the throttle must not tell which accounts exist. Memory is bounded: at most `max_keys` accounts
    and clients are remembered, the least recently failing dropped first.
    """

    def __init__(self, limit: int = 5, window: float = 15 * 60, *, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.max_keys, self._clock = limit, window, max_keys, clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._failures)

    @staticmethod
    def _keys(account: str, client: str) -> tuple[str, str]:
        return "account:" + account.strip().casefold(), "client:" + client

    def attempt(self, account: str, client: str) -> int:
        """Start an attempt: 0 when allowed (counted as a failure until `succeeded`), else the whole
        seconds until one would be."""
        now = self._clock()
        keys = self._keys(account, client)
        with self._lock:
            wait = 0.0
            for key in keys:
                times = self._failures.get(key)
                while times and now - times[0] >= self.window:
                    times.popleft()
                if times is not None and len(times) >= self.limit:
                    wait = max(wait, times[0] + self.window - now)
            if wait > 0:
                return max(1, math.ceil(wait))
            for key in keys:
                times = self._failures.pop(key, None) or deque(maxlen=self.limit)
                times.append(now)
                self._failures[key] = times  # most recent last
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)
        return 0

    def succeeded(self, account: str, client: str) -> None:
        """A successful login: forget the failures of the account and of the client."""
        with self._lock:
            for key in self._keys(account, client):
                self._failures.pop(key, None)


def session_editor(desk: Desk, secret: str | None) -> Session | None:
    """The live session a cookie's secret opens, or None (missing, unknown, expired, logged out)."""
    if not secret:
        return None
    return desk.session(hash_secret(secret))


def logout(desk: Desk, secret: str | None) -> None:
    """End the session (audited as LOGOUT); a missing or unknown secret is not an error."""
    if secret:
        desk.end_session(hash_secret(secret))
