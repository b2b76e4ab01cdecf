"""Running the installed console script on a terminal (a pseudo-terminal), as a person does."""

from __future__ import annotations

import os
import select
import subprocess
import time

DEADLINE = 60.0  # seconds; never waited out when all goes well


def run_on_terminal(
    args: list[str], env: dict[str, str], *, timeout: float = DEADLINE, typed: str = ""
) -> tuple[int, str]:
    """Run ``args`` with a pseudo-terminal as stdin, stdout and stderr; (status, output).

    ``typed`` is what a person types, one answer a line: the terminal hands the program
    one line per read, as it would from the keyboard."""
    controller, terminal = os.openpty()
    process = subprocess.Popen(
        args, stdin=terminal, stdout=terminal, stderr=terminal, env=env, close_fds=True
    )
    os.close(terminal)
    if typed:
        os.write(controller, typed.encode("utf-8"))
    output = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.1)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            output += chunk
        status = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    return status, output.decode("utf-8", "replace")
