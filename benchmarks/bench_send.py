"""Benchmark: send to deterministic synthetic subscribers through the fake SendGrid server
on loopback (official client), and 1,000 messages over SMTP to aiosmtpd.

Targets (issue 3): 100,000 recipients in ≤ 10 s wall on 2 cores, in ≤ 100 requests, peak
RSS ≤ 300 MB; SMTP ≥ 200 messages/s over reused connections.

    .venv/bin/python benchmarks/bench_send.py [RECIPIENTS ...]   (default: 100000)
"""

from __future__ import annotations

import csv
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newsletter.build import build  # noqa: E402
from newsletter.config import load_config  # noqa: E402
from newsletter.deliver.ledger import Ledger  # noqa: E402
from newsletter.deliver.send import content_variants, send_issue  # noqa: E402
from newsletter.deliver.sendgrid import SendGridTransport  # noqa: E402
from newsletter.deliver.smtp import SmtpTransport  # noqa: E402
from newsletter.deliver.transport import Message, Recipient  # noqa: E402
from tests.fake_sendgrid import API_KEY  # noqa: E402

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
    """This process's peak resident memory. Read from VmHWM, not getrusage: Linux carries
    ru_maxrss across exec, so a child would report its parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def send_child(folder: Path, base_url: str) -> None:
    """One whole send in this (fresh) process; prints seconds and peak RSS as JSON."""
    settings = load_config(folder / "newsletter.yaml")
    started = time.perf_counter()
    transport = SendGridTransport(API_KEY, base_url=base_url)
    with Ledger(folder / "state" / "ledger.sqlite") as ledger:
        report = send_issue(
            settings,
            MONTH,
            out_root=folder / "build",
            transport=transport,
            ledger=ledger,
            secret=SECRET,
        )
    transport.close()
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed, "sent": report.sent, "peak_rss_mb": peak_rss_mb()}))


def bench_sendgrid(recipients: int) -> dict[str, float]:
    """Build once, then time a send in a child process (so its peak RSS is the send's
    alone) to the fake server in another process (so the server's memory and CPU are not
    counted as ours: it is SendGrid's side)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = load_config(project(folder, recipients))
        build(settings, MONTH, out_root=folder / "build", offline=True)
        manifest = json.loads((folder / "build" / MONTH / "manifest.json").read_text())
        variants = content_variants(manifest, SEGMENTS)
        server = subprocess.Popen(
            [sys.executable, str(REPO / "benchmarks" / "sendgrid_server.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdin is not None and server.stdout is not None
        try:
            base_url = server.stdout.readline().strip()
            child = subprocess.run(
                [sys.executable, __file__, "--child", tmp, base_url],
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(child.stdout.strip().splitlines()[-1])
            server.stdin.write("stats\n")
            server.stdin.flush()
            stats = json.loads(server.stdout.readline())
        finally:
            server.stdin.close()
            server.wait(timeout=60)
    assert result["sent"] == recipients == stats["accepted"] == stats["distinct"], (result, stats)
    elapsed = result["seconds"]
    # Segments are dealt round-robin; segments whose emails read the same share batches.
    per_variant = Counter(variants[SEGMENTS[n % len(SEGMENTS)]] for n in range(recipients))
    floor = sum(-(-count // 1000) for count in per_variant.values())
    print(
        f"sendgrid: {recipients:,} recipients in {elapsed:.2f} s "
        f"({recipients / elapsed:,.0f}/s, {elapsed / recipients * 1e6:.1f} µs each), "
        f"{stats['requests']} requests (fewest possible for {len(per_variant)} distinct emails "
        f"({' | '.join(f'{v}: {n:,}' for v, n in per_variant.items())}) at 1,000 per "
        f"request: {floor}), peak RSS of the send {result['peak_rss_mb']:.0f} MB"
    )
    return {"seconds": elapsed, "rss": result["peak_rss_mb"], "requests": stats["requests"]}


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
        smtp = SmtpTransport("127.0.0.1", port, tls="none", max_batch=100, parallel=2)
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
        server_cpu = cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert not smtp.refused
    rate = messages / elapsed
    print(
        f"smtp: {messages:,} messages in {elapsed:.2f} s = {rate:,.0f} messages/s "
        f"over {smtp.connections} connection(s), aiosmtpd busy {server_cpu / elapsed:.0%} "
        f"of the time ({server_cpu / messages * 1000:.1f} ms CPU per message); "
        "target >= 200/s" + ("" if rate >= 200 else "  [MISSED]")
    )


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        send_child(Path(sys.argv[2]), sys.argv[3])
        return
    sizes = [int(a) for a in sys.argv[1:]] or [100_000, 1_000_000]
    runs = {size: bench_sendgrid(size) for size in sizes}
    first, last = sizes[0], sizes[-1]
    if last != first:
        per_first = runs[first]["seconds"] / first
        per_last = runs[last]["seconds"] / last
        print(
            f"scaling {first:,} -> {last:,}: time per recipient x{per_last / per_first:.2f} "
            f"(1.00 = linear), peak RSS x{runs[last]['rss'] / runs[first]['rss']:.2f} "
            "(1.00 = flat)"
        )
    target = runs.get(100_000)
    if target:
        met = target["seconds"] <= 10 and target["rss"] <= 300
        print(
            "target 100,000 in <= 10 s, <= 300 MB: "
            + ("met" if met else "MISSED")
            + "; <= 100 requests: see the floor above"
        )
    bench_smtp()


if __name__ == "__main__":
    main()
