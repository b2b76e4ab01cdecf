"""DNS lookups for ``newsletter doctor``: the one seam between its checks and the network.

The checks ask a :class:`Lookup` for the records of a name; :class:`DnsLookup` asks the
system's resolver (or the name servers given) with dnspython, within a time limit. A name
without such records gives an empty tuple; a resolver that does not answer at all raises
:class:`DnsUnavailable`, so the checks can tell "no record" (something to fix) from "no
network" (nothing known).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Protocol

import dns.exception
import dns.nameserver
import dns.resolver

LOOKUP_SECONDS = 5.0
"""How long one lookup may take in all (every server, every retry)."""


class DnsUnavailable(Exception):
    """No name server answered: the records are unknown, not missing."""


class Lookup(Protocol):
    def __call__(self, name: str, record_type: str) -> tuple[str, ...]:
        """The records of ``record_type`` at ``name`` as text (TXT strings joined, a
        CNAME's or MX's target without its final dot); empty when there are none."""
        ...


class DnsLookup:
    """Lookups through dnspython: the system's resolver (as ``resolv_conf`` names it, on
    systems that have one), or the ``nameservers`` given as (IP address, port)."""

    def __init__(
        self,
        nameservers: Sequence[tuple[str, int]] = (),
        *,
        lifetime: float = LOOKUP_SECONDS,
        resolv_conf: str = "/etc/resolv.conf",
    ) -> None:
        self._problem = ""
        try:
            self._resolver = dns.resolver.Resolver(resolv_conf, configure=not nameservers)
        except (OSError, dns.exception.DNSException) as exc:
            self._resolver = dns.resolver.Resolver(configure=False)
            self._problem = f"this machine names no name server ({exc})"
        if nameservers:
            self._resolver.nameservers = [
                dns.nameserver.Do53Nameserver(host, port) for host, port in nameservers
            ]
        self._resolver.lifetime = lifetime
        self._resolver.timeout = lifetime

    def __call__(self, name: str, record_type: str) -> tuple[str, ...]:
        if self._problem:
            raise DnsUnavailable(self._problem)
        try:
            answer = self._resolver.resolve(name, record_type, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return ()
        except dns.exception.DNSException as exc:  # a timeout, every server failing, …
            raise DnsUnavailable(str(exc) or type(exc).__name__) from None
        if answer.rrset is None:
            return ()
        return tuple(_text(record, record_type) for record in answer.rrset)


def _text(record: object, record_type: str) -> str:
    if record_type == "TXT":
        strings: Sequence[bytes] = getattr(record, "strings", ())
        return b"".join(strings).decode("utf-8", "replace")
    if record_type == "MX":
        return str(getattr(record, "exchange", "")).rstrip(".")
    return str(getattr(record, "target", record)).rstrip(".")


def nameserver(text: str) -> tuple[str, int]:
    """``127.0.0.1``, ``127.0.0.1:5353``, ``::1`` or ``[::1]:5353`` as (address, port);
    ValueError naming what is wrong otherwise (a name server is given by its address)."""
    host, port = text, "53"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.removeprefix(":") if rest else port
    elif text.count(":") == 1:
        host, port = text.split(":")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address (HOST or HOST:PORT)") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r}: the port is not a number from 1 to 65535")
    return str(address), int(port)
