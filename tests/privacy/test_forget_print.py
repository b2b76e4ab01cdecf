"""Forgetting someone on an addressed edition: the print folders whose mailing list names
them (a month's print/, a quarter's cards) go whole, since their PDFs and zip are
compressed; editions without them stay as they are."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsletter.audience.tokens import referral_code
from tests.print.postal_project import QUARTER, READERS, postal_project, write_readers
from tests.privacy.support import SECRET, Person, ok

EVE = "eve@example.com"
IVY = "ivy@example.com"  # reads by email only: on no mailing list
IVY_ROW = (IVY, "Ivy", "Rowe", "", "client", "email", "", "", "", "", "")
BEFORE, MONTH = "2026-10", "2026-11"
EVE_TRACES = ("eve stone", "johnson st", "-stone", referral_code(SECRET.encode(), EVE).lower())


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The plumber's project with October printed before Eve subscribed, and November
    and the quarter's cards printed with her (the package and one PDF per copy too)."""
    root = tmp_path_factory.mktemp("printed")
    owner = Person(root / "home")
    without_eve = {name: row for name, row in READERS.items() if name != "eve"}
    postal_project(root, readers={**without_eve, "ivy": IVY_ROW})
    for month, readers in ((BEFORE, without_eve), (MONTH, READERS)):
        write_readers(root, {**readers, "ivy": IVY_ROW})
        ok(owner.run(root, "build", "--month", month, "--offline"))
        ok(owner.run(root, "print", "--month", month, "--package", "--split", "--silent"))
    ok(owner.run(root, "cards", "--quarter", QUARTER, "--silent"))
    yield root


@pytest.fixture
def project(printed: Path, tmp_path: Path) -> tuple[Person, Path]:
    root = tmp_path / "shop"
    shutil.copytree(printed, root, symlinks=True)
    return Person(root / "home"), root


def build_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in (root / "build").rglob("*") if p.is_file()
    }


def texts_naming_eve(root: Path) -> list[str]:
    """Every file left under build/ whose name, bytes or (for a PDF) extracted text names
    Eve."""
    found = []
    for path in (root / "build").rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".pdf":
            data = subprocess.run(
                ["pdftotext", str(path), "-"], capture_output=True, check=True
            ).stdout
        said = (str(path.relative_to(root)) + data.decode("utf-8", errors="replace")).lower()
        if any(trace in said for trace in EVE_TRACES):
            found.append(str(path.relative_to(root)))
    return sorted(found)


def test_the_editions_naming_them_are_removed_whole_and_nothing_of_theirs_is_left(
    project: tuple[Person, Path],
) -> None:
    owner, root = project
    assert "build/2026-11/print/addressed.pdf" in texts_naming_eve(root)
    october = {k: v for k, v in build_files(root).items() if k.startswith(f"build/{BEFORE}/")}

    said = ok(owner.run(root, "forget", EVE, "--yes"))

    assert texts_naming_eve(root) == []
    assert not (root / "build" / MONTH / "print").exists()
    assert not (root / "build" / "cards" / QUARTER).exists()
    assert f"build/{MONTH}/print: removed whole" in said
    assert f"`newsletter print --month {MONTH}` makes it again without them" in said
    assert f"`newsletter cards --quarter {QUARTER}` makes it again" in said
    left = build_files(root)
    assert {k: v for k, v in left.items() if k.startswith(f"build/{BEFORE}/")} == october
    assert f"build/{BEFORE}/print/addressed.pdf" in left


def test_the_dry_run_lists_the_same_editions_and_changes_nothing(
    project: tuple[Person, Path],
) -> None:
    owner, root = project
    before = build_files(root)

    listed = ok(owner.run(root, "forget", EVE))

    editions = [line for line in listed.splitlines() if "removed whole" in line]
    assert [line.split(":")[0] for line in editions] == [
        f"build/{MONTH}/print",
        f"build/cards/{QUARTER}",
    ]
    assert all(": would be removed whole" in line for line in editions)
    assert not any(f"build/{MONTH}/print/" in line for line in listed.splitlines())
    assert build_files(root) == before


def test_export_lists_each_edition_with_their_mailing_list_row(
    project: tuple[Person, Path], tmp_path: Path
) -> None:
    owner, root = project
    exported = tmp_path / "eve.json"

    ok(owner.run(root, "export", EVE, "--to", str(exported)))

    found = {f["place"]: f["records"] for f in json.loads(exported.read_text("utf-8"))["found"]}
    for place in (f"build/{MONTH}/print", f"build/cards/{QUARTER}"):
        (row,) = found[place]
        assert row["name"] == "Eve Stone" and row["address_1"] == "77 W JOHNSON ST STE 200"
    assert f"build/{BEFORE}/print" not in found


def test_someone_on_no_mailing_list_leaves_every_print_folder_in_place(
    project: tuple[Person, Path],
) -> None:
    owner, root = project
    before = {k: v for k, v in build_files(root).items() if "/print/" in k or "/cards/" in k}

    said = ok(owner.run(root, "forget", IVY, "--yes"))

    assert "removed whole" not in said
    after = {k: v for k, v in build_files(root).items() if "/print/" in k or "/cards/" in k}
    assert after == before
