"""Field limits: every value the tool stores is checked on the way in, nothing it writes is
refused on the way back, and an oversized value in the file is named with its line and a
way to repair it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsletter.audience.suppressions import Suppression, load_suppressions, merge_suppressions
from newsletter.cli import main
from newsletter.errors import ContentError, ReferralError
from newsletter.referrals.approval import decide_reward, sync_rewards
from newsletter.referrals.leads import add_lead, update_lead
from newsletter.referrals.ledger import LIMITS, ledger_text, load_leads, write_leads
from newsletter.referrals.rewardfile import load_rewards
from tests.referral_factory import CHICAGO, MARIA, OFFER, SECRET, at, make_lead, write_ledger

NOON = at("2026-11-03T12:00:00-06:00")


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return write_ledger(tmp_path / "referrals.csv", make_lead(1), make_lead(2, name="Ann Lee"))


def add(path: Path, **fields: str) -> None:
    options = {"name": "Jordan Miller", "phone": "(608) 555-0100"} | fields
    add_lead(
        path,
        referrer_code=MARIA[0],
        referrer_email=MARIA[1],
        received_at=at("2026-11-02T09:00:00-06:00"),
        **options,
    )


def run(project: Path, *args: str) -> tuple[int, str, str]:
    config = ("--config", str(project / "newsletter.yaml"))
    result = CliRunner().invoke(
        main, ["referral", args[0], *config, *args[1:]], env={"NEWSLETTER_SECRET": SECRET}
    )
    return result.exit_code, result.stdout, result.stderr


# ---- on the way in --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "column"),
    [("name", "lead_name"), ("address", "lead_address"), ("need", "need"), ("note", "notes")],
)
def test_a_value_over_its_limit_is_refused_naming_the_option(
    ledger: Path, option: str, column: str
) -> None:
    before = ledger.read_bytes()
    with pytest.raises(ReferralError) as caught:
        add(ledger, **{option: "x" * (LIMITS[column] + 20)})
    assert caught.value.key == f"--{option}"
    assert "more than the" in caught.value.message
    assert ledger.read_bytes() == before


def test_a_control_character_is_refused(ledger: Path) -> None:
    with pytest.raises(ReferralError, match=r"control character \(U\+001B\)") as caught:
        add(ledger, need="new \x1b[2Jfurnace")
    assert caught.value.key == "--need"


def test_a_right_to_left_override_is_refused(ledger: Path) -> None:
    with pytest.raises(ReferralError, match="U\\+202E"):
        add(ledger, name="Leo \u202esotnaS")


def test_a_note_that_would_pass_the_limit_is_refused_and_nothing_is_cut(ledger: Path) -> None:
    update_lead(ledger, 1, at=NOON, note="n" * (LIMITS["notes"] - 40))
    before = ledger.read_bytes()
    with pytest.raises(ReferralError, match=r"would be 4,0[0-9][0-9] characters") as caught:
        update_lead(ledger, 1, at=NOON, note="one more thing to say about the furnace")
    assert caught.value.key == "--note"
    assert "--replace-notes" in caught.value.message
    assert ledger.read_bytes() == before
    assert len(load_leads(ledger)[0].notes) < LIMITS["notes"]  # and the file still loads


def test_replace_notes_replaces_them(ledger: Path) -> None:
    update_lead(ledger, 1, at=NOON, note="first")
    lead = update_lead(ledger, 1, at=NOON, replace_notes="called twice, no answer")
    assert lead.notes == "called twice, no answer"
    assert update_lead(ledger, 1, at=NOON, replace_notes="").notes == ""


def test_the_writer_refuses_a_ledger_it_could_not_read_back(ledger: Path) -> None:
    before = ledger.read_bytes()
    leads = load_leads(ledger)
    too_long = replace(leads[0], name="x" * (LIMITS["lead_name"] + 1))
    with pytest.raises(ReferralError, match="not written, it would not read back"):
        write_leads(ledger, (too_long, leads[1]))
    assert ledger.read_bytes() == before


@pytest.mark.parametrize(
    "typed", ["1e400", "100000000.01", "-5", "NaN", "Infinity", "1,2,3", "5e8"]
)
def test_implausible_amounts_are_one_line_errors(sample_project: Path, typed: str) -> None:
    assert run(sample_project, "update", "3", "--status", "won", "--at", "2026-11-20")[0] == 0
    code, _, err = run(sample_project, "update", "3", "--value", typed, "--at", "2026-11-20")
    assert code == 2
    assert err.startswith("newsletter: --value: not an amount") and err.count("\n") == 1


@pytest.mark.parametrize("typed", ["0001-01-01T09:00", "9999-12-31T09:00", "1999-12-31T23:00"])
def test_implausible_times_are_refused(sample_project: Path, typed: str) -> None:
    args = ("add", "--ref", "WDTD6PDE", "--name", "X Y", "--phone", "6085550100")
    code, _, err = run(sample_project, *args, "--received-at", typed)
    assert code == 2
    assert "--received-at" in err and "not a plausible date" in err


def test_a_lead_received_in_the_future_is_refused(sample_project: Path) -> None:
    args = ("add", "--ref", "WDTD6PDE", "--name", "X Y", "--phone", "6085550100")
    code, _, err = run(sample_project, *args, "--received-at", "2099-01-01T09:00")
    assert (code, err.startswith("newsletter: --received-at: 2099-01-01T09:00:00")) == (2, True)
    assert "is in the future" in err


# ---- on the way back ------------------------------------------------------------------------


def test_an_oversized_value_is_named_with_its_true_line(tmp_path: Path) -> None:
    path = tmp_path / "referrals.csv"
    text = ledger_text([make_lead(1, need="one\nline"), make_lead(2), make_lead(3)])
    lines = text.splitlines(keepends=True)  # the first lead's need runs over two lines
    lines[4] = lines[4].replace("Thermostat install", "x" * 501)
    path.write_text("".join(lines))
    with pytest.raises(ContentError) as caught:
        load_leads(path)
    assert (caught.value.line, caught.value.key) == (5, "need")
    assert (
        caught.value.message == "501 characters, more than the 500 allowed; shorten it in the file"
    )


@pytest.mark.parametrize("year", ["0001", "9999"])
def test_a_stored_time_in_an_implausible_year_names_its_line(tmp_path: Path, year: str) -> None:
    path = tmp_path / "referrals.csv"
    text = ledger_text([make_lead(1), make_lead(2)])
    path.write_text(text.replace("2026-11-02T09:00:00-06:00", f"{year}-11-02T09:00:00-06:00", 2))
    with pytest.raises(ContentError, match="not a plausible date") as caught:
        load_leads(path)
    assert (caught.value.line, caught.value.key) == (2, "received_at")


def bricked(project: Path, length: int) -> Path:
    """The sample ledger after an older version appended notes to lead 3 without a limit."""
    path = project / "subscribers" / "referrals.csv"
    leads = list(load_leads(path))
    leads[2] = replace(leads[2], notes="2026-11-03 called; " * (length // 19))
    path.write_text(ledger_text(leads), encoding="utf-8")
    return path


def test_notes_past_the_old_csv_limit_are_named_with_the_command_that_repairs_them(
    sample_project: Path,
) -> None:
    bricked(sample_project, 200_000)  # more than csv's default 131,072 per value
    code, _, err = run(sample_project, "list")
    assert code == 2
    assert err.count("\n") == 1
    assert "referrals.csv:4: notes: 199,993 characters, more than the 4,000 allowed" in err
    assert '`newsletter referral update 3 --replace-notes "…"`' in err


def test_replace_notes_repairs_a_ledger_with_oversized_notes(sample_project: Path) -> None:
    path = bricked(sample_project, 200_000)
    assert run(sample_project, "update", "3", "--replace-notes", "called in November")[0] == 0
    assert load_leads(path)[2].notes == "called in November"
    assert run(sample_project, "list")[0] == 0


def test_replace_notes_does_not_excuse_another_leads_oversized_notes(sample_project: Path) -> None:
    bricked(sample_project, 5_000)
    code, _, err = run(sample_project, "update", "4", "--replace-notes", "x")
    assert code == 2 and "referrals.csv:4: notes" in err


# ---- rewards and suppressions -----------------------------------------------------------------


def test_a_denial_reason_over_its_limit_is_refused(tmp_path: Path) -> None:
    rewards = tmp_path / "rewards.csv"
    sync_rewards(rewards, (make_lead(1),), OFFER, CHICAGO, today=date(2026, 11, 20))
    before = rewards.read_bytes()
    with pytest.raises(ReferralError) as caught:
        decide_reward(rewards, 1, "deny", by="Dana", at=NOON, reason="x" * 501)
    assert caught.value.key == "--reason"
    assert rewards.read_bytes() == before


def test_a_reward_handed_out_in_an_implausible_year_is_an_error_naming_the_line(
    tmp_path: Path,
) -> None:
    rewards = tmp_path / "rewards.csv"
    rewards.write_text(
        "handed_out_on,referrer_code,referrer_email,offer,milestone,reward,note\n"
        "0001-01-01,WDTD6PDE,maria.gonzalez@example.com,x,1,Coffee,\n"
    )
    with pytest.raises(ContentError, match="not a plausible date") as caught:
        load_rewards(rewards)
    assert (caught.value.line, caught.value.key) == (2, "handed_out_on")


def test_a_suppression_source_over_its_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "suppressions.csv"
    entry = Suppression("a@example.com", "manual", date(2026, 11, 1), source="x" * 201)
    with pytest.raises(ContentError, match="201 characters"):
        merge_suppressions(path, [entry])
    assert load_suppressions(path) == ()
