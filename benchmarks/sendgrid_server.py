"""The fake SendGrid server in a process of its own, for benchmarks.

    python benchmarks/sendgrid_server.py [--latency SECONDS]

Prints its base URL on the first line of stdout and the API key it accepts on the
second; each line ``stats`` on stdin answers one JSON line (requests, accepted, distinct
addresses, the server's CPU seconds); end of input stops it.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

# The one benchmark helper that runs test code: the fake SendGrid server the tests use
# (tests/fake_sendgrid.py), in a process of its own. No benchmark script imports tests.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_sendgrid import API_KEY, FakeSendGrid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long before answering each request, as SendGrid does (default 0)",
    )
    options = parser.parse_args()
    # Polling for shutdown at the stdlib's 0.5 s, not the tests' 0.01 s: a hundred checks a
    # second would take about 10 ms of CPU a second from the send sharing the cores.
    with FakeSendGrid(keep_details=False, delay=options.latency, poll_interval=0.5) as server:
        print(server.base_url, API_KEY, sep="\n", flush=True)
        for line in sys.stdin:
            if line.strip() == "stats":
                emails = server.emails()
                usage = resource.getrusage(resource.RUSAGE_SELF)
                stats = {
                    "requests": len(server.requests),
                    "accepted": len(emails),
                    "distinct": len({e.lower() for e in emails}),
                    "cpu": usage.ru_utime + usage.ru_stime,
                }
                print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    main()
