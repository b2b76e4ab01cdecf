"""A build where the lists are sealed and no key opens them: the public issue, for review,
without the parts made from the customer data, and a build that says it cannot be sent."""

from __future__ import annotations

import json
from pathlib import Path

from tests.privacy.data import fill
from tests.privacy.support import MONTH, Person, clone, ok, sealed_project
from tests.project_factory import read_config, write_config

THANKED = "Cy M."
"""Cy referred a lead last month and agreed to be thanked by name (tests/privacy/data.py)."""


def business_and_helper(tmp_path: Path) -> tuple[Person, Person, Path]:
    """The owner's sealed project with a referral ledger, and a clone of it by a helper
    who writes editorials and has no key."""
    owner = Person(tmp_path / "owner")
    root = sealed_project(tmp_path / "shop", owner)
    fill(root)
    config = read_config(root)
    # Only sections with something to say: a strict check then fails on nothing else.
    config["sections"] = [{"id": "editorials"}, {"id": "offer"}]
    write_config(root, config)
    owner.git(root, "add", "-A")
    owner.git(root, "commit", "-q", "-m", "the lists")
    helper = Person(tmp_path / "helper")
    return owner, helper, clone(root, tmp_path / "copy", helper)


def test_without_a_key_the_issue_builds_without_the_thank_you_roll_and_says_so(
    tmp_path: Path,
) -> None:
    _, helper, copy = business_and_helper(tmp_path)

    built = helper.run(copy, "build", "--month", MONTH, "--offline")

    ok(built)
    assert "note: built without the customer data (subscribers/referrals.csv is sealed" in (
        built.stderr
    )
    page = (copy / "build" / MONTH / "web" / "index.html").read_text(encoding="utf-8")
    assert THANKED not in page
    manifest = json.loads((copy / "build" / MONTH / "manifest.json").read_text("utf-8"))
    assert "no thank-you roll" in manifest["left_out"]


def test_a_build_made_without_the_key_is_refused_by_the_send_once_the_key_is_there(
    tmp_path: Path,
) -> None:
    owner, helper, copy = business_and_helper(tmp_path)
    ok(helper.run(copy, "build", "--month", MONTH, "--offline"))
    ok(owner.run(copy, "keys", "unlock"))

    refused = owner.run(copy, "send", "--month", MONTH)

    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert "not this build: built without the customer data" in line
    assert "build again before sending" in line


def test_built_again_with_the_key_the_issue_thanks_last_months_referrers(
    tmp_path: Path,
) -> None:
    owner, helper, copy = business_and_helper(tmp_path)
    ok(helper.run(copy, "build", "--month", MONTH, "--offline"))
    ok(owner.run(copy, "keys", "unlock"))

    built = owner.run(copy, "build", "--month", MONTH, "--offline")

    assert "note:" not in ok(built) + built.stderr
    page = (copy / "build" / MONTH / "web" / "index.html").read_text(encoding="utf-8")
    assert THANKED in page
    manifest = json.loads((copy / "build" / MONTH / "manifest.json").read_text("utf-8"))
    assert "left_out" not in manifest


def test_a_strict_check_without_a_key_passes_and_notes_the_lists_it_could_not_read(
    tmp_path: Path,
) -> None:
    _, helper, copy = business_and_helper(tmp_path)

    checked = helper.run(copy, "check", "--strict", "--month", MONTH)

    assert ok(checked).strip().endswith("ok")
    assert "note: personal data not checked" in checked.stderr
    assert "subscribers/subscribers.csv:1: sealed (age)" in checked.stderr
