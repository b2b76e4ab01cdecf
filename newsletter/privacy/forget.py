"""``newsletter forget`` and ``newsletter export``: everything the project holds about one
person, erased on request or written out as one file.

Forgetting keeps what the law asks to keep and what the business's figures rest on: a
suppression that still stops mail to the address (as a keyed hash, not the address), the
referral leads' business facts and value (the report's totals do not change), and the
send ledger's rows (counted, no longer named).

Copies in git history are not rewritten: the data files there are sealed to the keys of
their time (:mod:`newsletter.privacy.readers`). After forgetting, ``newsletter keys
rotate`` and destroying the old keys leave those copies unreadable to anyone.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from newsletter.audience.suppressions import Suppression, merge_suppressions
from newsletter.audience.tokens import forgotten_address
from newsletter.config import Settings
from newsletter.fsutil import PRIVATE, atomic_write
from newsletter.privacy.person import Person, identify
from newsletter.privacy.stores import Finding, all_findings

HISTORY_NOTE = (
    "old copies in git history stay sealed to the keys that existed then: run "
    "`newsletter keys rotate` for every reader, commit, and destroy the old keys to make "
    "them unreadable"
)


@dataclass(frozen=True)
class Forgetting:
    """What forgetting one person changes (or, in a dry run, would change)."""

    person: Person
    findings: tuple[Finding, ...]
    suppressed: bool  # a keyed-hash suppression stops mail to them
    done: bool


def forget(
    settings: Settings, asked: str, secret: bytes, *, yes: bool, out_root: Path
) -> Forgetting:
    """Forget the person ``asked`` names everywhere (only list what would change unless
    ``yes``)."""
    person = identify(settings, asked, secret)
    findings = all_findings(settings, person, secret, apply=yes, out_root=out_root)
    suppressed = bool(person.emails)
    if yes and person.emails:
        today = date.today()
        merge_suppressions(
            settings.suppressions_csv,
            [
                Suppression(
                    email=forgotten_address(secret, email),
                    reason="manual",
                    date=today,
                    source="forgotten on request",
                    channel="all",
                )
                for email in sorted(person.emails)
            ],
        )
    return Forgetting(person, tuple(findings), suppressed, yes)


def export(
    settings: Settings, asked: str, secret: bytes, *, to: Path, out_root: Path
) -> list[Finding]:
    """Write everything held about the person ``asked`` names to ``to`` (JSON, 0600)."""
    person = identify(settings, asked, secret)
    findings = all_findings(settings, person, secret, apply=False, out_root=out_root)
    document = {
        "asked": asked,
        "business": settings.config.business.name,
        "exported_on": date.today().isoformat(),
        "found": [asdict(f) for f in findings],
    }
    text = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False)
    atomic_write(to, text + "\n", mode=PRIVATE)
    return findings
