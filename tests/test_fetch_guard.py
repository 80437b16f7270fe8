"""The fetch guard against server-side request forgery: non-public addresses are refused (multicast
too), and a host name is resolved once, the connection going to the very address that was vetted,
with the URL's host kept in the Host header and in TLS's SNI.

The resolver is a test double of the OS (socket.getaddrinfo patched): it answers what a hostile DNS
server would, a different address on each lookup. Loopback servers on 127.0.0.1 and 127.0.0.2 (the
same port) stand for the vetted address and the one a second lookup would have answered.
"""

from __future__ import annotations

import http.server
import importlib
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio.from_thread
import httpx
import pytest

from truthmeter.errors import FetchError
from truthmeter.ingest.fetch import fetch, guarded
from truthmeter.web import WebConfig, create_app

fetch_module = importlib.import_module("truthmeter.ingest.fetch")  # the package's `fetch` is the function
PAGE = (b"<html><head><title>Internal admin</title></head><body><p>"
        + b"Marisol Vance was spotted at a charity gala on Friday, a representative said. " * 20
        + b"</p></body></html>")


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers PAGE (or a redirect to the `Location` the server was given) and records (path, Host)."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.seen.append((self.path, self.headers["Host"]))  # type: ignore[attr-defined]
        location = self.server.location  # type: ignore[attr-defined]
        if location:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        pass


def _serve(address: str, port: int = 0, location: str | None = None) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer((address, port), Recorder)
    server.seen, server.location = [], location  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture()
def servers() -> Iterator[tuple[http.server.ThreadingHTTPServer, http.server.ThreadingHTTPServer]]:
    """`vetted` on 127.0.0.1 and `inner` on 127.0.0.2, on the same port."""
    vetted = _serve("127.0.0.1")
    try:
        inner = _serve("127.0.0.2", vetted.server_address[1])
    except OSError:
        vetted.shutdown()
        vetted.server_close()
        pytest.skip("127.0.0.2 is not routed to loopback here")
    yield vetted, inner
    for s in (vetted, inner):
        s.shutdown()
        s.server_close()


@pytest.fixture()
def resolver(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[str]]:
    """resolver(name, first, later): lookups of `name` answer `first` once, then `later`; returns
    the list of names looked up (every lookup of a patched name)."""
    real = socket.getaddrinfo
    answers: dict[str, list[str]] = {}
    lookups: list[str] = []

    def getaddrinfo(host: str, port: object, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        if host not in answers:
            return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        lookups.append(host)
        queue = answers[host]
        ip = queue.pop(0) if len(queue) > 1 else queue[0]
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, int(port or 80)))]  # type: ignore

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def set_answers(name: str, first: str, later: str | None = None) -> list[str]:
        answers[name] = [first, later or first]
        return lookups

    return set_answers


def only_127_0_0_1(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """An address policy for tests: 127.0.0.1 stands for 'public', everything else is off limits."""
    return None if str(address) == "127.0.0.1" else "off limits"


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUTHMETER_FETCH_TIMEOUT", "5")


# --- which addresses are public -------------------------------------------------------------------

@pytest.mark.parametrize("address", [
    "224.0.0.1", "239.255.255.250", "ff02::1", "ff0e::1",  # multicast (is_global says True for these)
    "127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "fe80::1", "fc00::1",
    "0.0.0.0", "::", "240.0.0.1", "255.255.255.255", "100.64.0.1", "192.0.2.1",
    "::ffff:127.0.0.1", "::ffff:224.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "2002:e000:1::1",
])
def test_non_public_addresses_are_refused(address: str) -> None:
    refuse_non_public = fetch_module.refuse_non_public
    assert refuse_non_public(ipaddress.ip_address(address)) == "the address is not on the public internet"


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert fetch_module.refuse_non_public(ipaddress.ip_address(address)) is None


# --- one lookup, and the connection goes to the vetted address ---------------------------------------

def test_the_connection_goes_to_the_vetted_address_with_the_original_host(  # type: ignore[no-untyped-def]
        servers, resolver) -> None:
    vetted, inner = servers
    port = vetted.server_address[1]
    lookups = resolver("rebind.test", "127.0.0.1", "127.0.0.2")  # a second lookup would answer 127.0.0.2
    with guarded(addresses=only_127_0_0_1):
        body, kind = fetch(f"http://rebind.test:{port}/page")
    assert (body, kind) == (PAGE, "text/html")
    assert vetted.seen == [("/page", f"rebind.test:{port}")]  # the original Host header
    assert inner.seen == []  # the address a second lookup answers was never connected to
    assert lookups == ["rebind.test"]  # resolved once


def test_a_refused_answer_refuses_the_fetch(servers, resolver) -> None:  # type: ignore[no-untyped-def]
    vetted, inner = servers
    port = vetted.server_address[1]
    resolver("inner.test", "127.0.0.2")
    url = f"http://inner.test:{port}/page"
    with guarded(addresses=only_127_0_0_1), pytest.raises(FetchError) as e:
        fetch(url)
    assert str(e.value) == f"{url}: could not fetch: off limits"
    assert inner.seen == [] and vetted.seen == []


def test_every_redirect_hop_is_resolved_and_vetted(resolver) -> None:  # type: ignore[no-untyped-def]
    if not _routes_127_0_0_2():
        pytest.skip("127.0.0.2 is not routed to loopback here")
    inner = _serve("127.0.0.2")
    target = f"http://inner.test:{inner.server_address[1]}/secret"
    outer = _serve("127.0.0.1", location=target)
    try:
        resolver("outer.test", "127.0.0.1")
        resolver("inner.test", "127.0.0.2")
        url = f"http://outer.test:{outer.server_address[1]}/start"
        with guarded(addresses=only_127_0_0_1), pytest.raises(FetchError) as e:
            fetch(url)
        assert str(e.value) == f"{url}: could not fetch: redirected to {target}: off limits"
        assert len(outer.seen) == 1 and inner.seen == []
    finally:
        for s in (outer, inner):
            s.shutdown()
            s.server_close()


def _routes_127_0_0_2() -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.2", 0))
        except OSError:
            return False
    return True


def test_tls_sends_the_host_name_as_sni_to_the_vetted_address(resolver) -> None:  # type: ignore[no-untyped-def]
    """The TCP peer is the vetted IP; the TLS ClientHello still names the URL's host (SNI), so the
    certificate is checked against it (here there is no TLS server: the handshake just fails)."""
    hello: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def accept() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(5)
            hello.append(conn.recv(4096))

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    resolver("tls.rebind.test", "127.0.0.1")
    url = f"https://tls.rebind.test:{listener.getsockname()[1]}/"
    try:
        with guarded(addresses=only_127_0_0_1), pytest.raises(FetchError):
            fetch(url)
        thread.join(5)
    finally:
        listener.close()
    assert hello and hello[0][:1] == b"\x16"  # a TLS handshake record reached the vetted address
    assert b"tls.rebind.test" in hello[0]  # with the host name as SNI


def test_unresolvable_names_are_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with guarded(addresses=fetch_module.refuse_non_public), pytest.raises(FetchError) as e:
        fetch("http://nowhere.test/a")
    assert str(e.value) == ("http://nowhere.test/a: could not fetch: cannot resolve nowhere.test: "
                            "[Errno -2] Name or service not known")


# --- through the web app: "Check a story" / POST /api/rate by URL ------------------------------------

def test_the_api_does_not_follow_dns_rebinding_to_loopback(tmp_path: Path, resolver,  # type: ignore[no-untyped-def]
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The first lookup answers a public address, later ones 127.0.0.1 (where a server waits): the
    fetch connects to the public address it vetted (refused here: no network in the test) and the
    loopback server is never reached."""
    local = _serve("127.0.0.1")
    port = local.server_address[1]
    lookups = resolver("rebind.test", "93.184.215.14", "127.0.0.1")
    connected: list[tuple[str, int]] = []
    real_connect = socket.create_connection

    def create_connection(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        connected.append(address)
        try:
            public = not ipaddress.ip_address(address[0]).is_loopback
        except ValueError:  # a name, resolved again by the OS: the second lookup rebinding answers
            public = False
        if public:  # the test never goes on the network
            raise ConnectionRefusedError(111, "Connection refused")
        return real_connect(address, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "create_connection", create_connection)
    app = create_app(WebConfig(db=str(tmp_path / "n.db")))
    url = f"http://rebind.test:{port}/admin"
    try:
        async def post() -> httpx.Response:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
                return await c.post("/api/rate", json={"url": url})

        with anyio.from_thread.start_blocking_portal() as portal:
            r = portal.call(post)
    finally:
        app.state.store.close()
        local.shutdown()
        local.server_close()
    assert (r.status_code, r.json()) == (422, {"detail": f"{url}: could not fetch: [Errno 111] Connection refused"})
    assert local.seen == []
    assert connected == [("93.184.215.14", port)] and lookups == ["rebind.test"]
