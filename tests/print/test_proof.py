"""`newsletter print --proof`: the generic print edition for review, made from the build
without the subscriber list or the secret, with no reader's name, address or email in it."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.config import load_config
from newsletter.pipeline.build import issue_of_build
from newsletter.pipeline.monthlock import month_lock
from newsletter.sealed import AGE_HEADER
from tests.project_factory import MONTH, REPO, build, make_project, newsletter
from tests.referral_factory import make_lead, write_ledger

TITLE = "Fixture Plumbing"
READERS_HEADER = (
    "email,first_name,last_name,company,segment,channels,street,city,region,postal_code,"
    "country,consent_source,consent_date,tags\n"
)
# Each reader's data is distinctive, so any of it in the proof is found by its text.
ZEBEDIAH = "zebediah.quillfeather@example.com,Zebediah,Quillfeather,,client,both,"
ZEBEDIAH += "77 Marigoldcrest Lane,Thornbury,WI,53999,US,website form,2025-01-14,\n"
PERPETUA = "perpetua.vantwinkle@example.com,Perpetua,Vantwinkle,,client,mail,"
PERPETUA += "12 Oxbridge Hollow,Quenton,WI,53998,US,website form,2025-01-14,\n"
PERSONAL = (
    "Zebediah",
    "Quillfeather",
    "Marigoldcrest",
    "Thornbury",
    "zebediah.quillfeather",
    "Perpetua",
    "Vantwinkle",
    "Oxbridge",
    "Quenton",
    "perpetua.vantwinkle",
    "Leocadia",  # a lead Zebediah sent, in the referral ledger
    "555-0199",
)


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def seal(folder: Path) -> None:
    """Every file in ``folder`` as git keeps it sealed where no key has unlocked it."""
    for path in folder.iterdir():
        path.write_bytes(AGE_HEADER + b"-> X25519 not-a-real-stanza\n")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A test business with two readers by post and a referrer thanked by name last month,
    built with its data readable, then sealed as a workflow without the key finds it."""
    root = make_project(tmp_path_factory.mktemp("proof") / "shop")
    readers = root / "subscribers"
    (readers / "subscribers.csv").write_text(READERS_HEADER + ZEBEDIAH + PERPETUA)
    referrer = ("K7QH3MZX", "zebediah.quillfeather@example.com")
    lead = make_lead(
        received="2026-10-12T09:00:00-05:00",
        referrer=referrer,
        name="Leocadia Brightwater",
        phone="(608) 555-0199",
        thank=True,
    )
    write_ledger(readers / "referrals.csv", lead)
    done = build(root)
    assert done.returncode == 0, done.stderr
    seal(readers)
    yield root


def test_the_build_thanks_the_referrer_by_name_so_the_proof_has_a_reader_to_leave_out(
    project: Path,
) -> None:
    assert "Zebediah Q." in (project / "build" / MONTH / "email.txt").read_text()


def test_a_proof_is_made_from_the_build_with_the_customer_data_sealed(
    project: Path,
) -> None:
    done = newsletter(project, "print", "--month", MONTH, "--proof")

    assert done.returncode == 0, done.stderr
    proof = project / "build" / MONTH / "print-proof.pdf"
    assert (
        done.stdout
        == f"{MONTH}: proof of 2 pages, no reader in it -> build/{MONTH}/print-proof.pdf\n"
    )
    text = pdf_text(proof)
    assert f"{TITLE} — November 2026" in text
    assert "Welcome to the letter" in text


def test_the_proof_holds_no_readers_name_address_email_or_lead(project: Path) -> None:
    target = project / "review" / "proof.pdf"

    done = newsletter(project, "print", "--month", MONTH, "--proof", "--to", str(target))

    assert done.returncode == 0, done.stderr
    text = pdf_text(target)
    found = [word for word in PERSONAL if word.casefold() in text.casefold()]
    assert found == []
    assert "shop.example.com/friends" in text  # the public landing page, not a reader's code
    assert target.stat().st_mode & 0o777 == 0o644


def test_a_proof_in_the_build_folder_leaves_the_approved_build_verified(project: Path) -> None:
    manifest = project / "build" / MONTH / "manifest.json"
    approvals = project / "approvals"
    approvals.mkdir(exist_ok=True)
    record = {"month": MONTH, "manifest_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest()}
    (approvals / f"{MONTH}.json").write_text(json.dumps(record))

    done = newsletter(project, "print", "--month", MONTH, "--proof")
    verified = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "approval.py"), "verify", "--month", MONTH],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert (project / "build" / MONTH / "print-proof.pdf").is_file()
    assert verified.returncode == 0, verified.stderr
    assert "is the approved build" in verified.stdout


def test_the_issue_without_readers_reads_nothing_under_the_subscribers_folder(
    project: Path,
) -> None:
    settings = load_config(project / "newsletter.yaml")

    issue = issue_of_build(settings, MONTH, out_root=project / "build", readers=False)

    assert issue.thanks is None
    assert issue.title == f"{TITLE} — November 2026"


def test_the_proof_goes_with_none_of_the_print_editions_options(project: Path) -> None:
    done = newsletter(project, "print", "--month", MONTH, "--proof", "--package")

    assert done.returncode == 2
    assert "--package is for the print edition, not for --proof" in done.stderr


def test_to_without_proof_is_refused(project: Path) -> None:
    done = newsletter(project, "print", "--month", MONTH, "--to", "elsewhere.pdf")

    assert done.returncode == 2
    assert "--to goes with --proof" in done.stderr


def test_a_proof_of_a_month_not_built_says_to_build_it(project: Path) -> None:
    done = newsletter(project, "print", "--month", "2027-01", "--proof")

    assert done.returncode == 2
    assert done.stderr.strip().endswith("run `newsletter build --month 2027-01` first")
    assert not (project / "build" / "2027-01" / "print-proof.pdf").exists()


def test_a_proof_while_the_month_is_being_built_refuses_at_once_naming_the_build(
    project: Path,
) -> None:
    with month_lock(project / "build", MONTH, doing="build"):
        done = newsletter(project, "print", "--month", MONTH, "--proof", "--to", "busy.pdf")

    assert done.returncode == 2
    assert f"build {MONTH}" in done.stderr
    assert not (project / "busy.pdf").exists()
