"""What a reader is told of a failure of the network: words, never httpx's class names."""

from __future__ import annotations

import httpx

_TROUBLES: tuple[tuple[type[Exception] | tuple[type[Exception], ...], str], ...] = (
    (httpx.TimeoutException, "no answer in time"),
    (httpx.ConnectError, "cannot connect"),
    (httpx.RemoteProtocolError, "the server broke off the answer"),
    (httpx.ReadError, "the connection failed while reading"),
    (httpx.WriteError, "the connection failed while asking"),
    (httpx.UnsupportedProtocol, "not an http or https address"),
    ((httpx.InvalidURL, UnicodeError), "not an address that can be fetched"),
    (httpx.DecodingError, "the answer's encoding cannot be read"),
    (httpx.TooManyRedirects, "too many redirects"),
)


def network_trouble(exc: Exception) -> str:
    """``exc`` (an httpx error, or the UnicodeError of a host name IDNA refuses) in words,
    with the detail it gives: "cannot connect: [Errno 111] Connection refused"."""
    what = next((words for kind, words in _TROUBLES if isinstance(exc, kind)), "network error")
    detail = str(exc).strip()
    return f"{what}: {detail}" if detail and detail != what else what
