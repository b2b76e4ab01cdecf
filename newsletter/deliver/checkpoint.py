"""A send's checkpoint as a shell command: what makes the ledger durable off this machine
(the monthly workflow pushes it to the ``state`` branch) before a group of batches goes out.

:func:`~newsletter.deliver.job.run_send` runs it after putting ``checkpoint_every``
batches in flight and before any of them is sent; ``newsletter send --checkpoint-command``
runs it once more when the send is over, so the settled ledger is kept too.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from newsletter.errors import LedgerError

REASON_CHARS = 300  # of the command's last line of output, in the one-line error


@dataclass
class CommandCheckpoint:
    """Runs ``command`` with bash; a failure is a LedgerError quoting its last line."""

    command: str
    runs: int = 0

    def __call__(self) -> None:
        # A process started with exec at once (subprocess's spawn), never a bare fork: the
        # send's threads are running.
        done = subprocess.run(
            ["bash", "-c", self.command],
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
        if done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            said = lines[-1][:REASON_CHARS] if lines else "no output"
            raise LedgerError(
                f"checkpoint `{self.command}` failed (exit {done.returncode}: {said}): the "
                "batches waiting for it were not sent"
            )
        self.runs += 1
