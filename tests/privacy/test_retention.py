"""Retention: what the business no longer needs is anonymized after the times the config
sets, through the console script, and the report's totals stay."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsletter.desk.inbox import append, connect, inbox_id
from tests.privacy.data import ANA, ANA_NAME, ANA_PHONE, CY, fill
from tests.privacy.support import Person, ok, sealed_project
from tests.privacy.test_forget import dollars
from tests.project_factory import read_config, write_config

OLD_CONSENT = (
    "gone@example.com,2019-01-14T09:00:00+00:00,2019-01-14T09:05:00+00:00,signup,"
    "203.0.113.9,203.0.113.9,1\n"
)


def business(tmp_path: Path, **retention: int) -> tuple[Person, Path]:
    owner = Person(tmp_path / "owner")
    root = sealed_project(tmp_path / "shop", owner)
    fill(root)
    config = read_config(root)
    config["retention"] = retention
    write_config(root, config)
    with (root / "subscribers" / "consents.csv").open("a", encoding="utf-8") as handle:
        handle.write(OLD_CONSENT)
    leads = root / "subscribers" / "referrals.csv"  # both leads closed two years ago
    leads.write_text(leads.read_text(encoding="utf-8").replace("2026-10", "2024-10"))
    offer = root / "content" / "offers" / "friends.yaml"
    offer.write_text(offer.read_text(encoding="utf-8").replace("2026-01-01", "2024-01-01"))
    return owner, root


def inbox_events(root: Path) -> list[dict[str, str]]:
    with sqlite3.connect(root / "state" / "desk" / "inbox.sqlite") as db:
        return [json.loads(data) for (data,) in db.execute("SELECT data FROM events ORDER BY id")]


def test_a_dry_run_counts_and_changes_nothing(tmp_path: Path) -> None:
    owner, root = business(tmp_path, closed_leads_years=1, consents_years=2)
    before = (root / "subscribers" / "referrals.csv").read_bytes()

    printed = ok(owner.run(root, "retention"))

    assert "subscribers/referrals.csv: 2 leads would be anonymized" in printed
    assert "subscribers/consents.csv: 1 consent records would be removed" in printed
    assert (root / "subscribers" / "referrals.csv").read_bytes() == before


def test_old_closed_leads_are_anonymized_and_the_totals_stay(tmp_path: Path) -> None:
    owner, root = business(tmp_path, closed_leads_years=1)
    totals = dollars(root, owner, "2024-11")
    assert "$1,585.00" in "".join(totals)

    ok(owner.run(root, "retention", "--yes"))
    again = ok(owner.run(root, "retention", "--yes"))

    ledger = (root / "subscribers" / "referrals.csv").read_text(encoding="utf-8")
    assert "Bo Diaz" not in ledger and ANA_NAME not in ledger and ANA_PHONE not in ledger
    assert "385.00" in ledger and "1200.00" in ledger and "Water heater" in ledger
    assert dollars(root, owner, "2024-11") == totals
    assert "referrals.csv: 0 leads anonymized" in again


def test_consents_of_people_long_gone_are_removed_and_current_ones_kept(
    tmp_path: Path,
) -> None:
    owner, root = business(tmp_path, consents_years=2)

    ok(owner.run(root, "retention", "--yes"))

    consents = (root / "subscribers" / "consents.csv").read_text(encoding="utf-8")
    assert "gone@example.com" not in consents and ANA in consents
    assert (root / "subscribers" / "consents.csv").stat().st_mode & 0o777 == 0o600


def test_desk_events_are_redacted_only_once_pulled_and_old(tmp_path: Path) -> None:
    owner, root = business(tmp_path, desk_events_days=30)
    inbox = root / "state" / "desk" / "inbox.sqlite"
    db = connect(inbox)
    db.execute("BEGIN")
    old = datetime.now(UTC) - timedelta(days=40)
    append(db, "unsubscribe", {"email": "late@example.com"}, at=old)  # id 3: not pulled
    db.execute("UPDATE events SET at = ? WHERE id IN (1, 2)", (old.isoformat(),))
    db.execute("COMMIT")
    cursor = {"inbox": inbox_id(db), "after": 2}
    db.close()
    (root / "subscribers" / "desk.json").write_text(json.dumps(cursor), encoding="utf-8")

    ok(owner.run(root, "retention", "--yes"))

    lead, unsubscribe, late = inbox_events(root)
    assert ANA not in json.dumps(lead) and ANA_NAME not in json.dumps(lead)
    assert lead["code"] and lead["email"].startswith("forgotten:")
    assert CY not in json.dumps(unsubscribe)
    assert late == {"email": "late@example.com"}
