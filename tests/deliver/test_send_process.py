"""A send runs in its caller's process and leaves it as it was: it starts no process (a
fork beside the threads sending the requests could hang the child on a lock one of them
held) and changes nothing process-wide (the cycle collector's thresholds, objects frozen
out of its reach)."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from newsletter.config import load_config
from newsletter.pipeline.build import build
from tests.deliver.test_send_kill import MONTH, send
from tests.fake_sendgrid import FakeSendGrid

READERS = 15_000  # a list of some 600 KB


def test_a_long_send_starts_no_process_and_leaves_the_collector_as_it_was(
    sample_project: Path, fake_sendgrid: FakeSendGrid, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = (f"reader{n:05d}@example.com,Reader{n},client,email\n" for n in range(READERS))
    lines = "email,first_name,segment,channels\n" + "".join(rows)
    (sample_project / "subscribers" / "subscribers.csv").write_text(lines, encoding="utf-8")
    settings = load_config(sample_project / "newsletter.yaml")
    build(settings, MONTH, out_root=sample_project / "build", offline=True)

    def no_fork() -> int:
        raise AssertionError("the send forked")

    monkeypatch.setattr(os, "fork", no_fork)
    before = (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled())
    report = send(sample_project, fake_sendgrid)
    assert report.sent == READERS == len(set(fake_sendgrid.emails()))
    assert (gc.get_threshold(), gc.get_freeze_count(), gc.isenabled()) == before
