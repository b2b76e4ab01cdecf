"""Forgetting one person: nothing about them is left in any file, ledger, inbox or build
folder, while a suppression still stops mail to them and the report's totals stay."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.fake_sendgrid import FakeSendGrid
from tests.privacy.data import ANA, ANA_NAME, ANA_PHONE, CY, SUBSCRIBERS, fill
from tests.privacy.support import MONTH, Person, ok, sealed_project

TRACES = (ANA.encode(), ANA_NAME.encode(), ANA_PHONE.encode(), b"555-0142")


def business(tmp_path: Path) -> tuple[Person, Path]:
    owner = Person(tmp_path / "owner")
    root = sealed_project(tmp_path / "shop", owner)
    fill(root)
    owner.git(root, "add", "-A")
    owner.git(root, "commit", "-q", "-m", "the lists")
    return owner, root


def files_naming_ana(root: Path) -> list[str]:
    """Every file of the project (git's own store aside) whose bytes name Ana."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and ".git" not in path.relative_to(root).parts:
            data = path.read_bytes()
            if any(trace.lower() in data.lower() for trace in TRACES):
                found.append(str(path.relative_to(root)))
    return sorted(found)


def dollars(root: Path, owner: Person, month: str = MONTH) -> list[str]:
    """The referral report's dollar totals for ``month`` and its year, and by source (per
    referrer, Ana's row goes with her)."""
    printed = ok(owner.run(root, "referral", "report", "--month", month))
    totals = [line for line in printed.splitlines() if re.search(r"\$\d", line)]
    # a row's first cell: the totals' label, or the source of the by-source table
    return [line for line in totals if re.match(r"\W*(Dollars won|Not recorded)", line)]


def send(owner: Person, root: Path, month: str, server: FakeSendGrid) -> None:
    ok(owner.run(root, "build", "--month", month, "--offline"))
    ok(
        owner.run(
            root,
            "send",
            "--month",
            month,
            "--yes",
            "--skip-desk-check",
            SENDGRID_API_KEY=server.api_key,
            SENDGRID_API_URL=server.base_url,
        )
    )


def test_a_dry_run_lists_every_store_that_names_them_and_changes_nothing(
    tmp_path: Path,
) -> None:
    owner, root = business(tmp_path)
    before = files_naming_ana(root)

    listed = ok(owner.run(root, "forget", ANA))

    for place in ("subscribers.csv", "referrals.csv", "rewards.csv", "consents.csv", "inbox"):
        assert place in listed
    assert "dry run: nothing changed" in listed and "keys rotate" in listed
    assert files_naming_ana(root) == before


def test_forget_then_export_finds_nothing_while_a_send_still_skips_them(
    tmp_path: Path, fake_sendgrid: FakeSendGrid
) -> None:
    owner, root = business(tmp_path)
    send(owner, root, MONTH, fake_sendgrid)
    assert sorted(fake_sendgrid.emails()) == [ANA, CY]
    # the call lists it writes in build/ name the leads
    ok(owner.run(root, "referral", "report", "--month", MONTH))
    totals = dollars(root, owner)
    assert "$1,585.00" in "".join(totals)
    assert files_naming_ana(root)

    forgotten = ok(owner.run(root, "forget", ANA, "--yes"))
    owner.git(root, "commit", "-q", "-am", "Ana is forgotten")

    assert "dry run" not in forgotten and "keys rotate" in forgotten
    assert files_naming_ana(root) == []
    exported = tmp_path / "ana.json"
    ok(owner.run(root, "export", ANA, "--to", str(exported)))
    assert json.loads(exported.read_text(encoding="utf-8"))["found"] == []
    assert exported.stat().st_mode & 0o777 == 0o600
    assert dollars(root, owner) == totals
    # She comes back in an import by mistake: the keyed-hash suppression still stops her.
    (root / "subscribers" / "subscribers.csv").write_text(SUBSCRIBERS, encoding="utf-8")
    send(owner, root, "2026-12", fake_sendgrid)
    assert sorted(fake_sendgrid.emails()) == [ANA, CY, CY]


def test_export_writes_every_record_that_names_them(tmp_path: Path) -> None:
    owner, root = business(tmp_path)
    exported = tmp_path / "ana.json"

    ok(owner.run(root, "export", ANA_PHONE, "--to", str(exported)))

    found = json.loads(exported.read_text(encoding="utf-8"))["found"]
    places = {f["place"] for f in found}
    assert {"subscribers/subscribers.csv", "subscribers/referrals.csv"} <= places
    assert any(r.get("lead_name") == ANA_NAME for f in found for r in f["records"])
    assert exported.stat().st_mode & 0o777 == 0o600
