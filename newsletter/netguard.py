"""Feeds are fetched from public addresses only (no SSRF): an httpx transport that vets
every connection.

A feed URL is configuration, and what comes back is published (email, web page, snapshot,
cache), so a URL — or a redirect — that leads to ``127.0.0.1``, ``169.254.169.254`` (a
cloud's metadata service) or an intranet server would publish what only this machine can
see. :class:`PublicOnlyTransport` resolves each request's host itself, refuses it unless
every address is public, and then connects to the vetted address (keeping the original
``Host`` header and TLS server name), so a second DNS answer cannot swap in another address
between the check and the connection (DNS rebinding). httpx sends every redirect hop through
the transport again, so each hop is checked the same way.

Hosts listed in the config's ``fetch.allow_private_hosts`` (an intranet feed, a test's
loopback server) skip the check; they must be named exactly as in their URLs.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from collections.abc import Callable, Collection
from typing import Any

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[..., list[tuple[Any, ...]]]
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
"""IPv6 addresses a NAT64 gateway turns into the IPv4 address in their last 32 bits."""
SETTING = "fetch.allow_private_hosts"


class AddressRefused(httpx.TransportError):
    """The host resolves to an address that is not public, or cannot be resolved."""


def host_key(host: str) -> str:
    """How a host name is compared: ASCII (IDNA), lower case, without a trailing dot.
    ValueError when ``host`` is not a host name or IP address."""
    text = host.strip()
    bracketed = f"[{text}]" if ":" in text and not text.startswith("[") else text
    try:
        raw = httpx.URL(f"http://{bracketed}/").raw_host
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise ValueError(f"not a host name or IP address: {host!r} ({exc})") from None
    if not raw or httpx.URL(f"http://{bracketed}/").path != "/":
        raise ValueError(f"not a host name or IP address: {host!r}")
    return raw.decode("ascii").lower().rstrip(".")


def why_not_public(address: IPAddress) -> str:
    """What kind of non-public address ``address`` is ('' for a public one).

    IPv4 inside IPv6 (``::ffff:127.0.0.1``, NAT64 ``64:ff9b::7f00:1``, 6to4
    ``2002:7f00:1::``) is judged by the IPv4 address it carries.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
        if embedded is not None:
            return why_not_public(embedded)
        if address.is_site_local:
            return "site-local"
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-public", not address.is_global),
    )
    return next((kind for kind, applies in checks if applies), "")


class PublicOnlyTransport(httpx.BaseTransport):
    """An HTTP transport that connects to public addresses only (see the module's doc)."""

    def __init__(
        self,
        allow_private_hosts: Collection[str] = (),
        *,
        inner: httpx.BaseTransport | None = None,
        resolve: Resolver = socket.getaddrinfo,
        judge: Callable[[IPAddress], str] = why_not_public,
    ) -> None:
        self.allowed = frozenset(host_key(h) for h in allow_private_hosts)
        self.inner = inner or httpx.HTTPTransport(verify=_tls_context())
        self.resolve = resolve
        self.judge = judge  # why an address is not public ('' if it is); tests swap it

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.raw_host.decode("ascii").lower().rstrip(".")
        if host in self.allowed:
            return self.inner.handle_request(request)
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        addresses = self._public_addresses(host, port)
        failure: httpx.TransportError | None = None
        for address in addresses:  # in the resolver's order, as a plain connection would
            pinned = httpx.Request(
                request.method,
                request.url.copy_with(host=str(address)),
                headers=request.headers,  # Host: the name, not the address
                stream=request.stream,
                extensions={**request.extensions, "sni_hostname": host},
            )
            try:
                response = self.inner.handle_request(pinned)
            except httpx.ConnectError as exc:
                failure = exc
                continue
            _check_peer(response, address, host)
            return response
        assert failure is not None  # _public_addresses never returns an empty list
        raise failure

    def _public_addresses(self, host: str, port: int) -> list[IPAddress]:
        try:
            found = self.resolve(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise AddressRefused(f"cannot resolve {host}: {exc}") from None
        addresses = list(dict.fromkeys(_address(info[4][0]) for info in found))
        if not addresses:
            raise AddressRefused(f"cannot resolve {host}: no address")
        for address in addresses:
            kind = self.judge(address)
            if kind:
                shown = host if host == str(address) else f"{host} resolves to {address}, which"
                article = "an" if kind[0] in "aeiou" else "a"
                raise AddressRefused(
                    f"refused: {shown} is {article} {kind} address; feeds are fetched from public "
                    f"addresses only (list the host under {SETTING} to allow it)"
                )
        return addresses

    def close(self) -> None:
        self.inner.close()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for the process: loading the CA bundle takes tens of ms,
    which every build (and every feed's deadline) would otherwise pay again."""
    return httpx.create_ssl_context()


def _address(text: str) -> IPAddress:
    return ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 zone (%eth0) is no part


def _check_peer(response: httpx.Response, address: IPAddress, host: str) -> None:
    """Make sure the socket went where it was vetted to go (it always should)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if peer and _address(str(peer[0])) != address:
        response.close()
        raise AddressRefused(f"refused: {host} connected to {peer[0]}, not {address}")
