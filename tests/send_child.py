"""A send run in its own process, so tests/deliver/test_send_kill.py can SIGKILL it mid-way.

    python -m tests.send_child PROJECT MONTH BASE_URL API_KEY MAX_BATCH CONCURRENCY

Sends the built ``MONTH`` of the project at ``PROJECT`` to the (fake) SendGrid server at
``BASE_URL`` in batches of ``MAX_BATCH``, ``CONCURRENCY`` requests at once, with the
ledger at PROJECT/state/ledger.sqlite.
"""

from __future__ import annotations

import sys
from pathlib import Path

from newsletter.config import load_config
from newsletter.deliver.job import run_send, skip_desk_check
from newsletter.deliver.ledger import Ledger
from newsletter.deliver.send import issue_job
from newsletter.deliver.sendgrid import SendGridTransport

SECRET = b"a-test-secret-of-enough-length"


def main(argv: list[str]) -> int:
    project, month, base_url, api_key, max_batch, concurrency = argv
    root = Path(project)
    settings = load_config(root / "newsletter.yaml")
    transport = SendGridTransport(
        api_key, base_url=base_url, timeout=30, max_retries=0, concurrency=int(concurrency)
    )
    transport.max_batch = int(max_batch)
    with transport, Ledger(root / "state" / "ledger.sqlite") as ledger:
        report = run_send(
            issue_job(settings, month, out_root=root / "build", secret=SECRET),
            transport=transport,
            ledger=ledger,
            desk_check=skip_desk_check,  # the sample has no desk
        )
    print(f"sent {report.sent} in {report.batches} batches")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
