"""scripts/state_branch.py and damaged files: a zero-byte, garbage, truncated or corrupt
ledger on the state branch is never restored as an empty one, and a damaged ledger here is
never saved; each refusal is one line that says what to do."""

from __future__ import annotations

import functools
import importlib.util
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.jobs.remote import PERSON, REPO, git
from tests.state_branch_support import (
    bare_remote,
    branch_file,
    ledger_of,
    ok,
    run_script,
    runner_clone,
    send_to,
)

READERS = [f"reader{n:04d}@example.com" for n in range(400)]


@functools.cache
def sqlite_module() -> ModuleType:
    """scripts/state_sqlite.py, as state_branch.py imports it."""
    spec = importlib.util.spec_from_file_location(
        "state_sqlite", REPO / "scripts" / "state_sqlite.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("state_sqlite", module)
    spec.loader.exec_module(module)
    return module


def zero_bytes(whole: bytes) -> bytes:
    return b""


def garbage(whole: bytes) -> bytes:
    return b"\x8f\x00 not a ledger at all " * 100


def truncated(whole: bytes) -> bytes:
    return whole[: len(whole) // 2]


def corrupt_pages(whole: bytes) -> bytes:
    """The header intact, a page in the middle overwritten."""
    page = 4096
    return whole[: 3 * page] + b"\xff" * page + whole[4 * page :]


DAMAGE: list[Callable[[bytes], bytes]] = [zero_bytes, garbage, truncated, corrupt_pages]


@pytest.fixture
def remote_with_a_ledger(tmp_path: Path) -> Path:
    """A remote whose state branch holds a ledger of 400 sends (many pages)."""
    remote = bare_remote(tmp_path)
    first = runner_clone(tmp_path, "first", remote)
    ok(first, "restore")
    send_to(first, *READERS)
    ok(first, "save")
    return remote


def replace_on_branch(tmp_path: Path, remote: Path, name: str, data: bytes) -> None:
    """A person commits ``data`` as ``name`` on the state branch."""
    work = tmp_path / "by-hand"
    git(tmp_path, "clone", "--quiet", "--branch", "state", remote.as_uri(), str(work))
    (work / name).write_bytes(data)
    git(work, "add", name)
    git(work, *PERSON, "commit", "--quiet", "-m", f"{name} replaced")
    git(work, "push", "--quiet", "origin", "state")


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda d: d.__name__)
def test_a_damaged_ledger_on_the_branch_is_never_restored_and_so_nothing_can_be_sent(
    tmp_path: Path, remote_with_a_ledger: Path, damage: Callable[[bytes], bytes]
) -> None:
    remote = remote_with_a_ledger
    whole = branch_file(remote, "ledger.sqlite").read_bytes()
    replace_on_branch(tmp_path, remote, "ledger.sqlite", damage(whole))
    job = runner_clone(tmp_path, "job", remote)
    done = run_script(job, "restore", "--ledger-only")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("state_branch: ledger.sqlite on state@")
    assert " is damaged (" in line
    assert "Put its last good version back on state" in line
    assert "git log origin/state -- ledger.sqlite" in line
    assert sorted(p.name for p in (job / "state").iterdir()) == []  # no ledger, no marker
    refused = run_script(job, "save")
    assert refused.returncode == 1
    assert "run `restore` before `save`" in refused.stderr


def test_damaged_email_events_on_the_branch_are_refused_too(
    tmp_path: Path, remote_with_a_ledger: Path
) -> None:
    replace_on_branch(tmp_path, remote_with_a_ledger, "email-events.sqlite", b"")
    job = runner_clone(tmp_path, "job", remote_with_a_ledger)
    done = run_script(job, "restore")
    assert done.returncode == 1
    assert "email-events.sqlite on state@" in done.stderr
    assert "is damaged (zero bytes)" in done.stderr
    assert not ledger_of(job).exists()


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda d: d.__name__)
def test_a_damaged_ledger_here_is_not_saved_and_the_branch_keeps_its_own(
    tmp_path: Path, remote_with_a_ledger: Path, damage: Callable[[bytes], bytes]
) -> None:
    remote = remote_with_a_ledger
    job = runner_clone(tmp_path, "job", remote)
    ok(job, "restore", "--ledger-only")
    ledger_of(job).write_bytes(damage(ledger_of(job).read_bytes()))
    before = git(remote, "rev-parse", "state")
    done = run_script(job, "save")
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(f"state_branch: {Path('state') / 'ledger.sqlite'} is damaged (")
    assert "not saved, so state keeps its last good copy" in line
    assert "Traceback" not in done.stderr
    assert git(remote, "rev-parse", "state") == before


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=5000),
        st.binary(max_size=5000).map(lambda tail: b"SQLite format 3\x00" + tail),
    )
)
def test_any_bytes_are_either_a_whole_ledger_or_refused_as_damaged(data: bytes) -> None:
    state_sqlite = sqlite_module()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.sqlite"
        path.write_bytes(data)
        try:
            state_sqlite.check(path, "sends")
        except state_sqlite.DamagedError as exc:
            assert str(exc) and "\n" not in str(exc)
        else:
            raise AssertionError("bytes without a sends table passed the check")


def whole_ledger(folder: Path) -> bytes:
    """A ledger of 400 sends as one self-contained file (made once per session)."""
    copy = folder / "copy.sqlite"
    if not copy.exists():
        send_to(folder, *READERS)
        sqlite_module().snapshot(ledger_of(folder), copy)
    return copy.read_bytes()


@settings(max_examples=60, deadline=None)
@given(offset=st.integers(min_value=100, max_value=60_000), junk=st.binary(min_size=1, max_size=64))
def test_a_real_ledger_with_any_bytes_overwritten_is_whole_or_refused(
    offset: int, junk: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    state_sqlite = sqlite_module()
    whole = bytearray(whole_ledger(tmp_path_factory.getbasetemp() / "whole-ledger"))
    whole[offset : offset + len(junk)] = junk
    path = tmp_path_factory.mktemp("mutated") / "ledger.sqlite"
    path.write_bytes(bytes(whole))
    try:
        state_sqlite.check(path, "sends")
    except state_sqlite.DamagedError as exc:
        assert str(exc) and "\n" not in str(exc)
