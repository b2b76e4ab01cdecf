"""`newsletter cards` as a person runs it: the console script on a terminal with its progress
bars, the report line, and bad input as one line with a non-zero exit."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from newsletter.cli import main
from newsletter.print.layers import PARALLEL_FROM
from tests.golden import copy_sample
from tests.terminal import run_on_terminal

SECRET = "a-test-secret-of-enough-length"
CONSOLE_SCRIPT = Path(sys.executable).with_name("newsletter")  # .venv/bin/newsletter
CARDS = PARALLEL_FROM + 50  # drawn by worker processes, whose progress moves the bar
TIMEOUT = 300.0  # a loaded machine; seconds when idle
COLUMNS = ("email", "first_name", "last_name", "segment", "channels", "street", "city", "region",
           "postal_code")  # fmt: skip


def terminal_env() -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "NEWSLETTER_SECRET": SECRET, "TERM": "xterm-256color"}


def invoke(project: Path, *args: str) -> Result:
    return CliRunner().invoke(
        main,
        [
            "cards",
            *args,
            "--config",
            str(project / "newsletter.yaml"),
            "--out",
            str(project / "build"),
        ],
        env={"NEWSLETTER_SECRET": SECRET},
    )


def where(project: Path) -> list[str]:
    return ["--config", str(project / "newsletter.yaml"), "--out", str(project / "build")]


def with_cards(project: Path, cards: dict[str, object]) -> Path:
    path = project / "newsletter.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["cards"] = cards
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_cards_of_the_sample_go_to_its_mail_prospects_and_clients(sample_project: Path) -> None:
    result = invoke(sample_project, "--quarter", "2026Q4")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("2026Q4: 6 cards, 4.25 x 6 in (prospect, client; 0 opted out")
    assert "files: cards.pdf, labels.pdf, mailing-list.csv" in result.stdout
    assert (sample_project / "build" / "cards" / "2026Q4" / "cards.pdf").is_file()


@pytest.mark.parametrize("quarter", ["2026Q5", "26Q4"])
def test_a_quarter_that_is_not_one_is_one_line_and_exit_2(
    sample_project: Path, quarter: str
) -> None:
    result = invoke(sample_project, "--quarter", quarter)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"newsletter: --quarter: not a quarter (Q1 to Q4): {quarter!r}"
        if quarter == "2026Q5"
        else f"newsletter: --quarter: not a quarter (expected YYYYQn, e.g. 2026Q4): {quarter!r}"
    ]


def test_a_size_the_usps_does_not_mail_at_the_rate_names_the_config_line(
    sample_project: Path,
) -> None:
    config = with_cards(sample_project, {"size": "6x11", "rate": "postcard"})
    line = next(
        n for n, text in enumerate(config.read_text().splitlines(), start=1) if "size:" in text
    )
    result = invoke(sample_project, "--quarter", "2026Q4")
    assert result.exit_code == 2
    (message,) = result.stderr.strip().splitlines()
    assert message.startswith(f"newsletter: {config.resolve()}:{line}: cards.size: the USPS does")
    assert "6 x 11 in card at the First-Class postcard price" in message


def test_a_quarter_without_its_card_names_the_file_to_write(sample_project: Path) -> None:
    result = invoke(sample_project, "--quarter", "2027Q3")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "newsletter: content/cards/2027Q3.md: no card for 2027Q3: write it "
        "(see content/cards/ for an example)"
    ]
    assert not (sample_project / "build" / "cards").exists()


def test_cards_on_a_terminal_show_the_progress_of_cards_and_labels(tmp_path: Path) -> None:
    project = copy_sample(tmp_path / "project")
    with (project / "subscribers" / "subscribers.csv").open("w", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for n in range(CARDS):
            street, postal = f"{100 + n} Atwood Avenue", f"{53700 + n % 20}"
            reader = (f"p{n}@example.com", "Zoë", f"Reader{n}", "prospect", "mail")
            writer.writerow((*reader, street, "Madison", "WI", postal))
    env = {**terminal_env(), "COLUMNS": "120"}
    args = [str(CONSOLE_SCRIPT), "cards", "--quarter", "2026Q4", *where(project)]

    status, output = run_on_terminal(args, env, timeout=TIMEOUT)

    assert status == 0, output
    assert "cards" in output and f"/{CARDS}" in output and "cards/s" in output
    assert "labels/s" in output
    assert f"2026Q4: {CARDS} cards" in output  # the report, after the bars
    assert "Traceback" not in output


def test_silent_cards_on_a_terminal_draw_no_bars(sample_project: Path) -> None:
    args = [str(CONSOLE_SCRIPT), "cards", "--quarter", "2026Q4", "--silent", *where(sample_project)]
    status, output = run_on_terminal(args, terminal_env(), timeout=TIMEOUT)
    assert status == 0, output
    assert "cards/s" not in output and "2026Q4: 6 cards" in output
