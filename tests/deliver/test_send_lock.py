"""Two `newsletter send --yes` at once on one ledger (two terminals, or a person and the
monthly workflow): one sends, the other refuses at once naming it, nobody gets two copies.

Both are the installed console script. The fake server holds its answer to the first
request, so whichever send won the lock is still sending while the other one starts.
"""

from __future__ import annotations

import queue
import re
import socket
import subprocess
import threading
from collections import Counter
from pathlib import Path

from newsletter.deliver.ledger import Ledger
from tests.cli.test_send_terminal import DEADLINE, MONTH, built_project, send_env, send_yes
from tests.fake_sendgrid import FakeSendGrid


def first_to_exit(processes: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    exited: queue.SimpleQueue[subprocess.Popen[bytes]] = queue.SimpleQueue()
    for process in processes:
        waiting = threading.Thread(target=lambda p=process: (p.wait(), exited.put(p)), daemon=True)
        waiting.start()
    try:
        return exited.get(timeout=DEADLINE)
    except queue.Empty:
        raise AssertionError("neither send finished while the other was held") from None


def test_two_sends_started_together_one_sends_and_the_other_refuses(sample_project: Path) -> None:
    project = built_project(sample_project)
    with FakeSendGrid(hold_request=1, hold_limit=DEADLINE) as server:
        env = send_env(server)
        both = [
            subprocess.Popen(
                send_yes(project), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(2)
        ]
        try:
            assert server.held.wait(DEADLINE), "neither send reached SendGrid"
            # The winner is held mid-send: the other one must already be refusing.
            refused = first_to_exit(both)
            _, refusal = refused.communicate(timeout=DEADLINE)
            server.release.set()
            winner = next(p for p in both if p is not refused)
            out, err = winner.communicate(timeout=DEADLINE)
        finally:
            for process in both:
                if process.poll() is None:
                    process.kill()
                    process.wait()

    assert winner.returncode == 0, err
    assert b"sent 17" in out
    assert refused.returncode == 2
    message = refusal.decode()
    pattern = (
        rf"^newsletter: .*build/{MONTH}: cannot send {MONTH}: send {MONTH} "
        rf"\(pid {winner.pid} on {re.escape(socket.gethostname())}, since \S+\) is using it"
    )
    assert re.search(pattern, message), message
    assert set(Counter(server.emails()).values()) == {1}
    assert len(server.emails()) == 17
    with Ledger(project / "state" / "ledger.sqlite") as ledger:
        assert ledger.counts(MONTH)["sent"] == 17
