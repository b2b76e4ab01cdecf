"""The Makefile and its helper scripts: every target exists, is documented and runs.

`make -n` shows each target's commands without running them; the scripts that guard the
secrets and the live send run against a stand-in `newsletter` that only records its
arguments.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TARGETS = (
    "setup",
    "issue",
    "preview",
    "check",
    "doctor",
    "send",
    "send-live",
    "print",
    "referrals",
    "report",
    "serve",
    "desk-pull",
    "test",
    "bench",
    "lint",
    "docs",
    "docs-serve",
    "update-golden",
    "clean",
    "help",
)
SAMPLE_SECRET = "sample-only-secret-not-for-real-mail"
REAL_SECRET = "a-real-secret-of-enough-length"


def makefile_targets() -> list[str]:
    text = (REPO / "Makefile").read_text()
    return re.findall(r"^([a-z][a-z-]*):", text, re.MULTILINE)


def make_n(target: str, **variables: str) -> str:
    assigned = [f"{k}={v}" for k, v in {"MONTH": "2026-11", **variables}.items()]
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", target, *assigned],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_required_target_exists_and_is_phony() -> None:
    text = (REPO / "Makefile").read_text()
    phony = set(re.search(r"^\.PHONY:(.*?)(?<!\\)$", text, re.MULTILINE | re.DOTALL)[1].split())
    phony.discard("\\")
    assert set(TARGETS) <= set(makefile_targets())
    assert set(makefile_targets()) <= phony


@pytest.mark.parametrize("target", TARGETS)
def test_make_n_shows_the_targets_commands(target: str) -> None:
    make_n(target)


def test_the_readme_documents_every_target() -> None:
    readme = (REPO / "README.md").read_text()
    for target in makefile_targets():
        assert f"`make {target}" in readme, target
    assert "make issue" in readme and "make test" in readme


def test_make_test_runs_the_readme_test_command_and_ci_runs_make_test() -> None:
    assert f"{'.venv'}/bin/python -m pytest" in make_n("test")
    ci_run = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci_run, re.MULTILINE)
    assert re.search(r"^bash \.ci/deps$", ci_run, re.MULTILINE)
    assert "scripts/system-deps.sh --require" in (REPO / ".ci" / "deps").read_text()


def test_make_send_is_a_dry_run_and_send_live_is_guarded() -> None:
    send = make_n("send")
    assert "newsletter send --month 2026-11" in send
    assert "--yes" not in send
    live = make_n("send-live", SEND_ARGS="--limit 10")
    assert "scripts/send-live.sh .venv/bin/newsletter 2026-11 --limit 10" in live
    assert "newsletter print --month 2026-11 --package" in make_n("print")
    assert "newsletter referral report --month 2026-11" in make_n("referrals")


def test_make_report_writes_the_monthly_report_without_a_secret() -> None:
    report = make_n("report")
    assert "newsletter report --month 2026-11" in report


# -- the secret and the live send ------------------------------------------------------


@pytest.fixture
def stand_in(tmp_path: Path) -> Path:
    """A `newsletter` that appends its arguments and secret to calls.log and succeeds."""
    command = tmp_path / "newsletter"
    command.write_text(
        '#!/bin/sh\necho "$* secret=${NEWSLETTER_SECRET:-}" >> "$(dirname "$0")/calls.log"\n'
    )
    command.chmod(command.stat().st_mode | stat.S_IXUSR)
    return command


def run_script(name: str, *args: str, env: dict[str, str], stdin: str = "") -> tuple[int, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("NEWSLETTER_SECRET", "CONFIRM")}
    base.pop("SENDGRID_API_KEY", None)
    result = subprocess.run(
        [str(REPO / "scripts" / name), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        input=stdin,
        env={**base, "NEWSLETTER_PYTHON": sys.executable, **env},
        timeout=60,
    )
    return result.returncode, result.stderr


def calls(stand_in: Path) -> list[str]:
    log = stand_in.parent / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_make_preview_takes_a_port() -> None:
    assert "newsletter preview --month 2026-11 --port 8000" in make_n("preview")
    assert "newsletter preview --month 2026-11 --port 8001" in make_n("preview", PORT="8001")


def serve_words(**variables: str) -> list[str]:
    """The words of `make serve`'s command, its continued lines joined."""
    shown = make_n("serve", **variables).replace("\\\n", " ")
    line = next(line for line in shown.splitlines() if "newsletter serve" in line)
    return line.split()


def test_make_serve_passes_the_desks_options_given_and_no_others() -> None:
    assert serve_words() == [".venv/bin/newsletter", "serve"]
    assert serve_words(
        DESK_HOST="0.0.0.0",
        DESK_PORT="8081",
        DESK_PUBLIC_URL="https://desk.example.com/",
        DESK_INBOX="/srv/inbox.sqlite",
        DESK_PROXIES="127.0.0.1",
        SERVE_ARGS="--no-email",
    ) == [
        ".venv/bin/newsletter",
        "serve",
        *("--host", "0.0.0.0", "--port", "8081", "--public-url", "https://desk.example.com/"),
        *("--inbox", "/srv/inbox.sqlite", "--proxies", "127.0.0.1", "--no-email"),
    ]


def test_no_target_wraps_a_command_to_give_it_a_secret() -> None:
    text = (REPO / "Makefile").read_text()
    assert "with-secret" not in text  # the rule is the package's own (config/secrets.py)
    assert not (REPO / "scripts" / "with-secret.sh").exists()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "set NEWSLETTER_SECRET"),
        ({"NEWSLETTER_SECRET": SAMPLE_SECRET}, "NEWSLETTER_SECRET is the sample-only secret"),
        ({"NEWSLETTER_SECRET": REAL_SECRET}, "set SENDGRID_API_KEY"),
    ],
)
def test_send_live_refuses_without_the_real_secrets(
    stand_in: Path, env: dict[str, str], message: str
) -> None:
    code, err = run_script(
        "send-live.sh", str(stand_in), "2026-11", env={"CONFIRM": "2026-11", **env}
    )
    assert code == 1
    assert message in err
    assert calls(stand_in) == []


def test_send_live_without_confirmation_stops_after_the_dry_run(stand_in: Path) -> None:
    env = {"NEWSLETTER_SECRET": REAL_SECRET, "SENDGRID_API_KEY": "SG.x"}
    code, err = run_script("send-live.sh", str(stand_in), "2026-11", env=env)
    assert code == 1
    assert "run again with CONFIRM=2026-11" in err
    assert calls(stand_in) == [f"send --month 2026-11 secret={REAL_SECRET}"]


def test_send_live_with_confirmation_sends(stand_in: Path) -> None:
    env = {"NEWSLETTER_SECRET": REAL_SECRET, "SENDGRID_API_KEY": "SG.x", "CONFIRM": "2026-11"}
    code, err = run_script("send-live.sh", str(stand_in), "2026-11", "--limit", "5", env=env)
    assert code == 0, err
    assert calls(stand_in) == [
        f"send --month 2026-11 --limit 5 secret={REAL_SECRET}",
        f"send --month 2026-11 --yes --limit 5 secret={REAL_SECRET}",
    ]


def test_send_live_confirmation_must_name_the_month(stand_in: Path) -> None:
    env = {"NEWSLETTER_SECRET": REAL_SECRET, "SENDGRID_API_KEY": "SG.x", "CONFIRM": "2026-10"}
    code, _ = run_script("send-live.sh", str(stand_in), "2026-11", env=env)
    assert code == 1
    assert len(calls(stand_in)) == 1  # the dry run only


# -- scripts/system-deps.sh ------------------------------------------------------------


@pytest.fixture
def fake_system(tmp_path: Path) -> Path:
    """A PATH where `ldconfig` knows no library and `id` says we are not root."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in {"ldconfig": "exit 0", "id": "echo 1000", "uname": "echo Linux"}.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return bin_dir


def system_deps(bin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "system-deps.sh"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        timeout=60,
    )


def test_missing_libraries_without_root_are_named_not_installed(fake_system: Path) -> None:
    result = system_deps(fake_system)
    assert result.returncode == 0
    assert "libpango-1.0-0" in result.stderr and "libpangoft2-1.0-0" in result.stderr
    assert "libharfbuzz-subset0" in result.stderr
    assert "sudo apt-get install" in result.stderr
    assert system_deps(fake_system, "--require").returncode == 1


def test_present_libraries_are_skipped_quietly(fake_system: Path) -> None:
    listing = (
        "\\tlibpango-1.0.so.0 => /x\\n\\tlibpangoft2-1.0.so.0 => /y"
        "\\n\\tlibharfbuzz-subset.so.0 => /z"
    )
    (fake_system / "ldconfig").write_text(f"#!/bin/sh\nprintf '{listing}\\n'\n")
    result = system_deps(fake_system)
    assert result.returncode == 0
    assert result.stderr == ""
    assert system_deps(fake_system, "--bogus").returncode == 2


def on_a_mac(bin_dir: Path, installed: str = "", brew: bool = True) -> Path:
    """``bin_dir`` as a Mac: `uname` says Darwin, and a `brew` that knows ``installed``
    (formulae, space-separated) and logs what it is asked to install."""
    (bin_dir / "uname").write_text("#!/bin/sh\necho Darwin\n")
    if brew:
        (bin_dir / "brew").write_text(
            "#!/bin/sh\n"
            'if [ "$1" = list ]; then case " ' + installed + ' " in *" $3 "*) exit 0;; esac;'
            " exit 1; fi\n"
            'echo "$*" >> "$(dirname "$0")/brew.log"\n'
        )
        (bin_dir / "brew").chmod(0o755)
    return bin_dir


def test_on_a_mac_missing_formulae_are_installed_with_homebrew(fake_system: Path) -> None:
    result = system_deps(on_a_mac(fake_system, installed="harfbuzz"))
    assert result.returncode == 0, result.stderr
    assert "installing pango with Homebrew" in result.stderr
    assert (fake_system / "brew.log").read_text().splitlines() == ["install pango"]


def test_on_a_mac_with_everything_installed_nothing_is_said(fake_system: Path) -> None:
    result = system_deps(on_a_mac(fake_system, installed="pango harfbuzz"))
    assert (result.returncode, result.stderr) == (0, "")
    assert not (fake_system / "brew.log").exists()


def test_on_a_mac_without_homebrew_the_install_command_is_named(fake_system: Path) -> None:
    mac = on_a_mac(fake_system, brew=False)
    clean_path = os.pathsep.join(
        p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "brew").exists()
    )
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "system-deps.sh"), "--require"],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{mac}{os.pathsep}{clean_path}"},
        timeout=60,
    )
    assert result.returncode == 1
    assert "install Homebrew (https://brew.sh), then: brew install pango harfbuzz" in result.stderr
