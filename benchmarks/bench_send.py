"""Benchmark: send to deterministic synthetic subscribers through the fake SendGrid server
on loopback (official client), and 1,000 messages over SMTP to aiosmtpd.

Targets (issue 3): 100,000 recipients in ≤ 10 s wall on 2 cores, in ≤ 100 requests, peak
RSS ≤ 300 MB; SMTP ≥ 200 messages/s over reused connections.

    .venv/bin/python benchmarks/bench_send.py [RECIPIENTS ...]   (default: 100000)
"""

from __future__ import annotations

import csv
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newsletter.build import build  # noqa: E402
from newsletter.config import load_config  # noqa: E402
from newsletter.deliver.ledger import Ledger  # noqa: E402
from newsletter.deliver.send import send_issue  # noqa: E402
from newsletter.deliver.sendgrid import SendGridTransport  # noqa: E402
from newsletter.deliver.smtp import SmtpTransport  # noqa: E402
from newsletter.deliver.transport import Message, Recipient  # noqa: E402
from tests.fake_sendgrid import API_KEY, FakeSendGrid  # noqa: E402

SECRET = b"benchmark-secret-0123456789"
MONTH = "2026-11"
SEGMENTS = ("client", "partner", "prospect")


def project(folder: Path, recipients: int) -> Path:
    for part in ("content", "templates", "subscribers"):
        shutil.copytree(REPO / part, folder / part)
    shutil.copy2(REPO / "newsletter.yaml", folder / "newsletter.yaml")
    with (folder / "subscribers" / "subscribers.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "segment", "channels"])
        for n in range(recipients):
            writer.writerow([f"reader{n:07d}@example.com", f"Reader{n}", SEGMENTS[n % 3], "email"])
    return folder / "newsletter.yaml"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_sendgrid(recipients: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeSendGrid() as server:
        settings = load_config(project(Path(tmp), recipients))
        build(settings, MONTH, out_root=Path(tmp) / "build", offline=True)
        rss_before = peak_rss_mb()
        started = time.perf_counter()
        transport = SendGridTransport(API_KEY, base_url=server.base_url)
        with Ledger(Path(tmp) / "state" / "ledger.sqlite") as ledger:
            report = send_issue(
                settings,
                MONTH,
                out_root=Path(tmp) / "build",
                transport=transport,
                ledger=ledger,
                secret=SECRET,
            )
        transport.close()
        elapsed = time.perf_counter() - started
        assert report.sent == recipients == len(set(server.emails())), report
        print(
            f"sendgrid: {recipients:,} recipients in {elapsed:.2f} s "
            f"({recipients / elapsed:,.0f}/s), {len(server.requests)} requests, "
            f"peak RSS {peak_rss_mb():.0f} MB (before send {rss_before:.0f} MB; "
            "includes the fake server in the same process)"
            + ("" if elapsed <= 10 and len(server.requests) <= 100 else "  [MISSED: 10 s, 100 req]")
        )


def bench_smtp(messages: int = 1000) -> None:
    """aiosmtpd runs in its own process (a real peer on the other core), Sink handler."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Sink",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        smtp = SmtpTransport("127.0.0.1", port, tls="none", max_batch=100)
        html = (
            REPO / "tests" / "golden" / MONTH / "segments" / "client" / "email.html"
        ).read_text()
        message = Message("Bench", "news@example.com", "News", None, html, "text version")
        recipients = [
            Recipient(f"r{n}@example.com", f"R {n}", {"%%FIRST_NAME%%": f"R{n}"})
            for n in range(messages)
        ]
        started = time.perf_counter()
        for start in range(0, messages, smtp.max_batch):
            smtp.send_batch(message, recipients[start : start + smtp.max_batch])
        elapsed = time.perf_counter() - started
        smtp.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert not smtp.refused
    rate = messages / elapsed
    print(
        f"smtp: {messages:,} messages in {elapsed:.2f} s = {rate:,.0f} messages/s "
        f"over {smtp.connections} connection(s); target >= 200/s"
        + ("" if rate >= 200 else "  [MISSED]")
    )


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100_000]
    for size in sizes:
        bench_sendgrid(size)
    bench_smtp()


if __name__ == "__main__":
    main()
