"""Data files sealed in git with age: readable to the keys listed, to nobody else, and
every command works as before where a key is present."""

from __future__ import annotations

from pathlib import Path

from tests.privacy.support import MONTH, Person, clone, is_age, ok, sealed_project, stored

SUBSCRIBERS = "subscribers/subscribers.csv"


def test_git_stores_a_sealed_file_as_age_ciphertext_and_the_working_tree_as_text(
    tmp_path: Path,
) -> None:
    owner = Person(tmp_path / "owner")
    root = sealed_project(tmp_path / "shop", owner)
    assert is_age(stored(root, owner, SUBSCRIBERS))
    assert (root / SUBSCRIBERS).read_text(encoding="utf-8").startswith("email,")
    assert owner.git(root, "status", "--porcelain") == ""


def test_with_the_key_a_clone_is_unlocked_and_every_command_reads_the_data(
    tmp_path: Path,
) -> None:
    owner = Person(tmp_path / "owner")
    root = sealed_project(tmp_path / "shop", owner)
    copy = clone(root, tmp_path / "copy", owner)
    assert is_age((copy / SUBSCRIBERS).read_bytes())  # no filter registered here yet

    ok(owner.run(copy, "keys", "unlock"))

    assert b"ana@example.com" in (copy / SUBSCRIBERS).read_bytes()
    assert (copy / SUBSCRIBERS).stat().st_mode & 0o777 == 0o600
    assert owner.git(copy, "status", "--porcelain") == ""
    assert "subscribers: 1 client" in ok(owner.run(copy, "check", "--month", MONTH))


def test_without_a_key_the_public_build_works_and_the_send_names_the_sealed_file(
    tmp_path: Path,
) -> None:
    owner = Person(tmp_path / "owner")
    root = sealed_project(tmp_path / "shop", owner)
    helper = Person(tmp_path / "helper")  # writes editorials; has no key
    copy = clone(root, tmp_path / "copy", helper)

    checked = helper.run(copy, "check", "--month", MONTH)
    ok(helper.run(copy, "build", "--month", MONTH, "--offline"))
    refused = helper.run(copy, "send", "--month", MONTH)

    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert "subscribers/subscribers.csv:1: sealed (age)" in line
    assert "a key of owner" in line and "newsletter keys unlock" in line
    assert checked.returncode == 0 and "personal data not checked" in checked.stderr


def test_unlock_without_a_key_says_where_the_key_goes(tmp_path: Path) -> None:
    owner = Person(tmp_path / "owner")
    root = sealed_project(tmp_path / "shop", owner)
    helper = Person(tmp_path / "helper")
    copy = clone(root, tmp_path / "copy", helper)

    refused = helper.run(copy, "keys", "unlock")

    assert refused.returncode == 2
    assert "no key here" in refused.stderr and "NEWSLETTER_AGE_KEY" in refused.stderr


def test_a_file_sealed_for_two_readers_opens_with_either(tmp_path: Path) -> None:
    owner, workflow = Person(tmp_path / "owner"), Person(tmp_path / "workflow")
    root = sealed_project(tmp_path / "shop", owner)
    ok(owner.run(root, "keys", "add", "workflow", workflow.create_key()))
    owner.git(root, "commit", "-q", "-m", "the workflow reads too")
    secret = workflow.key_file.read_text(encoding="utf-8")
    runner = Person(tmp_path / "runner")  # a machine with the key only in its environment

    for person, extra in ((owner, {}), (runner, {"NEWSLETTER_AGE_KEY": secret})):
        copy = clone(root, tmp_path / f"copy-{person.home.name}", person)
        ok(person.run(copy, "keys", "unlock", **extra))
        assert b"ana@example.com" in (copy / SUBSCRIBERS).read_bytes()


def test_a_reader_removed_and_rotated_out_cannot_open_the_next_version(tmp_path: Path) -> None:
    owner, agency = Person(tmp_path / "owner"), Person(tmp_path / "agency")
    root = sealed_project(tmp_path / "shop", owner)
    ok(owner.run(root, "keys", "add", "agency", agency.create_key()))
    owner.git(root, "commit", "-q", "-m", "the agency reads too")

    ok(owner.run(root, "keys", "remove", "agency"))
    rotated = ok(owner.run(root, "keys", "rotate", "owner"))
    owner.git(root, "commit", "-q", "-m", "the agency is gone")

    assert "destroy it" in rotated
    assert "agency" not in ok(owner.run(root, "keys", "list"))
    copy = clone(root, tmp_path / "copy", agency)
    refused = agency.run(copy, "keys", "unlock")
    assert refused.returncode == 2 and "no key here opens it" in refused.stderr
    opened = clone(root, tmp_path / "copy-owner", owner)
    ok(owner.run(opened, "keys", "unlock"))  # the owner's new key opens the new version
    assert b"ana@example.com" in (opened / SUBSCRIBERS).read_bytes()


def test_git_diff_shows_a_key_holder_the_change_in_plain_text(tmp_path: Path) -> None:
    owner = Person(tmp_path / "owner")
    root = sealed_project(tmp_path / "shop", owner)
    with (root / SUBSCRIBERS).open("a", encoding="utf-8") as handle:
        handle.write("bo@example.com,Bo,,,client,email,,,,,,form,2025-02-01,\n")

    diff = owner.git(root, "diff")

    assert "+bo@example.com,Bo" in diff


def test_lock_puts_the_sealed_form_back_and_refuses_uncommitted_changes(tmp_path: Path) -> None:
    owner = Person(tmp_path / "owner")
    root = sealed_project(tmp_path / "shop", owner)
    ok(owner.run(root, "keys", "lock"))
    assert is_age((root / SUBSCRIBERS).read_bytes())
    assert owner.git(root, "status", "--porcelain") == ""

    ok(owner.run(root, "keys", "unlock"))
    with (root / SUBSCRIBERS).open("a", encoding="utf-8") as handle:
        handle.write("bo@example.com,Bo,,,client,email,,,,,,form,2025-02-01,\n")
    refused = owner.run(root, "keys", "lock")
    assert refused.returncode == 2 and "commit them first" in refused.stderr
    assert b"bo@example.com" in (root / SUBSCRIBERS).read_bytes()
