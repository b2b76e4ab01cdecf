"""`referral report` and `referral list` never cut a lead's phone number or email short:
written to a pipe they print every cell in full, on a narrow terminal a long cell folds."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from newsletter.config.secrets import SAMPLE_SECRET
from tests.project_factory import NEWSLETTER, make_project
from tests.referral_factory import make_lead, write_ledger
from tests.terminal import run_on_terminal

PHONE = "+1 (503) 555-0175 ext. 4321"
EMAIL = "a.very.long.address.of.someone.who.was.sent.our.way@subdomain.example.org"
NOW = "2026-11-20T12:00"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shop = make_project(tmp_path / "shop")
    ana = ("ANACODE1", "ana@example.com")
    write_ledger(
        shop / "subscribers" / "referrals.csv",
        make_lead(1, "2026-11-18T09:00:00-06:00", ana, phone=PHONE, email=EMAIL),
        make_lead(2, "2026-11-20T09:00:00-06:00", ana, name="Jo Park", phone=PHONE, email=EMAIL),
    )
    return shop


def command(project: Path, *args: str) -> list[str]:
    return [NEWSLETTER, "referral", *args, "--config", str(project / "newsletter.yaml")]


def environment(columns: int) -> dict[str, str]:
    return {**os.environ, "NEWSLETTER_SECRET": SAMPLE_SECRET, "COLUMNS": str(columns)}


REPORT = ("report", "--month", "2026-11", "--now", NOW)


@pytest.mark.parametrize("args", [REPORT, ("list", "--now", NOW)], ids=["report", "list"])
def test_written_to_a_pipe_every_phone_and_email_is_whole_on_its_line(
    project: Path, args: tuple[str, ...]
) -> None:
    done = subprocess.run(
        command(project, *args),
        cwd=project,
        env=environment(80),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout
    lines = done.stdout.splitlines()
    assert sum(EMAIL in line for line in lines) == 2
    assert sum(PHONE in line for line in lines) == 2


def folded_cells(output: str, column: str) -> list[str]:
    """Each row's cell of ``column`` in the first rich table on a terminal that has it,
    its folded lines joined again."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)  # the terminal's colours and bold
    lines = plain.splitlines()
    start = next(i for i, line in enumerate(lines) if "┃" in line and f" {column} " in line)
    index = [cell.strip() for cell in lines[start].split("┃")].index(column)
    cells: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith("└"):
            break
        if not line.startswith("│"):
            continue
        row = line.split("│")
        if row[1].strip():  # the first line of a row has its number
            cells.append("")
        cells[-1] += row[index].strip()
    return cells


@pytest.mark.parametrize("columns", [80, 160])
def test_on_a_narrow_terminal_a_long_email_folds_and_loses_nothing(
    project: Path, columns: int
) -> None:
    status, output = run_on_terminal(command(project, *REPORT), environment(columns))
    assert status == 0, output
    assert "…" not in output
    assert folded_cells(output, "Email") == [EMAIL]  # the overdue lead; the other is due
    assert PHONE.replace(" ", "") in "".join(folded_cells(output, "Phone")).replace(" ", "")
