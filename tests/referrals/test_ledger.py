"""subscribers/referrals.csv: validated on every read, changed only by atomic rewrites."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest

from newsletter.errors import ContentError, ReferralError, StorageError
from newsletter.referrals.fields import phone_key, phone_region
from newsletter.referrals.leads import (
    add_lead,
    changed,
    counted_leads,
    likely_duplicates,
    referrer_for_code,
    update_lead,
)
from newsletter.referrals.ledger import ledger_text, load_leads
from newsletter.referrals.rewards import counts_by_referrer
from tests.golden import FIXTURE_PROJECT
from tests.referral_factory import (
    CHICAGO,
    HEADER,
    KAREN,
    MARIA,
    OFFER,
    at,
    make_lead,
    write_ledger,
)

GOOD_ROW = (
    "1,2026-11-02T09:00:00-06:00,WDTD6PDE,maria.gonzalez@example.com,Leo Santos,,"
    "(608) 555-0175,,Thermostat,new,,,,,\n"
)


def add(path: Path, **overrides: object) -> tuple:
    fields: dict = {
        "referrer_code": MARIA[0],
        "referrer_email": MARIA[1],
        "name": "Jordan Miller",
        "phone": "(608) 555-0100",
        "received_at": at("2026-11-02T09:00:00-06:00"),
    }
    fields.update(overrides)
    return add_lead(path, **fields)


# ---- reading ----------------------------------------------------------------------------


def test_sample_ledger_loads_and_rewrites_byte_for_byte() -> None:
    path = FIXTURE_PROJECT / "subscribers" / "referrals.csv"
    leads = load_leads(path)
    assert len(leads) == 11
    assert ledger_text(leads) == path.read_text(encoding="utf-8")


def test_missing_ledger_has_no_leads(tmp_path: Path) -> None:
    assert load_leads(tmp_path / "referrals.csv") == ()


def test_times_keep_their_offset(tmp_path: Path) -> None:
    path = tmp_path / "referrals.csv"
    path.write_text(HEADER + GOOD_ROW)
    (lead,) = load_leads(path)
    assert lead.received_at.isoformat() == "2026-11-02T09:00:00-06:00"


@pytest.mark.parametrize(
    ("row", "key", "message"),
    [
        (GOOD_ROW.replace(",new,", ",maybe,"), "status", "unknown status 'maybe'"),
        (GOOD_ROW.replace("-06:00", ""), "received_at", "needs a UTC offset"),
        (GOOD_ROW.replace("1,2026", "x,2026"), "id", "not a lead number"),
        (GOOD_ROW.replace("(608) 555-0175", ""), "lead_phone", "a phone number or an email"),
        (GOOD_ROW.replace("Leo Santos", ""), "lead_name", "required"),
        (GOOD_ROW.replace("maria.gonzalez@example.com", "maria"), "referrer_email", "not a valid"),
        (GOOD_ROW.replace(",new,,,,,", ",won,,,,,"), "closed_at", "required for won and lost"),
        (GOOD_ROW.replace(",new,,,,,", ",new,,,12x,,"), "value", "not an amount"),
        (GOOD_ROW.replace(",new,,,,,", ",new,,,,,sure"), "thank_by_name", "yes, no or blank"),
        (
            GOOD_ROW.replace(",new,,", ",contacted,2026-11-01T09:00:00-06:00,"),
            "contacted_at",
            "before the lead was received",
        ),
    ],
)
def test_malformed_line_is_an_error_naming_line_and_key(
    tmp_path: Path, row: str, key: str, message: str
) -> None:
    path = tmp_path / "referrals.csv"
    path.write_text(HEADER + GOOD_ROW + row.replace("1,", "2,", 1))
    with pytest.raises(ContentError) as caught:
        load_leads(path)
    assert caught.value.line == 3
    assert caught.value.key == key
    assert message in caught.value.message


def test_lead_id_used_twice_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "referrals.csv"
    path.write_text(HEADER + GOOD_ROW + GOOD_ROW)
    with pytest.raises(ContentError, match=r"lead id 1 used twice \(first on line 2\)"):
        load_leads(path)


def test_malformed_ledger_is_never_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "referrals.csv"
    path.write_text(HEADER + GOOD_ROW + GOOD_ROW.replace("1,", "2,", 1).replace(",new,", ",?,"))
    before = path.read_bytes()
    with pytest.raises(ContentError):
        add(path)
    with pytest.raises(ContentError):
        update_lead(path, 1, at=at("2026-11-02T10:00:00-06:00"), status="contacted")
    assert path.read_bytes() == before


# ---- adding -----------------------------------------------------------------------------


def test_added_lead_gets_the_next_id_and_is_appended(tmp_path: Path) -> None:
    path = write_ledger(tmp_path / "referrals.csv", make_lead(1), make_lead(7, phone="6085550111"))
    lead, _ = add(path, email="Jordan@Example.com", thank_by_name=True)
    assert lead.id == 8
    assert lead.email == "jordan@example.com"
    assert load_leads(path)[-1] == lead
    assert path.read_text().splitlines()[-1] == (
        "8,2026-11-02T09:00:00-06:00,WDTD6PDE,maria.gonzalez@example.com,Jordan Miller,,"
        "(608) 555-0100,jordan@example.com,,new,,,,,yes,qualified,,,,,,,"
    )


def test_first_lead_creates_the_ledger(tmp_path: Path) -> None:
    path = tmp_path / "subscribers" / "referrals.csv"
    lead, duplicates = add(path)
    assert (lead.id, duplicates) == (1, ())
    assert path.read_text().startswith(HEADER)


def test_lead_needs_a_name(tmp_path: Path) -> None:
    with pytest.raises(ReferralError, match="needs a name") as caught:
        add(tmp_path / "referrals.csv", name="  ")
    assert caught.value.key == "--name"


def test_lead_needs_a_phone_or_an_email(tmp_path: Path) -> None:
    path = tmp_path / "referrals.csv"
    with pytest.raises(ReferralError, match="phone number or an email"):
        add(path, phone="", email="")
    assert add(path, phone="", email="jordan@example.com")[0].email == "jordan@example.com"


def test_bad_phone_or_email_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReferralError, match="not a phone number") as phone:
        add(tmp_path / "referrals.csv", phone="555")
    with pytest.raises(ReferralError, match="not a valid address") as email:
        add(tmp_path / "referrals.csv", email="jordan@")
    assert (phone.value.key, email.value.key) == ("--phone", "--email")


def test_likely_duplicate_is_added_and_reported(tmp_path: Path) -> None:
    path = write_ledger(tmp_path / "referrals.csv", make_lead(1, phone="(608) 555-0100"))
    lead, duplicates = add(path, phone="+1 608.555.0100")
    assert lead.id == 2
    assert [(d.lead.id, d.reason) for d in duplicates] == [(1, "same phone")]
    assert len(load_leads(path)) == 2


def test_duplicates_are_found_by_email_or_by_name_and_address() -> None:
    first = make_lead(1, email="a@example.com", address="12 Oak St")
    by_email = make_lead(2, phone="6085550999", email="A@example.com")
    by_home = make_lead(3, phone="6085550888", address="12  oak st")
    stranger = make_lead(4, name="Someone Else", phone="6085550777", address="12 Oak St")
    assert [d.reason for d in likely_duplicates(by_email, [first])] == ["same email"]
    assert [d.reason for d in likely_duplicates(by_home, [first])] == ["same name and address"]
    assert likely_duplicates(stranger, [first]) == ()


def test_phone_numbers_are_compared_as_dialled_in_the_business_country() -> None:
    first = make_lead(1, phone="608 555 9999")
    for written in ("(608) 555-9999", "+1 608 555 9999", "1-608-555-9999", "608.555.9999 x12"):
        again = make_lead(2, phone=written)
        assert [d.reason for d in likely_duplicates(again, [first], region="US")] == [
            "same phone"
        ], written
    berlin = make_lead(3, phone="030 1234567")
    assert likely_duplicates(make_lead(4, phone="+49 30 1234567"), [berlin], region="DE")
    assert not likely_duplicates(make_lead(5, phone="608 555 9998"), [first], region="US")


def test_phone_region_falls_back_to_numbers_with_a_country_code() -> None:
    assert (phone_region("us"), phone_region("DE"), phone_region("ZZ")) == ("US", "DE", None)
    assert phone_key("+1 (608) 555-9999", None) == "+16085559999"
    assert phone_key("608 555 9999", None) == "6085559999"  # no region: its digits


def test_a_lead_with_no_referrer_reads_back_and_counts_for_nobody(tmp_path: Path) -> None:
    path = tmp_path / "referrals.csv"
    add(path, referrer_code="ZZZZ2222", referrer_email="", phone="608 555 0111")
    add(path, referrer_code="", referrer_email="", phone="608 555 0112")
    add(path, phone="608 555 0113")
    assert [(x.referrer_code, x.referrer_email) for x in load_leads(path)] == [
        ("ZZZZ2222", ""),
        ("", ""),
        (MARIA[0], MARIA[1]),
    ]
    assert counts_by_referrer(load_leads(path), OFFER, CHICAGO) == {MARIA[1]: 1}


def test_a_lead_with_a_referrer_needs_the_code(tmp_path: Path) -> None:
    with pytest.raises(ReferralError, match="needs the referrer's code"):
        add(tmp_path / "referrals.csv", referrer_code="")


def test_a_repeated_person_counts_once_for_the_first_referrer() -> None:
    first = make_lead(1, "2026-11-02T09:00:00-06:00", MARIA)
    again = make_lead(2, "2026-11-05T09:00:00-06:00", KAREN)  # same phone
    other = make_lead(3, "2026-11-06T09:00:00-06:00", KAREN, phone="6085550199")
    assert counted_leads([again, other, first]) == (first, other)


def test_referrer_is_resolved_from_a_typed_code() -> None:
    codes = {"maria.gonzalez@example.com": "WDTD6PDE", "tom.becker@example.net": "SSPM5F3A"}
    assert referrer_for_code(" wdtd-6pde ", codes) == ("WDTD6PDE", "maria.gonzalez@example.com")


def test_unknown_referrer_code_is_an_error() -> None:
    with pytest.raises(ReferralError, match="unknown referral code 'ZZZZ9999'") as caught:
        referrer_for_code("ZZZZ9999", {"maria.gonzalez@example.com": "WDTD6PDE"})
    assert caught.value.key == "--ref"


# ---- updating ---------------------------------------------------------------------------


def test_contacting_records_the_first_contact_only() -> None:
    lead = make_lead()
    first = changed(lead, at=at("2026-11-02T11:00:00-06:00"), status="contacted")
    again = changed(first, at=at("2026-11-03T11:00:00-06:00"), status="contacted")
    assert again.contacted_at == at("2026-11-02T11:00:00-06:00")


def test_won_lead_is_closed_with_its_value() -> None:
    won = changed(
        make_lead(), at=at("2026-11-09T15:00:00-06:00"), status="won", value=Decimal(1200)
    )
    assert (won.status, won.closed_at, won.value) == (
        "won",
        at("2026-11-09T15:00:00-06:00"),
        Decimal("1200.00"),
    )


def test_value_belongs_to_won_leads() -> None:
    with pytest.raises(ReferralError, match="--value is for won leads"):
        changed(make_lead(), at=at("2026-11-03T09:00:00-06:00"), value=Decimal(100))


def test_closed_lead_is_not_reopened_but_can_be_corrected() -> None:
    lost = changed(make_lead(), at=at("2026-11-03T09:00:00-06:00"), status="lost")
    with pytest.raises(ReferralError, match="already lost"):
        changed(lost, at=at("2026-11-04T09:00:00-06:00"), status="contacted")
    won = changed(lost, at=at("2026-11-04T09:00:00-06:00"), status="won")
    assert (won.status, won.closed_at) == ("won", at("2026-11-04T09:00:00-06:00"))


def test_change_cannot_predate_the_lead() -> None:
    with pytest.raises(ReferralError, match="before lead 1 arrived"):
        changed(make_lead(), at=at("2026-11-01T09:00:00-06:00"), status="contacted")


def test_notes_are_appended_with_their_date() -> None:
    lead = changed(make_lead(), at=at("2026-11-02T10:00:00-06:00"), note="left a voicemail")
    lead = changed(lead, at=at("2026-11-03T10:00:00-06:00"), note="booked\nfor Friday")
    assert lead.notes == "2026-11-02 left a voicemail; 2026-11-03 booked for Friday"


def test_consent_can_be_recorded_later() -> None:
    lead = changed(make_lead(), at=at("2026-11-02T10:00:00-06:00"), thank_by_name=False)
    assert lead.thank_by_name is False


def test_update_with_nothing_to_change_is_an_error() -> None:
    with pytest.raises(ReferralError, match="nothing to change for lead 1"):
        changed(make_lead(), at=at("2026-11-02T10:00:00-06:00"))


def test_update_rewrites_only_that_lead(tmp_path: Path) -> None:
    path = write_ledger(tmp_path / "referrals.csv", make_lead(1), make_lead(2, phone="6085550123"))
    before = path.read_text().splitlines()
    update_lead(path, 2, at=at("2026-11-02T10:00:00-06:00"), status="contacted")
    after = path.read_text().splitlines()
    assert after[:2] == before[:2]
    assert after[2].endswith(",contacted,2026-11-02T10:00:00-06:00,,,,,qualified,,,,,,,")


def test_unknown_lead_id_is_an_error(tmp_path: Path) -> None:
    path = write_ledger(tmp_path / "referrals.csv", make_lead(1))
    with pytest.raises(ReferralError, match="no lead 9 in the ledger"):
        update_lead(path, 9, at=at("2026-11-02T10:00:00-06:00"), status="lost")


def test_failed_write_leaves_the_ledger_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_ledger(tmp_path / "referrals.csv", make_lead(1))
    before = path.read_bytes()

    def disk_full(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(StorageError, match="cannot write: No space left on device"):
        add(path)
    assert path.read_bytes() == before
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [".referrals.csv.lock", "referrals.csv"]  # no temp file, only the lock


def test_a_lost_lead_stays_in_the_ledger(tmp_path: Path) -> None:
    path = write_ledger(tmp_path / "referrals.csv", make_lead(1), make_lead(2, phone="6085550123"))
    update_lead(path, 1, at=at("2026-11-03T09:00:00-06:00"), status="lost", note="duplicate")
    assert [(lead.id, lead.status) for lead in load_leads(path)] == [(1, "lost"), (2, "new")]
