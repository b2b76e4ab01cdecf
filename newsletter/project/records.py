"""The sender's domain in DNS, as receivers judge it: SPF, DKIM, DMARC and MX.

Receivers (Gmail and Yahoo among them) refuse or file as spam bulk mail from a domain that
does not authenticate it: a DKIM signature whose key is published under the domain, SPF for
the envelope's domain, and a DMARC record tying them to the From: address. Each check
below reads the public records through a :class:`~newsletter.project.dns.Lookup` and says
what is there, or which record to add where.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from newsletter.project.dns import DnsUnavailable, Lookup

Status = Literal["ok", "fix", "note", "skipped"]
SENDGRID_SELECTORS = ("s1", "s2")
"""The DKIM selectors SendGrid's domain authentication publishes (as CNAMEs)."""


@dataclass(frozen=True)
class Finding:
    """One line of ``newsletter doctor``: what was checked, and what to do about it."""

    status: Status
    topic: str
    text: str

    def line(self) -> str:
        return f"{self.status:<7} {self.topic}: {self.text}"


def domain_findings(
    domain: str, transport: str, lookup: Lookup, dkim_selectors: Sequence[str] = ()
) -> list[Finding]:
    """The DNS records of ``domain`` for mail sent through ``transport`` (``sendgrid`` or
    ``smtp``); one ``skipped`` finding when no name server answers."""
    try:
        return [
            *_spf(domain, transport, lookup),
            *_dkim(domain, transport, lookup, dkim_selectors),
            _dmarc(domain, lookup),
            _mx(domain, lookup),
        ]
    except DnsUnavailable as exc:
        return [
            Finding(
                "skipped",
                "dns",
                f"no name server answered ({exc}): the records of {domain} are unknown; "
                "run newsletter doctor again where the network allows DNS",
            )
        ]


def _spf(domain: str, transport: str, lookup: Lookup) -> list[Finding]:
    records = [t for t in lookup(domain, "TXT") if t.lower().startswith("v=spf1")]
    if len(records) > 1:
        return [
            Finding(
                "fix",
                "spf",
                f"{domain} has {len(records)} SPF records, so receivers ignore them all: "
                "merge them into one TXT record (one v=spf1 … with every include:)",
            )
        ]
    if records and "+all" in records[0].lower().split():
        return [
            Finding(
                "fix",
                "spf",
                f"{domain}'s SPF record ends in +all, which lets anyone send as {domain}: "
                "end it with ~all",
            )
        ]
    if records:
        return [Finding("ok", "spf", f"{domain}: {records[0]}")]
    if transport == "sendgrid":
        return [
            Finding(
                "note",
                "spf",
                f"no SPF record at {domain}: SendGrid's domain authentication publishes SPF "
                "on its own subdomain (the em… CNAME), so SendGrid's mail passes without "
                f"it; other mail from {domain} needs one",
            )
        ]
    return [
        Finding(
            "fix",
            "spf",
            f"no SPF record at {domain}: add a TXT record at {domain}: "
            '"v=spf1 include:<your mail provider\'s SPF domain> ~all" (your provider names '
            "the include)",
        )
    ]


def _dkim(domain: str, transport: str, lookup: Lookup, selectors: Sequence[str]) -> list[Finding]:
    if not selectors and transport != "sendgrid":
        return [
            Finding(
                "note",
                "dkim",
                "not checked: your mail provider names the selector of your DKIM key (the "
                "part before ._domainkey in the record it gave you); run newsletter doctor "
                "--dkim-selector NAME",
            )
        ]
    findings = []
    for selector in selectors or SENDGRID_SELECTORS:
        name = f"{selector}._domainkey.{domain}"
        target = lookup(name, "CNAME")
        keys = () if target else [t for t in lookup(name, "TXT") if "p=" in t]
        if target:
            findings.append(Finding("ok", "dkim", f"{name} points to {target[0]}"))
        elif keys:
            findings.append(Finding("ok", "dkim", f"{name} holds a DKIM key"))
        elif transport == "sendgrid":
            findings.append(
                Finding(
                    "fix",
                    "dkim",
                    f"no DKIM record at {name}: authenticate {domain} in SendGrid "
                    "(Settings → Sender Authentication) and add the CNAME records it shows "
                    "at your DNS host",
                )
            )
        else:
            findings.append(
                Finding(
                    "fix",
                    "dkim",
                    f"no DKIM record at {name}: publish the DKIM record your mail provider "
                    "gives you there (a TXT or CNAME record)",
                )
            )
    return findings


def _dmarc(domain: str, lookup: Lookup) -> Finding:
    # A subdomain without a record of its own is covered by its parent domain's.
    labels = domain.split(".")
    for start in range(len(labels) - 1):
        name = "_dmarc." + ".".join(labels[start:])
        records = [t for t in lookup(name, "TXT") if t.upper().startswith("V=DMARC1")]
        if records:
            return Finding("ok", "dmarc", f"{name}: {records[0]}")
    return Finding(
        "fix",
        "dmarc",
        f"no DMARC record: add a TXT record at _dmarc.{domain}: "
        f'"v=DMARC1; p=none; rua=mailto:dmarc@{domain}" (Gmail and Yahoo ask bulk senders '
        "for one); move p= to quarantine once the reports show your mail passing",
    )


def _mx(domain: str, lookup: Lookup) -> Finding:
    hosts = lookup(domain, "MX")
    if hosts:
        return Finding("ok", "mx", f"{domain} receives mail at {', '.join(sorted(hosts))}")
    return Finding(
        "note",
        "mx",
        f"no MX record for {domain}: mail to the sender address cannot arrive (bounces, "
        "replies); set sender.reply_to to an address that receives mail, or add MX records",
    )
