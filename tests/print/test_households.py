"""`print.one_per_household` through `newsletter print --package`: one copy per door, named
by the business's template, however each reader wrote the apartment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.print.postal_project import MONTH, QUARTER, newsletter, postal_project, rows
from tests.print.support import page_texts


def printed(config: Path, *extra: str) -> Path:
    out = ("--out", config.parent / "build")
    build = newsletter(config, "build", "--month", MONTH, "--offline", *out)
    assert build.returncode == 0, build.stderr
    result = newsletter(config, "print", "--month", MONTH, *out, "--silent", *extra)
    assert result.returncode == 0, result.stderr
    return config.parent / "build" / MONTH / "print"


@pytest.fixture(scope="module")
def households(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    config = postal_project(tmp_path_factory.mktemp("households"), one_per_household=True)
    yield printed(config, "--package", "--split")


def text(pdf: Path, page: int = 0) -> str:
    return " ".join(t.text for t in page_texts(pdf.read_bytes(), page))


def test_one_apartment_written_five_ways_gets_one_copy_named_for_the_family(
    households: Path,
) -> None:
    names = [r["name"] for r in rows(households / "mailing-list.csv")]
    assert names.count("The Nguyen family") == 1
    assert not {"Anh Nguyen", "Bao Nguyen", "Linh Nguyen"} & set(names)


def test_readers_who_do_not_share_a_last_name_get_one_copy_with_both_names(
    households: Path,
) -> None:
    names = [r["name"] for r in rows(households / "mailing-list.csv")]
    assert "Sam Lee and Kim Park" in names
    assert "Sam Lee" not in names and "Kim Park" not in names


def test_different_units_of_one_building_are_different_households(households: Path) -> None:
    units = {r["name"]: r["address_1"] for r in rows(households / "mailing-list.csv")}
    assert units["The Nguyen family"] == "123 N MAIN ST APT 4"
    assert units["Sam Lee and Kim Park"] == "123 N MAIN ST APT 5"


def test_readers_alone_at_their_door_keep_their_own_copy(households: Path) -> None:
    names = [r["name"] for r in rows(households / "mailing-list.csv")]
    assert {"Eve Stone", "Ola Berg", "Zoë Lindqvist"} <= set(names)
    assert len(names) == 5


def test_the_household_copy_carries_the_family_name_and_greets_everyone(
    households: Path,
) -> None:
    copy = next((households / "addressed").glob("*-nguyen.pdf"))
    page = text(copy)
    assert "The Nguyen family" in page
    assert "123 N MAIN ST APT 4" in page
    assert "Hi Anh, Bao and Linh," in page


def test_labels_and_the_job_ticket_follow_the_copies(households: Path) -> None:
    labels = text(households / "labels.pdf")
    assert "The Nguyen family" in labels and "Sam Lee and Kim Park" in labels
    assert "Bao Nguyen" not in labels
    ticket = (households / "job-ticket.txt").read_text(encoding="utf-8")
    assert "Quantity:   5 addressed copies" in ticket
    assert "3 more readers share their household's copy (one per door)" in ticket


def test_without_the_setting_every_reader_gets_a_copy_of_their_own(tmp_path: Path) -> None:
    folder = printed(postal_project(tmp_path / "project"))
    names = [r["name"] for r in rows(folder / "mailing-list.csv")]
    assert len(names) == 8
    assert {"Anh Nguyen", "Bao Nguyen", "Linh Nguyen", "Sam Lee", "Kim Park"} <= set(names)


def test_cards_stay_one_per_reader(tmp_path: Path) -> None:
    config = postal_project(tmp_path / "project", one_per_household=True)
    out = ("--out", config.parent / "build")
    result = newsletter(config, "cards", "--quarter", QUARTER, *out, "--silent")
    assert result.returncode == 0, result.stderr
    names = [
        r["name"] for r in rows(config.parent / "build" / "cards" / QUARTER / "mailing-list.csv")
    ]
    assert {"Anh Nguyen", "Bao Nguyen", "Linh Nguyen"} <= set(names)


def test_a_project_without_the_household_template_is_told_which_to_write(tmp_path: Path) -> None:
    config = postal_project(tmp_path / "project", one_per_household=True)
    templates = tmp_path / "templates"
    source = Path(__file__).resolve().parents[2] / "templates"
    for path in source.rglob("*"):
        target = templates / path.relative_to(source)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif path.name != "household.txt.j2":
            target.write_bytes(path.read_bytes())
    config.write_text(config.read_text().replace(str(source), str(templates)), encoding="utf-8")
    out = ("--out", config.parent / "build")
    assert newsletter(config, "build", "--month", MONTH, "--offline", *out).returncode == 0

    result = newsletter(config, "print", "--month", MONTH, *out, "--silent")

    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("newsletter: ") and "household.txt.j2" in line
