"""A throwaway PostgreSQL server for tests and benches: initdb + pg_ctl in a temp dir, loopback only.

    with throwaway_cluster() as url:        # postgresql://postgres@127.0.0.1:PORT/postgres
        ...

`fresh_schema_url(url)` gives a URL whose connections work in a new, empty schema (search_path), which
is how each test gets a database of its own without paying for CREATE DATABASE.

As root (initdb refuses to run as root) the server runs as the `postgres` OS user, in a directory
handed to it. Trust authentication, on 127.0.0.1 and a free port only; fsync off unless `durable`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

__all__ = ["server_binaries", "throwaway_cluster", "prepare_server", "fresh_schema_url", "drop_schema", "PgUnavailable",
           "ENV_URL"]

# A URL of a server the tests may create schemas in, instead of starting their own.
ENV_URL = "TRUTHMETER_TEST_PG"


class PgUnavailable(RuntimeError):
    """No PostgreSQL server can be started here (no binaries, no postgres user)."""


def server_binaries() -> Path | None:
    """The directory holding initdb and pg_ctl, or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    for initdb in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        return Path(initdb).parent
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user() -> tuple[list[str], int | None, int | None]:
    """(command prefix, uid, gid): root hands the server to the `postgres` user, others run it themselves."""
    if os.geteuid() != 0:
        return [], None, None
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        raise PgUnavailable("running as root and there is no 'postgres' user to run the server as") from None
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", "postgres", "--"], entry.pw_uid, entry.pw_gid


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PgUnavailable(f"{Path(cmd[cmd.index('--') + 1] if '--' in cmd else cmd[0]).name} failed: "
                            f"{(done.stderr or done.stdout).strip()[-2000:]}")


@contextmanager
def throwaway_cluster(durable: bool = False) -> Iterator[str]:
    """Start a fresh server, yield a superuser URL of its `postgres` database, stop and delete it after."""
    bindir = server_binaries()
    if bindir is None:
        raise PgUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found")
    prefix, uid, gid = _as_server_user()
    root = Path(tempfile.mkdtemp(prefix="tm-pg-"))
    data, sockets = root / "data", root / "sock"
    sockets.mkdir()
    if uid is not None:
        for p in (root, sockets):
            os.chown(p, uid, gid)  # type: ignore[arg-type]
    port = _free_port()
    settings = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets}"
    if not durable:  # tests do not need crash safety; this makes DDL-heavy setups several times faster
        settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    try:
        _run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
              "--locale=C.UTF-8", "--no-sync"])
        _run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-o", settings,
              "-w", "-t", "60", "start"])
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def _connect(url: str):  # type: ignore[no-untyped-def]
    import psycopg

    deadline = time.monotonic() + 10
    while True:
        try:
            return psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def prepare_server(url: str) -> bool:
    """Install `unaccent` where every test schema finds it (public); False when the server lacks it."""
    import psycopg

    with _connect(url) as conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
        except psycopg.Error:
            return False
    return True


def fresh_schema_url(url: str, prefix: str = "t") -> str:
    """Create an empty schema and return `url` with connections placed in it (search_path)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _connect(url) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={name}')}"


def drop_schema(schema_url: str, url: str) -> None:
    name = schema_url.rsplit("search_path%3D", 1)[-1]
    with _connect(url) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
