"""Benchmark what the monthly workflow's checkpoints cost a send: ``newsletter send --yes``
against the fake SendGrid (a process of its own), once plain and once with
``--checkpoint-command "python3 scripts/state_branch.py save --month M"`` pushing the ledger
to the ``state`` branch of a local bare repository before each group of batches goes out
and when the send is over, as the workflow's send step does.

Each send runs in a fresh clone (as a runner's checkout), from an empty ledger and a remote
with no state branch; the two kinds alternate, so the shared machine's drift touches both.
With --sealed the project's data is sealed (``newsletter keys``) and unlocked in each
clone, so each checkpoint seals the ledger for the state branch. Figures are medians over
--repeat runs of each.

examples:
  .venv/bin/python benchmarks/bench_checkpoint.py
  .venv/bin/python benchmarks/bench_checkpoint.py 5000 --repeat 5 --every 4
  .venv/bin/python benchmarks/bench_checkpoint.py 100000 --sealed
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _support import REPO, copy_sample, record

MONTH = "2026-11"
SEGMENTS = ("client", "partner", "prospect")
NEWSLETTER = Path(sys.executable).with_name("newsletter")
SERVER = [sys.executable, str(REPO / "benchmarks" / "sendgrid_server.py")]
CODE = ("scripts", ".gitignore")
"""What the send's checkout needs besides the business's files."""
IDENTITY = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "recipients",
        nargs="*",
        type=int,
        default=[5000, 100_000],
        help="list sizes to send to (default: 5000 100000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="sends of each kind (default 3)")
    parser.add_argument(
        "--every", type=int, default=16, help="batches per checkpoint (default 16, the workflow's)"
    )
    parser.add_argument(
        "--sealed", action="store_true", help="seal the project's data, and so the ledger's saves"
    )
    return parser.parse_args(argv)


def keys_environment(folder: Path) -> dict[str, str]:
    """Where this benchmark's key lives (never the machine owner's key file)."""
    return {**os.environ, "XDG_CONFIG_HOME": str(folder / "config")}


def newsletter(cwd: Path, folder: Path, *args: str) -> str:
    done = subprocess.run(
        [str(NEWSLETTER), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={**keys_environment(folder), **IDENTITY},
    )
    return done.stdout


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **IDENTITY},
    )
    return done.stdout


def business(folder: Path, recipients: int, sealed: bool) -> Path:
    """The sample's config, content and templates with ``recipients`` synthetic readers,
    built, committed to a repository of its own."""
    project = copy_sample(folder / "project")
    for part in CODE:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, project / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / part)
    with (project / "subscribers" / "subscribers.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "segment", "channels"])
        for n in range(recipients):
            writer.writerow([f"reader{n:07d}@example.com", f"Reader{n}", SEGMENTS[n % 3], "email"])
    subprocess.run(
        [str(NEWSLETTER), "build", "--month", MONTH, "--offline", "--out", "build"],
        cwd=project,
        check=True,
        capture_output=True,
    )
    git(project, "init", "--quiet", "--initial-branch=main")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "the newsletter")
    if sealed:
        recipient = newsletter(project, folder, "keys", "create").strip().splitlines()[-1]
        newsletter(project, folder, "keys", "add", "bench", recipient)
        git(project, "commit", "--quiet", "-m", "sealed")
    return project


def send_once(
    folder: Path, project: Path, server: tuple[str, str], every: int | None, sealed: bool
) -> float:
    """One send from a fresh clone and an empty remote; its wall seconds."""
    for leftover in ("remote.git", "checkout"):
        shutil.rmtree(folder / leftover, ignore_errors=True)
    remote, checkout = folder / "remote.git", folder / "checkout"
    git(folder, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    git(project, "push", "--quiet", "--force", str(remote), "main")
    git(folder, "clone", "--quiet", "--depth=1", remote.as_uri(), str(checkout))
    shutil.copytree(project / "build" / MONTH, checkout / "build" / MONTH)
    if sealed:
        newsletter(checkout, folder, "keys", "unlock")
    options = ["--month", MONTH, "--yes", "--silent", "--skip-desk-check", "--out", "build"]
    if every is not None:
        git(checkout, "config", "user.useConfigOnly", "true")  # the script's own identity
        subprocess.run(
            ["python3", "scripts/state_branch.py", "restore", "--ledger-only"],
            cwd=checkout,
            check=True,
            capture_output=True,
            env=keys_environment(folder),
        )
        save = f"python3 scripts/state_branch.py save --month {MONTH}"
        options += ["--checkpoint-command", save, "--checkpoint-every", str(every)]
    base_url, api_key = server
    started = time.perf_counter()
    subprocess.run(
        [str(NEWSLETTER), "send", *options],
        cwd=checkout,
        check=True,
        capture_output=True,
        env={
            **keys_environment(folder),
            "NEWSLETTER_SECRET": "benchmark-secret-0123456789",
            "SENDGRID_API_KEY": api_key,
            "SENDGRID_API_URL": base_url,
        },
    )
    return time.perf_counter() - started


def pushes(folder: Path) -> int:
    return int(git(folder / "remote.git", "rev-list", "--count", "state").strip())


def bench(recipients: int, repeat: int, every: int, sealed: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project = business(folder, recipients, sealed)
        server = subprocess.Popen(SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert server.stdin is not None and server.stdout is not None
        try:
            address = (server.stdout.readline().strip(), server.stdout.readline().strip())
            plain, checkpointed, commits = [], [], 0
            for _ in range(repeat):
                plain.append(send_once(folder, project, address, None, sealed))
                checkpointed.append(send_once(folder, project, address, every, sealed))
                commits = pushes(folder)
        finally:
            server.stdin.close()
            server.wait(timeout=120)
    without, with_ = statistics.median(plain), statistics.median(checkpointed)
    kind = "sealed " if sealed else ""
    print(
        f"{recipients:,} recipients, {kind}project: send {without:.2f} s plain, "
        f"{with_:.2f} s with a checkpoint "
        f"every {every} batches ({commits} pushes of the ledger): +{with_ - without:.2f} s "
        f"(medians of {repeat}; plain runs {', '.join(f'{s:.2f}' for s in plain)}; "
        f"checkpointed {', '.join(f'{s:.2f}' for s in checkpointed)})"
    )
    record(f"send {recipients:,}, {kind}plain", plain, "s")
    record(
        f"send {recipients:,}, {kind}checkpointed to a bare remote every {every}", checkpointed, "s"
    )


def main(argv: list[str]) -> None:
    options = arguments(argv)
    for recipients in options.recipients:
        bench(recipients, options.repeat, options.every, options.sealed)


if __name__ == "__main__":
    main(sys.argv[1:])
