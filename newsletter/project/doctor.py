"""``newsletter doctor``: what a business must set up before its first send, checked.

Offline: the config loads and sends from the business's own addresses, and the secrets
the transport and the desk need are in the environment (their values never shown).
Online, unless told otherwise: the sender domain's DNS records (SPF, DKIM, DMARC, MX; see
:mod:`newsletter.project.records`) and the desk answering at its public address. Each
finding says what is wrong and how to put it right; none of them stops the others.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from newsletter.audience.tokens import SECRET_ENV
from newsletter.config import Settings, load_config
from newsletter.config.secrets import DESK_TOKEN_ENV, SAMPLE_SECRET, is_example_sender
from newsletter.errors import ConfigError
from newsletter.project.dns import Lookup
from newsletter.project.records import Finding, domain_findings

DESK_SECONDS = 10.0
"""How long the desk has to answer its health check."""
MIN_SECRET = 16
MIN_DESK_TOKEN = 32
SETUP_GUIDE = "docs/how-to/deliverability.md"


def _ok(topic: str, text: str) -> Finding:
    return Finding("ok", topic, text)


def _fix(topic: str, text: str) -> Finding:
    return Finding("fix", topic, text)


def _note(topic: str, text: str) -> Finding:
    return Finding("note", topic, text)


def _skipped(topic: str, text: str) -> Finding:
    return Finding("skipped", topic, text)


@dataclass(frozen=True)
class DoctorReport:
    findings: tuple[Finding, ...]

    @property
    def to_fix(self) -> int:
        return sum(1 for f in self.findings if f.status == "fix")

    def summary(self) -> str:
        notes = sum(1 for f in self.findings if f.status == "note")
        fixes = f"{self.to_fix} to fix" if self.to_fix else "nothing to fix"
        guide = f" (see {SETUP_GUIDE} in newsletter's documentation)" if self.to_fix else ""
        return f"{fixes}, {notes} note{'' if notes == 1 else 's'}{guide}"


def diagnose(
    config_path: Path,
    environ: Mapping[str, str],
    *,
    lookup: Lookup | None,
    dkim_selectors: Sequence[str] = (),
) -> DoctorReport:
    """Every finding for the project of ``config_path`` with the secrets of ``environ``;
    ``lookup`` None checks offline only (no DNS, no desk)."""
    try:
        settings = load_config(config_path)
    except ConfigError as exc:
        return DoctorReport(tuple(_fix("config", line) for line in exc.all_lines()))
    config = settings.config
    domain = config.sender.email.rpartition("@")[2].lower()
    findings = [
        _ok(
            "config",
            f"{settings.path.name} loads: {config.delivery.transport} sends from "
            f"{config.sender.email}",
        ),
        *_addresses(settings),
        *_secrets(settings, environ),
    ]
    if lookup is None:
        findings.append(
            _skipped("dns", "offline: the records of the sender's domain are not checked")
        )
    elif is_example_sender(config.sender.email):
        findings.append(_skipped("dns", f"{domain} is an example domain"))
    else:
        findings += domain_findings(domain, config.delivery.transport, lookup, dkim_selectors)
    findings += _desk(settings, online=lookup is not None)
    return DoctorReport(tuple(findings))


def _addresses(settings: Settings) -> list[Finding]:
    """The addresses readers see: the business's own, and reachable."""
    config = settings.config
    found = []
    if is_example_sender(config.sender.email):
        found.append(
            _fix(
                "config",
                f"sender.email is {config.sender.email}, an "
                "example address: set the address you send from, at your own "
                "domain",
            )
        )
    if _is_example_url(config.web.base_url):
        found.append(
            _fix(
                "config",
                f"web.base_url is {config.web.base_url}, an "
                "example address: every email links its web page there; set "
                "where you publish the archive",
            )
        )
    if config.delivery.transport == "sendgrid" and config.delivery.sendgrid.asm_group_id is None:
        found.append(
            _note(
                "config",
                "no SendGrid unsubscribe group "
                "(delivery.sendgrid.asm_group_id): the tool's own unsubscribe "
                "link is used; set the group's id to let SendGrid manage "
                "unsubscribes too",
            )
        )
    return found


def _secrets(settings: Settings, environ: Mapping[str, str]) -> list[Finding]:
    """The secrets this project's commands read, present and plausible; never shown."""
    config = settings.config
    found = [
        _secret(
            environ,
            SECRET_ENV,
            MIN_SECRET,
            "openssl rand -hex 32, the same value "
            "every month: it makes every referral code and unsubscribe link",
        )
    ]
    if environ.get(SECRET_ENV) == SAMPLE_SECRET:
        found[0] = _fix(
            "secrets", f"{SECRET_ENV} is the sample's; set your own (openssl rand -hex 32)"
        )
    if config.delivery.transport == "sendgrid":
        key = environ.get("SENDGRID_API_KEY", "")
        if not key:
            found.append(
                _fix(
                    "secrets",
                    "SENDGRID_API_KEY is not set: create a key "
                    "with Mail Send permission in SendGrid (Settings → API "
                    "Keys) and set it",
                )
            )
        elif not key.startswith("SG."):
            found.append(
                _fix(
                    "secrets",
                    "SENDGRID_API_KEY does not look like a SendGrid API key (they begin with SG.)",
                )
            )
        else:
            found.append(_ok("secrets", "SENDGRID_API_KEY is set"))
    else:
        found += _smtp(settings, environ)
    if config.desk is not None and config.desk.pull_from != "file":
        found.append(
            _secret(
                environ,
                DESK_TOKEN_ENV,
                MIN_DESK_TOKEN,
                "openssl rand -hex 32, the same on the desk: desk pull and the send's check use it",
            )
        )
    webhook_key = environ.get("SENDGRID_WEBHOOK_PUBLIC_KEY")
    if config.desk is not None and config.delivery.transport == "sendgrid" and not webhook_key:
        found.append(
            _note(
                "secrets",
                "SENDGRID_WEBHOOK_PUBLIC_KEY is not set "
                "here: the desk needs it where it runs to take SendGrid's "
                "bounces and spam reports (Settings → Mail Settings → Event "
                "Webhook, signed)",
            )
        )
    return found


def _secret(environ: Mapping[str, str], name: str, least: int, how: str) -> Finding:
    value = environ.get(name, "")
    if not value:
        return _fix("secrets", f"{name} is not set: set it ({how})")
    if len(value) < least:
        return _fix(
            "secrets", f"{name} is shorter than {least} characters: set a longer one ({how})"
        )
    return _ok("secrets", f"{name} is set")


def _smtp(settings: Settings, environ: Mapping[str, str]) -> list[Finding]:
    smtp = settings.config.delivery.smtp
    host = environ.get("SMTP_HOST") or smtp.host
    found = []
    if host in ("localhost", "127.0.0.1", "::1"):
        found.append(
            _fix(
                "smtp",
                f"the SMTP host is {host}: set delivery.smtp.host "
                "(or SMTP_HOST) to your mail provider's server",
            )
        )
    user, password = environ.get("SMTP_USERNAME"), environ.get("SMTP_PASSWORD")
    if bool(user) != bool(password):
        missing = "SMTP_PASSWORD" if user else "SMTP_USERNAME"
        found.append(
            _fix(
                "secrets",
                f"{missing} is not set, but its pair is: set "
                "both (your mail provider's login) or neither",
            )
        )
    elif user:
        found.append(_ok("secrets", "SMTP_USERNAME and SMTP_PASSWORD are set"))
    else:
        found.append(
            _note(
                "secrets",
                "no SMTP login (SMTP_USERNAME, "
                "SMTP_PASSWORD): right only for a server that needs none",
            )
        )
    return found


def _desk(settings: Settings, *, online: bool) -> list[Finding]:
    """The desk: set up, at a public https address, and answering there."""
    desk = settings.config.desk
    if desk is None:
        return [
            _note(
                "desk",
                "no desk (desk: in newsletter.yaml): nothing takes one-click unsubscribes, "
                "referred leads or sign-ups for you; docs/how-to/deploy-desk.md sets one up",
            )
        ]
    answers = _desk_answers(desk.public_url, online=online)
    if _is_public_https(desk.public_url):
        return [answers]
    where = f"desk.public_url is {desk.public_url}: readers follow it from their inbox, so "
    return [_fix("desk", where + "set the desk's public https address"), answers]


def _desk_answers(public_url: str, *, online: bool) -> Finding:
    url = public_url + "healthz"
    if not online:
        return _skipped("desk", f"offline: {url} is not asked")
    try:
        answer = httpx.get(url, timeout=DESK_SECONDS, follow_redirects=True)
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        return _fix(
            "desk",
            f"the desk does not answer at {url} ({reason}): start "
            "it (newsletter serve, docs/how-to/deploy-desk.md), or correct "
            "desk.public_url",
        )
    if answer.status_code != 200:
        return _fix(
            "desk",
            f"{url} answers {answer.status_code}, not the desk's "
            "200: is desk.public_url the desk's address, and the proxy in front "
            "of it passing it on?",
        )
    return _ok("desk", f"the desk answers at {url}")


def _is_example_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return is_example_sender("@" + host)


def _is_public_https(url: str) -> bool:
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        private = not ipaddress.ip_address(host).is_global
    except ValueError:
        private = host == "localhost" or host.endswith(".localhost")
    return parts.scheme == "https" and not private
