"""Benchmark a whole send: synthetic subscribers, the send's SendGrid transport against the
tests' fake SendGrid server in a process of its own (SendGrid's side: its CPU is not the
send's), and SMTP to aiosmtpd in a process of its own.

Each send runs in a fresh process, from reading the list to the last ledger row, as
``newsletter send --yes`` runs it: that process's wall time, CPU time (every thread) and
peak RSS are the send's alone. Figures are medians over --repeat runs, each from an empty
ledger. The shared machine's speed drifts within minutes: compare a change with its parent
in alternate runs, at the same hour, and read CPU seconds as the steadier guide.

The list is in address order unless --order signup shuffles it (a real list is in the
order people signed up): the ledger's (send key, address) index then takes each batch's
rows at pages spread over the whole list.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from _support import REPO

from newsletter.config import load_config
from newsletter.deliver.job import run_send, skip_desk_check
from newsletter.deliver.ledger import Ledger
from newsletter.deliver.send import issue_job
from newsletter.deliver.sendgrid import SendGridTransport
from newsletter.deliver.smtp import SmtpTransport
from newsletter.deliver.transport import Message, Recipient
from newsletter.model import SEGMENTS
from newsletter.pipeline.manifest import content_variants

SECRET = b"benchmark-secret-0123456789"
MONTH = "2026-11"
SERVER = [sys.executable, str(REPO / "benchmarks" / "sendgrid_server.py")]
AIOSMTPD = [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink"]
TARGETS = {  # (recipients, latency) -> (wall seconds, peak RSS MB or None): issue 26
    (100_000, 0.0): (3.5, None),
    (100_000, 0.2): (4.0, None),
    (1_000_000, 0.0): (35.0, 120.0),
}
CPU_PER_100K = 2.5  # target seconds of the send's CPU (imports included) per 100,000
EPILOG = """workloads (default: the three of issue 26's table):
  100000        100,000 recipients, the fake server answering at once   target <= 3.5 s
  100000@0.2    100,000 recipients, the fake server answering in 200 ms target <= 4 s
  1000000       1,000,000 recipients, answering at once   target <= 35 s, <= 120 MB
  and in each, the send's CPU <= 2.5 s per 100,000 recipients

examples:
  .venv/bin/python benchmarks/bench_send.py
  .venv/bin/python benchmarks/bench_send.py 100000@0.2 --repeat 5 --smtp-messages 0
  .venv/bin/python benchmarks/bench_send.py 10000 50000 --order signup --smtp-messages 0
"""


@dataclass(frozen=True)
class Workload:
    recipients: int
    latency: float  # seconds the fake server waits before each answer

    @classmethod
    def parse(cls, text: str) -> Workload:
        count, _, latency = text.partition("@")
        try:
            return cls(int(count.replace("_", "")), float(latency or 0))
        except ValueError:
            raise argparse.ArgumentTypeError(f"not RECIPIENTS[@LATENCY]: {text!r}") from None

    def __str__(self) -> str:
        answer = "at once" if not self.latency else f"in {self.latency * 1000:.0f} ms"
        return f"{self.recipients:,} recipients, answering {answer}"


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench_send.py",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "workloads",
        nargs="*",
        type=Workload.parse,
        metavar="RECIPIENTS[@LATENCY]",
        help="list size, and seconds the fake SendGrid waits before answering each request",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="sends per workload; the figures are their medians (default 3)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        metavar="N",
        help="requests in flight at once (default: delivery.sendgrid.concurrency, 8)",
    )
    parser.add_argument(
        "--smtp-messages",
        type=int,
        default=1000,
        metavar="N",
        help="messages for the SMTP benchmark against aiosmtpd; 0 skips it (default 1000)",
    )
    parser.add_argument(
        "--order",
        choices=("address", "signup"),
        default="address",
        help="the list in address order, or shuffled as people sign up (default address)",
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # FOLDER URL CONCURRENCY
    options = parser.parse_args(argv)
    options.workloads = options.workloads or [Workload(n, s) for n, s in TARGETS]
    return options


def project(folder: Path, recipients: int, order: str = "address") -> Path:
    for part in ("content", "templates", "subscribers"):
        shutil.copytree(REPO / part, folder / part)
    shutil.copy2(REPO / "newsletter.yaml", folder / "newsletter.yaml")
    numbers = list(range(recipients))
    if order == "signup":
        random.Random(26).shuffle(numbers)
    with (folder / "subscribers" / "subscribers.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "segment", "channels"])
        for n in numbers:
            writer.writerow([f"reader{n:07d}@example.com", f"Reader{n}", SEGMENTS[n % 3], "email"])
    return folder / "newsletter.yaml"


def peak_rss_mb(pid: int | None = None) -> float:
    """A process's peak resident memory (this one's by default). Read from VmHWM, not
    getrusage: Linux carries ru_maxrss across exec, so a child would report its parent's
    peak."""
    with open(f"/proc/{pid or 'self'}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def send_child(folder: Path, base_url: str, concurrency: int) -> None:
    """One whole send in this (fresh) process; prints its figures as JSON."""
    started = time.perf_counter()
    settings = load_config(folder / "newsletter.yaml")
    concurrency = concurrency or settings.config.delivery.sendgrid.concurrency
    transport = SendGridTransport(
        os.environ["SENDGRID_API_KEY"], base_url=base_url, concurrency=concurrency
    )
    with transport, Ledger(folder / "state" / "ledger.sqlite") as ledger:
        report = run_send(
            issue_job(settings, MONTH, out_root=folder / "build", secret=SECRET),
            transport=transport,
            ledger=ledger,
            desk_check=skip_desk_check,  # the benchmark's project has no desk
        )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures = {
        "seconds": time.perf_counter() - started,
        "cpu": usage.ru_utime + usage.ru_stime,
        "sent": report.sent,
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(figures))


def run_once(folder: Path, workload: Workload, concurrency: int) -> dict[str, float]:
    shutil.rmtree(folder / "state", ignore_errors=True)
    server = subprocess.Popen(
        [*SERVER, "--latency", str(workload.latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        base_url = server.stdout.readline().strip()
        api_key = server.stdout.readline().strip()  # the fake's; secrets go by environment
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(folder), base_url, str(concurrency)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "SENDGRID_API_KEY": api_key},
        )
        figures: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
        server.stdin.write("stats\n")
        server.stdin.flush()
        stats = json.loads(server.stdout.readline())
    finally:
        server.stdin.close()
        server.wait(timeout=120)
    sent = int(figures["sent"])
    assert sent == workload.recipients == stats["accepted"] == stats["distinct"], (figures, stats)
    return {**figures, "requests": stats["requests"], "server_cpu": stats["cpu"]}


def bench_sendgrid(workload: Workload, repeat: int, concurrency: int, order: str) -> None:
    """Build once, then send ``repeat`` times, each from an empty ledger."""
    # Imported here, not at the top: the child that sends imports only what a send does.
    from newsletter.pipeline.build import build

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = load_config(project(folder, workload.recipients, order))
        build(settings, MONTH, out_root=folder / "build", offline=True)
        manifest = json.loads((folder / "build" / MONTH / "manifest.json").read_text())
        runs = [run_once(folder, workload, concurrency) for _ in range(repeat)]
    variants = content_variants(manifest, SEGMENTS)
    per_variant = Counter(variants[SEGMENTS[n % 3]] for n in range(workload.recipients))
    fewest = sum(-(-count // 1000) for count in per_variant.values())

    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    wall, rss = median("seconds"), median("peak_rss_mb")
    each = ", ".join(f"{run['seconds']:.2f}" for run in runs)
    cpu = median("cpu")
    print(
        f"sendgrid, {workload}, {order} order: {wall:.2f} s wall (runs: {each}), {cpu:.2f} s CPU, "
        f"{wall / workload.recipients * 1e6:.1f} µs a recipient, peak RSS {rss:.0f} MB, "
        f"{median('requests'):.0f} requests (fewest for {len(per_variant)} distinct emails "
        f"at 1,000 a request: {fewest}); the fake server used {median('server_cpu'):.2f} s CPU"
    )
    target = TARGETS.get((workload.recipients, workload.latency))
    if target:
        seconds, megabytes = target
        most_cpu = CPU_PER_100K * workload.recipients / 100_000
        met = cpu <= most_cpu and wall <= seconds and (megabytes is None or rss <= megabytes)
        limits = f"<= {seconds:g} s, <= {most_cpu:g} s CPU"
        limits += f", <= {megabytes:g} MB" if megabytes else ""
        print(f"  target {limits}: {'met' if met else 'MISSED'}")


def bench_smtp(messages: int) -> None:
    """aiosmtpd runs in its own process (a real peer on the other core), Sink handler."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [*AIOSMTPD, "-l", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        smtp = SmtpTransport("127.0.0.1", port, tls="none", max_batch=100)
        html = (REPO / "tests" / "golden" / MONTH / "segments/client/email.html").read_text()
        message = Message("Bench", "news@example.com", "News", None, html, "text version")
        recipients = [
            Recipient(f"r{n}@example.com", f"R {n}", {"%%FIRST_NAME%%": f"R{n}"})
            for n in range(messages)
        ]
        started = time.perf_counter()
        sent = 0
        for start in range(0, messages, smtp.max_batch):
            sent += len(smtp.send_batch(message, recipients[start : start + smtp.max_batch]).sent)
        elapsed = time.perf_counter() - started
        smtp.close()
        server_cpu = cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert sent == messages
    rate = messages / elapsed
    print(
        f"smtp: {messages:,} messages in {elapsed:.2f} s = {rate:,.0f} messages/s over one "
        f"connection, aiosmtpd busy {server_cpu / elapsed:.0%} of the time "
        f"({server_cpu / messages * 1000:.1f} ms CPU a message)"
    )


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str]) -> None:
    options = arguments(argv)
    if options.child:
        folder, base_url, concurrency = options.child
        send_child(Path(folder), base_url, int(concurrency))
        return
    for workload in options.workloads:
        bench_sendgrid(workload, options.repeat, options.concurrency or 0, options.order)
    if options.smtp_messages:
        bench_smtp(options.smtp_messages)


if __name__ == "__main__":
    main(sys.argv[1:])
