"""Fixtures for the desk: a running desk on a copy of the sample, mailing to aiosmtpd."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.desk.support import RunningDesk, desk_project, start_desk
from tests.smtp_server import Recorder


@pytest.fixture
def desk_site(sample_project: Path, server: tuple[Recorder, int]) -> Path:
    """The sample project, its mail going to the test's SMTP server."""
    return desk_project(sample_project, server[1])


@pytest.fixture
def desk(desk_site: Path) -> Iterator[RunningDesk]:
    """The desk serving the sample project on a free loopback port."""
    running = start_desk(desk_site)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def signing_key() -> ec.EllipticCurvePrivateKey:
    """The key "SendGrid" signs its event batches with in these tests."""
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def hooked(desk_site: Path, signing_key: ec.EllipticCurvePrivateKey) -> Iterator[RunningDesk]:
    """The desk with SendGrid's Event Webhook configured (``signing_key``'s public half)."""
    public = signing_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    running = start_desk(desk_site, SENDGRID_WEBHOOK_PUBLIC_KEY=base64.b64encode(public).decode())
    try:
        yield running
    finally:
        running.stop()
