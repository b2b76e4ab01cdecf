"""Odd values given to the console script: each is one line naming the value, exit 2, never
a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.audience.tokens import referral_codes
from newsletter.referrals.ledger import load_leads
from tests.project_factory import MONTH, make_project, newsletter, read_config, write_config
from tests.referral_factory import SECRET

MONTH_COMMANDS = (
    ("build",),
    ("build", "--offline"),
    ("check",),
    ("preview",),
    ("send",),
    ("print", "--package"),
    ("report",),
    ("referral", "report"),
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEWSLETTER_SECRET", SECRET)
    return make_project(tmp_path / "p")


def one_line_error(done: object) -> str:
    """The single line a failed command printed, after checking it failed with status 2."""
    assert getattr(done, "returncode", None) == 2, done
    lines = str(getattr(done, "stderr", "")).splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsletter: "), lines
    return lines[0]


@pytest.mark.parametrize(
    ("command", "month"),
    [
        *((command, "0000-01") for command in MONTH_COMMANDS),
        (("build",), "9999-12"),
        (("preview",), "0001-01"),  # never shown as "build/1-01"
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else value,
)
def test_a_month_out_of_range_is_one_line_naming_it(
    project: Path, command: tuple[str, ...], month: str
) -> None:
    line = one_line_error(newsletter(project, *command, "--month", month))
    assert line == f"newsletter: --month: '{month}' is not a plausible month (2000-01 to 2099-12)"


@pytest.mark.parametrize("email", [(), ("--email",)], ids=["cards", "nurture email"])
@pytest.mark.parametrize("quarter", ["0000Q1", "9999Q4"])
def test_a_quarter_out_of_range_is_one_line_naming_it(
    project: Path, email: tuple[str, ...], quarter: str
) -> None:
    line = one_line_error(newsletter(project, "cards", *email, "--quarter", quarter))
    assert line == (
        f"newsletter: --quarter: '{quarter}' is not a plausible quarter (2000Q1 to 2099Q4)"
    )


def test_the_last_plausible_month_builds_and_prints(project: Path) -> None:
    offer = project / "content" / "offers" / "friends.yaml"
    offer.write_text(offer.read_text("utf-8").replace("2027-12-31", "2099-12-31"), "utf-8")
    built = newsletter(project, "build", "--offline", "--month", "2099-12")
    assert built.returncode == 0, built.stderr
    printed = newsletter(project, "print", "--package", "--month", "2099-12")
    assert printed.returncode == 0, printed.stderr
    assert (project / "build" / "2099-12" / "print" / "print-package-2099-12.zip").is_file()


# ---- values in the config, the content and the lists --------------------------------------


def set_config(project: Path, section: str, key: str, value: object) -> None:
    config = read_config(project)
    config.setdefault(section, {})[key] = value
    write_config(project, config)


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [("sender", "name", "Pat\r\nBcc: everyone@example.com"), ("issue", "title", "News\nBcc: x@y")],
)
@pytest.mark.parametrize("command", [("check",), ("build", "--offline"), ("send",)], ids=" ".join)
def test_a_line_break_in_a_header_value_stops_every_command_naming_it(
    project: Path, section: str, key: str, value: str, command: tuple[str, ...]
) -> None:
    set_config(project, section, key, value)
    line = one_line_error(newsletter(project, *command, "--month", MONTH))
    assert line.endswith(
        f"{section}.{key}: contains a line break, which cannot go into an email header"
    )
    assert line.startswith(f"newsletter: {project / 'newsletter.yaml'}:")


def test_true_for_a_feeds_max_items_is_refused_naming_it(project: Path) -> None:
    config = read_config(project)
    config["feeds"] = [
        {"name": "Town", "url": "https://feeds.example.org/t", "section": "local-news"}
    ]
    config["feeds"][0]["max_items"] = True
    write_config(project, config)
    line = one_line_error(newsletter(project, "check", "--month", MONTH))
    assert line.endswith("feeds[0].max_items: expected a number, not true")


def test_an_editorial_title_of_20000_characters_is_refused_shown_cut_short(
    project: Path,
) -> None:
    editorial = project / "content" / "editorials" / MONTH / "welcome.md"
    editorial.write_text(f"---\ntitle: {'T' * 20_000}\n---\nHello.\n", encoding="utf-8")
    line = one_line_error(newsletter(project, "check", "--month", MONTH))
    assert line == (
        "newsletter: content/editorials/2026-11/welcome.md:2: title: string should have at "
        f"most 200 characters (got {'T' * 60!r}… (20,000 characters))"
    )


def test_a_right_to_left_override_in_a_subscriber_name_is_refused(project: Path) -> None:
    readers = project / "subscribers" / "subscribers.csv"
    readers.write_text(readers.read_text("utf-8").replace(",Ana,", ",Ana\u202egpj.exe,"), "utf-8")
    line = one_line_error(newsletter(project, "check", "--month", MONTH))
    assert line == (
        f"newsletter: {readers}:2: first_name: contains the control character U+202E "
        "(RIGHT-TO-LEFT OVERRIDE)"
    )


def test_a_subscriber_column_given_twice_is_refused(project: Path) -> None:
    readers = project / "subscribers" / "subscribers.csv"
    text = readers.read_text("utf-8").replace(",tags\n", ",tags,tags\n").replace(",\n", ",,\n")
    readers.write_text(text, "utf-8")
    line = one_line_error(newsletter(project, "check", "--month", MONTH))
    assert line == f"newsletter: {readers}:1: column(s) given twice: tags"


def test_a_referral_ledger_saved_by_excel_takes_the_next_lead(project: Path) -> None:
    (code,) = referral_codes(SECRET.encode(), ["ana@example.com"]).values()
    lead = ("referral", "add", "--ref", code, "--phone", "608 555 0175", "--name")
    assert newsletter(project, *lead, "Leo Santos").returncode == 0
    ledger = project / "subscribers" / "referrals.csv"
    ledger.write_text("\ufeff" + ledger.read_text("utf-8"), "utf-8")  # Excel's "CSV UTF-8"
    added = newsletter(project, *lead, "Mia Chen")
    assert added.returncode == 0, added.stderr
    assert [lead.name for lead in load_leads(ledger)] == ["Leo Santos", "Mia Chen"]
    assert newsletter(project, "referral", "list").returncode == 0


# ---- one mailbox, however its domain is spelled -------------------------------------------


def add_reader(project: Path, email: str) -> None:
    readers = project / "subscribers" / "subscribers.csv"
    row = f"{email},Ida,Lind,,client,email,,,,,,website form,2025-01-14,\n"
    readers.write_text(readers.read_text("utf-8") + row, "utf-8")


def test_an_address_and_its_xn_form_in_the_list_are_one_subscriber(project: Path) -> None:
    assert newsletter(project, "build", "--offline", "--month", MONTH).returncode == 0
    add_reader(project, "idn@exämple.com")
    add_reader(project, "idn@xn--exmple-cua.com")
    readers = project / "subscribers" / "subscribers.csv"
    for command in (("check",), ("send",)):
        line = one_line_error(newsletter(project, *command, "--month", MONTH))
        assert line == (
            f"newsletter: {readers}:4: email: duplicate subscriber idn@xn--exmple-cua.com "
            "(first on line 3)"
        )


@pytest.mark.parametrize(
    ("listed", "suppressed"),
    [("idn@exämple.com", "idn@xn--exmple-cua.com"), ("idn@xn--exmple-cua.com", "IDN@EXÄMPLE.COM")],
)
def test_a_suppression_in_one_spelling_stops_the_other(
    project: Path, listed: str, suppressed: str
) -> None:
    add_reader(project, listed)
    (project / "subscribers" / "suppressions.csv").write_text(
        f"email,reason,date,source\n{suppressed},unsubscribe,2026-10-01,desk\n", "utf-8"
    )
    assert newsletter(project, "build", "--offline", "--month", MONTH).returncode == 0
    dry_run = newsletter(project, "send", "--month", MONTH)
    assert dry_run.returncode == 0, dry_run.stderr
    assert "would send 1 (1 client)" in dry_run.stdout
    assert "1 suppressed" in dry_run.stdout


def test_a_feed_whose_host_idna_refuses_is_a_warning_not_a_traceback(project: Path) -> None:
    config = read_config(project)
    config["feeds"] = [{"name": "Town", "url": "https://xn--a.example/feed", "section": "events"}]
    write_config(project, config)
    done = newsletter(project, "build", "--month", MONTH)  # online: the host is never looked up
    assert done.returncode == 0, done.stderr
    assert (
        "warning: feed 'Town' (https://xn--a.example/feed): not an address that can be fetched: "
        in done.stderr
    )
