"""Newsroom commands: editors (`user`), API tokens (`token`), `export --claimreview` and `serve`.

Thin click commands over the store's desk and newsroom.auth; cli.py registers them on `main`,
whose error handling turns every TruthmeterError into one `error: ...` line and exit status 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TextIO

import click

from truthmeter.errors import TruthmeterError

if TYPE_CHECKING:
    from truthmeter.newsroom.desk import Desk
    from truthmeter.newsroom.records import PublishedStory
    from truthmeter.store import Store

__all__ = ["register", "InputRefused"]

DEFAULT_SITE_URL = "http://127.0.0.1:8000"
# Published stories read per query while exporting: memory stays flat however many there are.
_EXPORT_PAGE = 200

db_option = click.option("--db", envvar="TRUTHMETER_DB", default=None,
                         help="SQLite file or postgresql:// URL (default: a per-user SQLite file; env TRUTHMETER_DB).")


class InputRefused(TruthmeterError):
    """A value given on the command line that the newsroom cannot take (a short password, a bad name)."""


def _open(db: str | None) -> Store:
    from truthmeter.store import open_store

    return open_store(db)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line: a trailing newline from `echo` or a here-string is not part of the password.
        line = sys.stdin.readline()
        return line.removesuffix("\n").removesuffix("\r")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group("user")
def user_group() -> None:
    """Editors who can log in to the desk and own API tokens."""


@user_group.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@db_option
def user_add(name: str, password_stdin: bool, db: str | None) -> None:
    """Add an editor (asks for the password twice unless --password-stdin)."""
    from truthmeter.newsroom.auth import check_user_name, hash_password

    with _open(db) as store:
        try:
            check_user_name(name)
        except ValueError as exc:
            raise InputRefused(str(exc)) from None
        if any(u.name.lower() == name.lower() for u in store.desk.users()):
            # Said before asking for a password, not after; the desk checks again as it adds.
            raise InputRefused(f"user {name} already exists")
        try:
            password_hash = hash_password(_read_password(password_stdin))
        except ValueError as exc:
            raise InputRefused(str(exc)) from None
        store.desk.add_user(name, password_hash, actor="cli")
    click.echo(f"added user {name}", err=True)


@user_group.command("list")
@db_option
def user_list(db: str | None) -> None:
    """Editors, by name: name and when they were added."""
    with _open(db) as store:
        for user in store.desk.users():
            click.echo(f"{user.name}\t{user.created_at}")


@click.group("token")
def token_group() -> None:
    """API tokens: what scripts send as `Authorization: Bearer <token>` to write through the API."""


@token_group.command("create")
@click.option("--user", "user", required=True, help="The editor the token acts for.")
@click.option("--name", "label", default="api", show_default=True, help="A label to tell tokens apart.")
@db_option
def token_create(user: str, label: str, db: str | None) -> None:
    """Create a token and print it (only the token, on stdout): it is shown this once."""
    from truthmeter.newsroom.auth import create_token

    with _open(db) as store:
        token = create_token(store.desk, user, label, actor="cli")
    click.echo(token)
    click.echo(f"token {label!r} for {user}: shown once, keep it secret (revoke with `truthmeter token revoke ID`)",
               err=True)


@token_group.command("list")
@db_option
def token_list(db: str | None) -> None:
    """Tokens (never their secrets): id, label, editor, created, last used, revoked."""
    with _open(db) as store:
        tokens = store.desk.tokens()
    for t in tokens:
        click.echo("\t".join([str(t.id), t.name, t.user, t.created_at, t.last_used_at or "-",
                              f"revoked {t.revoked_at}" if t.revoked_at else "active"]))


@token_group.command("revoke")
@click.argument("token_id", type=int)
@db_option
def token_revoke(token_id: int, db: str | None) -> None:
    """Revoke a token by id: it stops working at once."""
    with _open(db) as store:
        if not store.desk.revoke_token(token_id, actor="cli"):
            raise InputRefused(f"no active token {token_id}")
    click.echo(f"revoked token {token_id}", err=True)


def _published(desk: Desk) -> Iterator[PublishedStory]:
    offset = 0
    while page := desk.published(limit=_EXPORT_PAGE, offset=offset):
        yield from page
        offset += len(page)


@click.command("export")
@click.option("--claimreview", is_flag=True, help="Every published verdict as schema.org ClaimReview JSON-LD.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write (default: stdout).")
@click.option("--site-url", envvar="TRUTHMETER_SITE_URL", default=DEFAULT_SITE_URL, show_default=True,
              help="The site's public address, for the stories' URLs (env TRUTHMETER_SITE_URL).")
@db_option
def export(claimreview: bool, out_path: str | None, site_url: str, db: str | None) -> None:
    """Export the desk's published verdicts (a JSON array of ClaimReview records)."""
    from truthmeter.publish.claimreview import export_claimreview

    if not claimreview:
        raise click.UsageError("say what to export: --claimreview")
    with _open(db) as store:
        if out_path is None:
            n = export_claimreview(_published(store.desk), sys.stdout, site_url.rstrip("/"))
        else:
            n = _export_to_file(store.desk, out_path, site_url.rstrip("/"), export_claimreview)
    click.echo(f"{n} ClaimReview records", err=True)


def _export_to_file(desk: Desk, path: str, site_url: str,
                    write: Callable[[Iterable[PublishedStory], TextIO, str], int]) -> int:
    try:
        out: TextIO = open(path, "w", encoding="utf-8", newline="\n")
    except OSError as exc:
        raise InputRefused(f"{path}: cannot write: {exc.strerror}") from None
    with out:
        return int(write(_published(desk), out, site_url))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@db_option
@click.option("--model", "model_dir", envvar="TRUTHMETER_MODEL", default=None, type=click.Path(file_okay=False),
              help="Model directory (default: the shipped model).")
@click.option("--site-url", default=None, help="The site's public address, for feeds, ClaimReview and canonical "
                                               "URLs; https:// makes cookies Secure (default: env "
                                               "TRUTHMETER_SITE_URL, else http://HOST:PORT as served).")
@click.option("--rate-limit", type=click.FloatRange(min=0), default=None,
              help="Articles per second per client on the public rating and tip endpoints and logins "
                   "(0: no limit).")
@click.option("--proxy-headers", is_flag=True,
              help="Behind a reverse proxy: take the client's address (for rate limits and login throttling) "
                   "from X-Forwarded-For, only on connections from --forwarded-allow-ips. Off by default: "
                   "the header is ignored.")
@click.option("--forwarded-allow-ips", default=None, metavar="ADDRS",
              help="Comma-separated proxy addresses (or networks) whose X-Forwarded-For is trusted, with "
                   "--proxy-headers (default 127.0.0.1).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes serving requests (default: the CPU cores this process may use). Each keeps its "
                   "own per-client rate limits and login throttling: a client spread over several "
                   "connections can get up to N times --rate-limit, and N times the failed logins.")
def serve(host: str, port: int, db: str | None, model_dir: str | None, site_url: str | None,
          rate_limit: float | None, proxy_headers: bool, forwarded_allow_ips: str | None,
          workers: int | None) -> None:
    """Run the newsroom web site and REST API (stop with Ctrl-C)."""
    from dataclasses import replace

    import uvicorn

    from truthmeter.web.app import create_app
    from truthmeter.web.config import WebConfig

    if forwarded_allow_ips is not None and not proxy_headers:
        raise click.UsageError("--forwarded-allow-ips needs --proxy-headers")
    # Without a site address, links point where this server answers (not at a port it is not on).
    derived = site_url is None and not os.environ.get("TRUTHMETER_SITE_URL", "").strip()
    if derived:
        site_url = served_url(host, port)
    given = {"db": db, "model_dir": model_dir, "site_url": site_url, "rate_limit": rate_limit}
    config = replace(WebConfig.from_env(), **{k: v for k, v in given.items() if v is not None})
    app = create_app(config)  # opens the store and loads the model: their errors come out here, as one line
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    click.echo(f"truthmeter newsroom on {served_url(host, port, listening=True)} (site url {config.site_url}), "
               f"{workers} worker process{'es' if workers > 1 else ''}; Ctrl-C stops it", err=True)
    if derived and host.strip() in _WILDCARDS:
        click.echo("note: listening on every address: pass --site-url with the address readers use, or feed links "
                   f"and canonical URLs point at {config.site_url}", err=True)
    # uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told otherwise: anyone on the machine
    # could then pick the address its requests are limited as. Only --proxy-headers turns that on.
    proxy = ({"proxy_headers": True, "forwarded_allow_ips": forwarded_allow_ips or "127.0.0.1"} if proxy_headers
             else {"proxy_headers": False})
    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, **proxy)
        return
    # The app made here checked the settings, the model and the database (and migrated it once, not
    # in N racing workers); each spawned worker builds its own from the same settings.
    from truthmeter.web.app import SERVED_CONFIG

    app.state.store.close()
    del app
    os.environ[SERVED_CONFIG] = config.to_json()
    uvicorn.run("truthmeter.web.app:served", factory=True, workers=workers, host=host, port=port,
                log_level="warning", access_log=False, **proxy)


_WILDCARDS = ("0.0.0.0", "::", "[::]", "")


def served_url(host: str, port: int, *, listening: bool = False) -> str:
    """http://HOST:PORT for a server listening on `host` (an IPv6 address in brackets); a wildcard
    address, which no browser can visit, is this machine's loopback unless `listening` is said."""
    shown = host.strip()
    if shown in _WILDCARDS and not listening:
        shown = "127.0.0.1" if ":" not in shown else "[::1]"
    elif ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def register(main: click.Group) -> None:
    """Add the newsroom commands to the `truthmeter` group."""
    for command in (user_group, token_group, export, serve):
        main.add_command(command)
