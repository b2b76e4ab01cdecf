"""Odd values given to the console script: each is one line naming the value, exit 2, never
a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.project_factory import make_project, newsletter
from tests.referral_factory import SECRET

MONTH_COMMANDS = (
    ("build",),
    ("build", "--offline"),
    ("check",),
    ("preview",),
    ("send",),
    ("print", "--package"),
    ("report",),
    ("referral", "report"),
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSLETTER_SECRET", SECRET)
    return make_project(tmp_path / "p")


def one_line_error(done: object) -> str:
    """The single line a failed command printed, after checking it failed with status 2."""
    assert getattr(done, "returncode", None) == 2, done
    lines = str(getattr(done, "stderr", "")).splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsletter: "), lines
    return lines[0]


@pytest.mark.parametrize(
    ("command", "month"),
    [
        *((command, "0000-01") for command in MONTH_COMMANDS),
        (("build",), "9999-12"),
        (("preview",), "0001-01"),  # never shown as "build/1-01"
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else value,
)
def test_a_month_out_of_range_is_one_line_naming_it(
    project: Path, command: tuple[str, ...], month: str
) -> None:
    line = one_line_error(newsletter(project, *command, "--month", month))
    assert line == f"newsletter: --month: '{month}' is not a plausible month (2000-01 to 2099-12)"


@pytest.mark.parametrize("email", [(), ("--email",)], ids=["cards", "nurture email"])
@pytest.mark.parametrize("quarter", ["0000Q1", "9999Q4"])
def test_a_quarter_out_of_range_is_one_line_naming_it(
    project: Path, email: tuple[str, ...], quarter: str
) -> None:
    line = one_line_error(newsletter(project, "cards", *email, "--quarter", quarter))
    assert line == (
        f"newsletter: --quarter: '{quarter}' is not a plausible quarter (2000Q1 to 2099Q4)"
    )


def test_the_last_plausible_month_builds_and_prints(project: Path) -> None:
    offer = project / "content" / "offers" / "friends.yaml"
    offer.write_text(offer.read_text("utf-8").replace("2027-12-31", "2099-12-31"), "utf-8")
    built = newsletter(project, "build", "--offline", "--month", "2099-12")
    assert built.returncode == 0, built.stderr
    printed = newsletter(project, "print", "--package", "--month", "2099-12")
    assert printed.returncode == 0, printed.stderr
    assert (project / "build" / "2099-12" / "print" / "print-package-2099-12.zip").is_file()
