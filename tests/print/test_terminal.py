"""`newsletter print --package` as a person runs it (`make print`): the installed console
script on a terminal (a pseudo-terminal here), enough copies for the worker processes, a
progress bar for each long step."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from newsletter.config import load_config
from newsletter.pipeline.build import build
from newsletter.print.layers import PARALLEL_FROM
from tests.golden import copy_sample
from tests.terminal import run_on_terminal

MONTH = "2026-11"
CONSOLE_SCRIPT = Path(sys.executable).with_name("newsletter")  # .venv/bin/newsletter
SECRET = "a-test-secret-of-enough-length"
COPIES = PARALLEL_FROM + 50  # drawn by worker processes, whose progress moves the bar
TIMEOUT = 300.0  # a loaded machine; a few seconds when idle
COLUMNS = ("email", "first_name", "last_name", "segment", "channels")
ADDRESS = ("street", "city", "region", "postal_code", "country")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample (without feeds: a quick two-page issue) with COPIES mail subscribers, built."""
    folder = copy_sample(tmp_path_factory.mktemp("print-terminal"))
    config = yaml.safe_load((folder / "newsletter.yaml").read_text(encoding="utf-8"))
    config["feeds"] = []
    (folder / "newsletter.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    with (folder / "subscribers" / "subscribers.csv").open("w", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow((*COLUMNS, *ADDRESS))
        for n in range(COPIES):
            reader = (f"r{n}@example.com", "Zoë", f"Reader{n}", "client", "mail")
            address = (f"{100 + n} Atwood Avenue", "Madison", "WI", f"{53700 + n % 20}", "US")
            writer.writerow((*reader, *address))
    (folder / "subscribers" / "suppressions.csv").unlink(missing_ok=True)
    build(load_config(folder / "newsletter.yaml"), MONTH, out_root=folder / "build", offline=True)
    return folder


def print_package(project: Path, *extra: str) -> list[str]:
    config, out = project / "newsletter.yaml", project / "build"
    return [str(CONSOLE_SCRIPT), "print", "--month", MONTH, "--package", *extra,
            "--config", str(config), "--out", str(out)]  # fmt: skip


def environment(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "NEWSLETTER_SECRET": SECRET, **extra}


def test_print_on_a_terminal_shows_progress_of_copies_labels_and_package(project: Path) -> None:
    assert CONSOLE_SCRIPT.is_file(), "the package is not installed in this environment"
    env = environment(TERM="xterm-256color", COLUMNS="120")

    status, output = run_on_terminal(print_package(project), env, timeout=TIMEOUT)

    assert status == 0, output
    assert "addressed copies" in output and f"/{COPIES}" in output and "copies/s" in output
    assert "labels/s" in output and "files/s" in output  # the labels' and the package's bars
    assert f"{COPIES} addressed copies" in output  # the report, after the bars
    assert "Traceback" not in output
    pdf = PdfReader(
        io.BytesIO((project / "build" / MONTH / "print" / "addressed.pdf").read_bytes())
    )
    assert len(pdf.pages) % COPIES == 0


def test_print_of_the_sample_on_a_terminal_draws_its_copies_in_one_process(
    sample_project: Path,
) -> None:
    built = load_config(sample_project / "newsletter.yaml")
    build(built, MONTH, out_root=sample_project / "build", offline=True)
    env = environment(TERM="xterm-256color", COLUMNS="120")

    status, output = run_on_terminal(print_package(sample_project), env, timeout=TIMEOUT)

    assert status == 0, output
    assert "addressed copies" in output and "copies/s" in output
    assert "Traceback" not in output


def test_print_silent_on_a_terminal_shows_no_bar(project: Path) -> None:
    env = environment(TERM="xterm-256color", COLUMNS="120")

    status, output = run_on_terminal(print_package(project, "--silent"), env, timeout=TIMEOUT)

    assert status == 0, output
    assert "copies/s" not in output and "labels/s" not in output
    assert f"{COPIES} addressed copies" in output


def test_print_piped_shows_no_bar(project: Path) -> None:
    done = subprocess.run(
        print_package(project), env=environment(), capture_output=True, text=True, timeout=TIMEOUT
    )

    assert done.returncode == 0, done.stderr
    assert f"{COPIES} addressed copies" in done.stdout
    assert "\x1b" not in done.stderr and "copies/s" not in done.stderr
