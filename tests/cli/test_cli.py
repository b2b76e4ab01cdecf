"""The command line: thin wrappers, one-line errors, exit status 2 for bad input."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from newsletter.cli import main
from newsletter.pipeline.preview import serve

REPO = Path(__file__).resolve().parents[2]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_build_writes_the_month_folder(sample_project: Path) -> None:
    code, out, _ = run(
        "build",
        "--config",
        str(sample_project / "newsletter.yaml"),
        "--month",
        "2026-11",
        "--out",
        str(sample_project / "out"),
        "--offline",
    )
    assert code == 0
    assert "built The Hartwell Home Letter — November 2026" in out
    assert (sample_project / "out" / "2026-11" / "email.html").is_file()


def test_bad_config_is_one_line_naming_file_and_key_with_exit_2(sample_project: Path) -> None:
    config = sample_project / "newsletter.yaml"
    config.write_text(config.read_text().replace("timezone: America/Chicago", "timezone: Nowhere"))
    code, _, err = run("check", "--config", str(config))
    assert code == 2
    assert err.strip().splitlines() == [
        f"newsletter: {config}:{_line_of(config, 'timezone:')}: timezone: unknown timezone: Nowhere"
    ]


def test_bad_month_is_an_error(sample_project: Path) -> None:
    code, _, err = run(
        "build", "--config", str(sample_project / "newsletter.yaml"), "--month", "2026-13"
    )
    assert code == 2
    assert "not a month" in err


def test_check_validates_without_building(sample_project: Path) -> None:
    code, out, _ = run(
        "check", "--config", str(sample_project / "newsletter.yaml"), "--month", "2026-11"
    )
    assert code == 0
    assert "subscribers: 8 client, 5 partner, 8 prospect" in out
    assert out.strip().endswith("ok")
    assert not (sample_project / "build").exists()


def test_check_names_a_broken_subscriber_line(sample_project: Path) -> None:
    csv = sample_project / "subscribers" / "subscribers.csv"
    csv.write_text(csv.read_text() + "broken-address,,,,client,email,,,,,,,,\n")
    code, _, err = run(
        "check", "--config", str(sample_project / "newsletter.yaml"), "--month", "2026-11"
    )
    assert code == 2
    assert f"{csv}:23: email: not a valid address" in err


def test_preview_serves_the_build_folder(sample_project: Path) -> None:
    run(
        "build",
        "--config",
        str(sample_project / "newsletter.yaml"),
        "--month",
        "2026-11",
        "--out",
        str(sample_project / "build"),
        "--offline",
    )
    with serve(sample_project / "build" / "2026-11", port=0) as url:
        page = urllib.request.urlopen(f"{url}email.html", timeout=5).read().decode()
    assert "Hartwell" in page


def test_preview_without_a_build_says_so(sample_project: Path) -> None:
    code, _, err = run(
        "preview",
        "--config",
        str(sample_project / "newsletter.yaml"),
        "--month",
        "2026-11",
        "--out",
        str(sample_project / "nothing"),
    )
    assert code == 2
    assert "run `newsletter build --month 2026-11` first" in err


def test_every_command_is_documented_in_readme() -> None:
    readme = (REPO / "README.md").read_text()
    for name in main.commands:
        assert re.search(rf"newsletter {name}\b", readme), f"README does not document {name}"


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsletter", "--help"], capture_output=True, text=True, check=True
    )
    assert "build" in result.stdout and "check" in result.stdout


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)
