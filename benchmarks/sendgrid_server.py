"""The fake SendGrid server in a process of its own, for benchmarks.

Prints its base URL on the first line of stdout; each line ``stats`` on stdin answers one
JSON line (requests, accepted, distinct addresses); end of input stops it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fake_sendgrid import FakeSendGrid


def main() -> None:
    with FakeSendGrid(keep_details=False) as server:
        print(server.base_url, flush=True)
        for line in sys.stdin:
            if line.strip() == "stats":
                emails = server.emails()
                stats = {
                    "requests": len(server.requests),
                    "accepted": len(emails),
                    "distinct": len({e.lower() for e in emails}),
                }
                print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    main()
