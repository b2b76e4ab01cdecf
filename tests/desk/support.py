"""The desk as the tests run it: a real server process on loopback, started with the
command the README gives, on a copy of the sample project that mails through aiosmtpd."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.smtp_server import free_port

SECRET = "sample-only-secret-not-for-real-mail"
"""The sample-only secret (newsletter/config/secrets.py): the sample ledger's codes use it."""
ADMIN_TOKEN = "desk-admin-token-for-tests-0123456789abcdef"
MARIA_CODE = "WDTD6PDE"
"""maria.gonzalez@example.com's code; she said yes to being named on lead 1."""
STARTUP = 30.0


def desk_project(project: Path, smtp_port: int) -> Path:
    """The sample project at ``project``, sending its mail to the SMTP server on loopback."""
    config = project / "newsletter.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + f"\ndelivery:\n  transport: smtp\n  smtp:\n    host: 127.0.0.1\n"
        f"    port: {smtp_port}\n    tls: none\n    connections: 1\n",
        encoding="utf-8",
    )
    return project


def desk_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "SENDGRID_"))}
    env.update({"NEWSLETTER_SECRET": SECRET, "NEWSLETTER_DESK_TOKEN": ADMIN_TOKEN, **extra})
    return env


NEWSLETTER = str(Path(sys.executable).with_name("newsletter"))
"""The installed console script."""


def newsletter(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The console script run on ``project`` (from its folder: build/ is relative to where
    a command runs), with the desk's environment and ``env``."""
    return subprocess.run(
        [NEWSLETTER, *args, "--config", str(project / "newsletter.yaml")],
        env=desk_env(**env),
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
    )


def newsletter_ok(project: Path, *args: str) -> str:
    """What the console script prints on ``project``, which must succeed."""
    done = newsletter(project, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def serve_command(project: Path, *options: str) -> list[str]:
    """``newsletter serve`` as README gives it."""
    return [NEWSLETTER, "serve", "--config", str(project / "newsletter.yaml"), *options]


def use_desk(project: Path, port: int, **settings: float | str) -> None:
    """Give the project's config a ``desk:`` section for a desk on loopback at ``port``
    (in place of the one it has)."""
    config = project / "newsletter.yaml"
    section = {"public_url": f"http://127.0.0.1:{port}/", "port": port, **settings}
    lines = "".join(f"  {key}: {value}\n" for key, value in section.items())
    text = without_desk(config.read_text(encoding="utf-8"))
    config.write_text(text + f"\ndesk:\n{lines}", encoding="utf-8")


def without_desk(config: str) -> str:
    """A config's text without its top-level ``desk:`` section."""
    return re.sub(r"(?m)^desk:\n(?:[ #].*\n|\n)*", "", config)


@dataclass
class RunningDesk:
    project: Path
    port: int
    options: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=desk_env)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    files: int | None = None
    """The server process's limit of open files (``ulimit -n``), when lowered."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def inbox(self) -> Path:
        return self.project / "state" / "desk" / "inbox.sqlite"

    @property
    def log(self) -> Path:
        return self.project / f"desk-{self.port}.log"

    def start(self) -> RunningDesk:
        self.starts += 1
        command = serve_command(
            self.project, "--port", str(self.port), "--public-url", self.url, *self.options
        )
        if self.files is not None:
            command = ["sh", "-c", f'ulimit -n {self.files} && exec "$@"', "sh", *command]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.project,
            )
        deadline = time.monotonic() + STARTUP
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the desk stopped at start:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"the desk did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def rss_mb(self, field: str = "VmRSS") -> float:
        """The server process's resident memory, in MB (``VmHWM``: its peak)."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(status.split(f"{field}:")[1].split()[0]) / 1024

    def peak_from_now(self) -> None:
        """Start counting the process's peak memory (``rss_mb("VmHWM")``) afresh."""
        assert self.process is not None
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def outbox(self, kind: str) -> list[tuple[int, str]]:
        return outbox_jobs(self.inbox, kind)

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The inbox's events, read from the file as a pull would."""
        db = sqlite3.connect(f"file:{self.inbox}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT id, kind, at, data FROM events ORDER BY id").fetchall()
        finally:
            db.close()
        found = [{"id": r[0], "kind": r[1], "at": r[2], "data": json.loads(r[3])} for r in rows]
        return [e for e in found if kind is None or e["kind"] == kind]


def outbox_jobs(inbox: Path, kind: str) -> list[tuple[int, str]]:
    """(event, state) of the outbox's jobs of ``kind``, read from the inbox file."""
    db = sqlite3.connect(f"file:{inbox}?mode=ro", uri=True)
    try:
        return db.execute("SELECT event, state FROM outbox WHERE kind = ?", (kind,)).fetchall()
    finally:
        db.close()


def start_desk(
    project: Path,
    *options: str,
    desk: dict[str, float | str] | None = None,
    files: int | None = None,
    **env: str,
) -> RunningDesk:
    """The desk of ``project`` on a free port (its config given a ``desk:`` section with
    ``desk``'s extra settings), started with ``newsletter serve`` and ``options`` (and a
    limit of ``files`` open files)."""
    port = free_port()
    use_desk(project, port, **(desk or {}))
    return RunningDesk(project, port, tuple(options), desk_env(**env), files=files).start()


def wait_for(condition: Any, timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll ``condition()`` until it returns something true; its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def form_token(page: str) -> str:
    marker = 'name="form" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]
