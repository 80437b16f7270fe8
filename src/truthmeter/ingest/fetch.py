"""Fetching a URL: bounded in time and size; every failure is one FetchError, never an exception.

A caller that must not let URLs reach certain hosts (the web app: nothing on the server's own
networks) installs a guard with `guarded(check, addresses=refuse_non_public)`. The URL check sees
every request the fetch makes, redirect hops included, so a public page cannot redirect the fetch
inward. The address check vets the addresses a host name resolves to, and the connection is then
made to a vetted address, resolved once: a name that answers a public address to the check and a
private one to the connect (DNS rebinding) gets no second lookup. The request still carries the
URL's host in its Host header, and TLS still sends it as SNI and checks the certificate against it.
"""

from __future__ import annotations

import ipaddress
import socket
import typing
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator, NamedTuple

import httpcore
import httpx

from .. import settings
from ..errors import FetchError

__all__ = ["fetch", "guarded", "UrlCheck", "AddressCheck", "refuse_non_public", "NOT_PUBLIC"]

UrlCheck = Callable[[str], "str | None"]
"""A URL check: None to allow the request, else the reason it is refused."""

IPAddress = typing.Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
AddressCheck = Callable[[IPAddress], "str | None"]
"""An address check: None to allow connecting to the address, else the reason it is refused."""

NOT_PUBLIC = "the address is not on the public internet"
# IPv4 addresses carried inside IPv6 ones that some networks route as IPv4: NAT64's well-known prefix.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class _Guard(NamedTuple):
    url: UrlCheck | None
    addresses: AddressCheck | None


_GUARD: ContextVar[_Guard | None] = ContextVar("truthmeter_fetch_guard", default=None)


@contextmanager
def guarded(check: UrlCheck | None = None, *, addresses: AddressCheck | None = None) -> Iterator[None]:
    """Within the block, every request a fetch makes (each redirect hop too) must pass `check`, and
    every address it connects to must pass `addresses` (all of a host's addresses, resolved once)."""
    token = _GUARD.set(_Guard(check, addresses))
    try:
        yield
    finally:
        _GUARD.reset(token)


def refuse_non_public(address: IPAddress) -> str | None:
    """None for an address on the public internet; NOT_PUBLIC for loopback, private, link-local,
    multicast, reserved, unspecified and other special-purpose addresses, and for IPv6 addresses
    that carry such an IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64)."""
    for a in _with_embedded(address):
        if (not a.is_global or a.is_multicast or a.is_private or a.is_loopback or a.is_link_local
                or a.is_reserved or a.is_unspecified):
            return NOT_PUBLIC
    return None


def _with_embedded(address: IPAddress) -> list[IPAddress]:
    found: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address.teredo is not None:
            found.extend(address.teredo)
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


class _Refused(Exception):
    def __init__(self, why: str, url: str | None = None) -> None:
        super().__init__(why)
        self.url, self.why = url, why


def _vetted_addresses(host: str, port: int, check: AddressCheck) -> list[str]:
    """`host` resolved once, every address passing `check` (else _Refused), in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise _Refused(f"cannot resolve {host}: {exc}") from None
    found: list[str] = []
    for info in infos:
        text = str(info[4][0])
        try:
            address = ipaddress.ip_address(text.split("%")[0])
        except ValueError:
            raise _Refused(f"cannot resolve {host}: not an IP address: {text}") from None
        why = check(address)
        if why is not None:
            raise _Refused(why)
        if text not in found:
            found.append(text)
    if not found:
        raise _Refused(f"cannot resolve {host}: no addresses")
    return found


class _VettedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to addresses of the host that pass the check.
    httpcore starts TLS on the stream returned with server_hostname = the URL's host (SNI and
    certificate check), and the Host header comes from the URL: only the TCP peer is pinned."""

    def __init__(self, check: AddressCheck) -> None:
        self._check = check

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: typing.Iterable[typing.Any] | None = None) -> httpcore.NetworkStream:
        failed: httpcore.ConnectError | None = None
        for address in _vetted_addresses(host, port, self._check):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # like socket.create_connection: try the next address
                failed = exc
        assert failed is not None
        raise failed


def _vetted_transport(check: AddressCheck) -> httpx.HTTPTransport:
    ssl_context = httpx.create_ssl_context()  # what httpx's own transport would use (certifi)
    transport = httpx.HTTPTransport(verify=ssl_context)
    pool = getattr(transport, "_pool", None)
    if not isinstance(pool, httpcore.ConnectionPool):  # httpx changed: refuse rather than fetch unguarded
        raise RuntimeError("cannot install the address guard on this httpx version")
    transport._pool = httpcore.ConnectionPool(ssl_context=ssl_context,  # type: ignore[attr-defined]
                                              network_backend=_VettedBackend(check))
    return transport


_USER_AGENT = "truthmeter/0 (+https://example.invalid/truthmeter)"


def _limit_reason(limit: int) -> str:
    return f"could not fetch: response is over the {limit / 1e6:g} MB limit (set TRUTHMETER_FETCH_MAX_BYTES)"


def fetch(url: str) -> tuple[bytes, str]:
    """Return (body, content type) or raise FetchError(url, "could not fetch: <reason>")."""
    limit = int(settings.get("fetch_max_bytes"))  # type: ignore[call-overload]
    timeout = float(settings.get("fetch_timeout"))  # type: ignore[arg-type]
    guard = _GUARD.get()
    sent: list[str] = []  # the URL of each request made: the last is the one a refusal is about

    def on_request(request: httpx.Request) -> None:
        sent.append(str(request.url))
        why = guard.url(sent[-1]) if guard is not None and guard.url is not None else None
        if why is not None:
            raise _Refused(why, sent[-1])

    # A custom transport also means no proxy from the environment: the address vetted is the one connected to.
    transport = _vetted_transport(guard.addresses) if guard is not None and guard.addresses is not None else None
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, event_hooks={"request": [on_request]},
                          headers={"User-Agent": _USER_AGENT}, transport=transport) as client, \
                client.stream("GET", url) as response:
            if response.status_code >= 400:
                status = f"{response.status_code} {response.reason_phrase}".strip()
                raise FetchError(url, f"could not fetch: HTTP {status}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise FetchError(url, _limit_reason(limit))
            chunks, total = [], 0
            # Stop reading as soon as the limit is passed rather than trusting Content-Length.
            for chunk in response.iter_bytes():
                total += len(chunk)
                if total > limit:
                    raise FetchError(url, _limit_reason(limit))
                chunks.append(chunk)
            return b"".join(chunks), response.headers.get("content-type", "").lower()
    except FetchError:
        raise
    except _Refused as exc:
        where = exc.url or (sent[-1] if sent else url)
        hop = "" if where == str(httpx.URL(url)) else f"redirected to {where}: "
        raise FetchError(url, f"could not fetch: {hop}{exc.why}") from None
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        raise FetchError(url, f"could not fetch: {str(exc) or type(exc).__name__}") from exc
