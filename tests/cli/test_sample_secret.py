"""Every command follows the one rule for the sample secret, run as a user runs it: the
console script, with NEWSLETTER_SECRET unset."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from newsletter.audience.tokens import referral_code
from newsletter.config.secrets import SAMPLE_SECRET
from tests.project_factory import NEWSLETTER, build, make_project, read_config, write_config


def run(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The console script on ``project`` with no secret in its environment but ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSLETTER_", "SENDGRID_"))}
    return subprocess.run(
        [NEWSLETTER, *args, "--config", str(project / "newsletter.yaml")],
        cwd=project,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def add_lead(project: Path) -> subprocess.CompletedProcess[str]:
    code = referral_code(SAMPLE_SECRET.encode(), "ana@example.com")
    return run(
        project, "referral", "add", "--ref", code, "--name", "Jo Park", "--phone", "503 555 0100"
    )


def test_referral_add_on_a_project_sending_from_an_example_address_needs_no_secret(
    tmp_path: Path,
) -> None:
    done = add_lead(make_project(tmp_path / "shop"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("added lead 1: Jo Park, referred by Ana Lee")
    warning = "warning: NEWSLETTER_SECRET is not set: using the sample-only secret"
    assert done.stderr.count(warning) == 1


def test_a_project_with_a_real_sender_is_told_to_set_its_secret(tmp_path: Path) -> None:
    project = make_project(tmp_path / "shop")
    config = read_config(project)
    config["sender"]["email"] = "news@fixture-plumbing.com"
    write_config(project, config)
    done = add_lead(project)
    assert done.returncode == 2
    assert done.stderr.startswith("newsletter: NEWSLETTER_SECRET: set NEWSLETTER_SECRET to a")


def test_a_live_send_from_a_real_sender_refuses_the_sample_only_secret_before_anything(
    tmp_path: Path,
) -> None:
    project = make_project(tmp_path / "shop")
    config = read_config(project)
    config["sender"]["email"] = "news@fixture-plumbing.com"
    write_config(project, config)
    assert build(project).returncode == 0
    done = run(
        project,
        "send",
        "--month",
        "2026-11",
        "--yes",
        "--skip-desk-check",
        NEWSLETTER_SECRET=SAMPLE_SECRET,
    )
    assert done.returncode == 2
    assert "the sample-only secret, which never sends real mail" in done.stderr
    assert not (project / "state" / "ledger.sqlite").exists()
