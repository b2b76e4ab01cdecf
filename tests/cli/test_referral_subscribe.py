"""``newsletter referral subscribe``: a nurture lead who agreed becomes a prospect, with the
consent kept and the link to the lead and its referrer; and the lead's qualification on
the command line."""

from __future__ import annotations

import csv
import io
import os
import stat
import sys
from pathlib import Path

from newsletter.audience.subscribers import load_subscribers
from tests.cli.test_referral import ledger, run
from tests.referral_factory import SECRET
from tests.terminal import run_on_terminal

CONSOLE_SCRIPT = Path(sys.executable).with_name("newsletter")  # .venv/bin/newsletter
AT = ("--at", "2026-11-24T10:00")


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def to_nurture(project: Path, lead: str = "11") -> None:
    code, out, err = run(project, "update", lead, "--nurture", "just moved in; next fall", *AT)
    assert code == 0, err
    assert out.endswith("; nurture (just moved in; next fall)\n")


def test_nurture_lead_becomes_a_prospect_linked_to_lead_and_referrer(sample_project: Path) -> None:
    to_nurture(sample_project)
    code, out, err = run(
        sample_project, "subscribe", "11", "--channels", "email", "--how", "by phone", *AT
    )
    assert (code, out, err) == (
        0,
        "subscribed lead 11 (Beatrice Young) as a prospect: beatrice.young@example.com, email\n",
        "",
    )
    folder = sample_project / "subscribers"
    prospect = load_subscribers(folder / "subscribers.csv")[-1]
    assert (prospect.email, prospect.first_name, prospect.last_name, prospect.segment) == (
        "beatrice.young@example.com",
        "Beatrice",
        "Young",
        "prospect",
    )
    assert (prospect.lead_id, prospect.referred_by, prospect.source) == (
        11,
        "RDPAY9D8",
        "business-contact",
    )
    assert prospect.channels == frozenset({"email"})
    assert rows(folder / "consents.csv") == [
        {
            "email": "beatrice.young@example.com",
            "requested_at": "",
            "confirmed_at": "2026-11-24T10:00:00-06:00",
            "form": "referral lead 11: by phone",
            "request_ip": "",
            "confirm_ip": "",
            "desk_event": "",
        }
    ]
    assert (
        ledger(sample_project)
        .read_text()
        .splitlines()[11]
        .split(",")[13]
        .endswith("2026-11-24 subscribed as a prospect (email)")
    )
    for name in ("subscribers.csv", "consents.csv", "referrals.csv"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600


def test_subscribing_for_post_takes_the_leads_address(sample_project: Path) -> None:
    to_nurture(sample_project, "9")  # Hannah Weiss, 3318 Hargrove Street, Madison, WI 53714
    code, _, err = run(
        sample_project, "subscribe", "9", "--channels", "both", "--how", "on the card", *AT
    )
    assert code == 0, err
    prospect = load_subscribers(sample_project / "subscribers" / "subscribers.csv")[-1]
    assert prospect.address is not None
    assert (prospect.address.street, prospect.address.city, prospect.address.region) == (
        "3318 Hargrove Street",
        "Madison",
        "WI",
    )
    assert (prospect.address.postal_code, prospect.address.country) == ("53714", "US")


def test_subscribing_twice_changes_nothing(sample_project: Path) -> None:
    to_nurture(sample_project)
    args = ("subscribe", "11", "--channels", "email", "--how", "by phone", *AT)
    assert run(sample_project, *args)[0] == 0
    folder = sample_project / "subscribers"
    before = {
        n: (folder / n).read_bytes() for n in ("subscribers.csv", "consents.csv", "referrals.csv")
    }
    assert run(sample_project, *args)[1] == (
        "lead 11 (Beatrice Young) was already subscribed as beatrice.young@example.com\n"
    )
    assert {n: (folder / n).read_bytes() for n in before} == before


def test_a_qualified_lead_is_not_subscribed_but_called(sample_project: Path) -> None:
    before = (sample_project / "subscribers" / "subscribers.csv").read_bytes()
    code, _, err = run(sample_project, "subscribe", "11", "--channels", "email", "--how", "x")
    assert code == 2
    assert err.startswith("newsletter: ID: lead 11 is qualified: the business calls them.")
    assert (sample_project / "subscribers" / "subscribers.csv").read_bytes() == before


def test_a_lead_without_email_needs_one_given(sample_project: Path) -> None:
    to_nurture(sample_project, "10")  # Leo Santos: a phone number only
    code, _, err = run(sample_project, "subscribe", "10", "--channels", "mail", "--how", "x")
    assert code == 2
    assert "lead 10 has no email address" in err and "--email" in err


def test_a_lead_address_not_in_us_form_asks_for_the_fields(sample_project: Path) -> None:
    to_nurture(sample_project, "10")
    code, _, err = run(
        sample_project,
        "subscribe",
        "10",
        "--channels",
        "mail",
        "--how",
        "x",
        "--email",
        "leo@example.com",
    )
    assert code == 2
    assert "give --street, --city, --region and --postal-code" in err
    code, _, err = run(
        sample_project,
        *("subscribe", "10", "--channels", "mail", "--how", "x", "--email", "leo@example.com"),
        *(
            "--street",
            "9 Oak Lane",
            "--city",
            "Madison",
            "--region",
            "WI",
            "--postal-code",
            "53704",
        ),
    )
    assert code == 0, err


def test_someone_already_on_the_list_is_named_with_their_line(sample_project: Path) -> None:
    to_nurture(sample_project, "1")  # Nina Kowalski is a prospect already (line 19)
    code, _, err = run(sample_project, "subscribe", "1", "--channels", "email", "--how", "x")
    assert code == 2
    assert "nina.kowalski@example.com is on the subscriber list already (line 19)" in err


def test_an_old_list_gains_the_new_columns_and_keeps_its_rows(sample_project: Path) -> None:
    path = sample_project / "subscribers" / "subscribers.csv"
    old = path.read_text().splitlines()
    header = old[0].split(",")
    cut = header.index("source")
    path.write_text(
        "\n".join([",".join(header[:cut]), *(",".join(r.split(",")[:cut]) for r in old[1:])]) + "\n"
    )
    before = path.read_text().splitlines()
    to_nurture(sample_project)
    assert run(sample_project, "subscribe", "11", "--channels", "email", "--how", "x", *AT)[0] == 0
    after = path.read_text().splitlines()
    assert after[0] == before[0] + ",source,lead_id,referred_by"
    assert after[1:-1] == before[1:]


def test_add_and_promote_on_a_terminal(sample_project: Path) -> None:
    config = str(sample_project / "newsletter.yaml")
    env = {**os.environ, "NEWSLETTER_SECRET": SECRET, "TERM": "xterm-256color", "COLUMNS": "200"}
    add = [str(CONSOLE_SCRIPT), "referral", "add", "--config", config, "--ref", "WDTD6PDE"]
    status, output = run_on_terminal(
        [*add, "--name", "Jo Park", "--phone", "6085550198", "--nurture", "renting"], env
    )
    assert status == 0, output
    assert (
        "added lead 12: Jo Park, referred by María González (WDTD6PDE); nurture (renting)" in output
    )
    update = [str(CONSOLE_SCRIPT), "referral", "update", "--config", config, "12"]
    status, output = run_on_terminal([*update, "--qualify", "bought the house"], env)
    assert status == 0, output
    assert "updated lead 12 (Jo Park): new; qualified (bought the house)" in output
    last = ledger(sample_project).read_text().splitlines()[-1]
    assert last.endswith(",client,,,,") and ",qualified,bought the house,20" in last


def test_qualified_and_nurture_at_once_is_refused(sample_project: Path) -> None:
    code, _, err = run(sample_project, "update", "10", "--qualify", "a", "--nurture", "b")
    assert (code, err) == (
        2,
        "newsletter: --qualify/--nurture: a lead is qualified or nurture, not both\n",
    )
