"""``newsletter referral …``: exact output, one-line errors with exit status 2."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from newsletter.cli import main
from tests.referral_factory import SECRET


def run(project: Path, *args: str, secret: str = SECRET) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main,
        ["referral", args[0], "--config", str(project / "newsletter.yaml"), *args[1:]],
        env={"NEWSLETTER_SECRET": secret, "COLUMNS": "200"},  # wide: no wrapped cells
    )
    return result.exit_code, result.stdout, result.stderr


def ledger(project: Path) -> Path:
    return project / "subscribers" / "referrals.csv"


ADD = ("add", "--ref", "wdtd-6pde", "--name", "Jordan Miller", "--phone", "(608) 555-0100")


def test_add_appends_a_lead_for_a_known_code(sample_project: Path) -> None:
    code, out, err = run(sample_project, *ADD, "--received-at", "2026-11-23T08:05", "--thank")
    # The sample's readers reached rewards nobody recorded: they are added, pending, and
    # listed after the lead.
    assert (code, out.splitlines(keepends=True)[0], err) == (
        0,
        "added lead 12: Jordan Miller, referred by María González (WDTD6PDE); qualified\n",
        "",
    )
    assert ledger(sample_project).read_text().splitlines()[-1] == (
        "12,2026-11-23T08:05:00-06:00,WDTD6PDE,maria.gonzalez@example.com,Jordan Miller,,"
        "(608) 555-0100,,,new,,,,,yes,qualified,,,client,,,,"
    )


def test_add_with_an_unknown_code_is_refused(sample_project: Path) -> None:
    before = ledger(sample_project).read_bytes()
    code, out, err = run(
        sample_project, "add", "--ref", "ZZZZ9999", "--name", "X", "--phone", "6085550100"
    )
    assert (code, out) == (2, "")
    assert err == "newsletter: --ref: unknown referral code 'ZZZZ9999': no subscriber has it\n"
    assert ledger(sample_project).read_bytes() == before


def test_add_on_the_sample_without_a_secret_checks_the_code_with_the_sample_only_one(
    sample_project: Path,
) -> None:
    code, out, err = run(sample_project, *ADD, secret="")
    assert code == 0, err
    assert out.startswith("added lead 12: Jordan Miller, referred by María González")
    assert "warning: NEWSLETTER_SECRET is not set: using the sample-only secret" in err


def test_add_needs_a_phone_or_an_email(sample_project: Path) -> None:
    code, _, err = run(sample_project, "add", "--ref", "WDTD6PDE", "--name", "Jordan Miller")
    assert (code, err) == (
        2,
        "newsletter: --phone: a lead needs a phone number or an email address\n",
    )


def test_add_warns_about_a_likely_duplicate_and_adds_it(sample_project: Path) -> None:
    code, out, err = run(
        sample_project, "add", "--ref", "TA388GSS", "--name", "L. Santos", "--phone", "608-555-0175"
    )
    assert code == 0
    assert out.splitlines(keepends=True)[0] == (
        "added lead 12: L. Santos, referred by Karen Vogel (Lakeside Realty) (TA388GSS); "
        "qualified\n"
    )
    assert err == (
        "warning: lead 12 may be lead 10 again (Leo Santos, received 2026-11-18 18:25 CST): "
        "same phone\n"
        "warning: lead 12 is flagged, and counts only once cleared: known: same phone as "
        "lead 10\n"
    )


def test_update_moves_a_lead_on(sample_project: Path) -> None:
    at = ("--at", "2026-11-23T09:00")
    assert run(sample_project, "update", "10", "--status", "contacted", *at)[1].split("\n")[0] == (
        "updated lead 10 (Leo Santos): contacted; qualified"
    )
    assert run(sample_project, "update", "10", "--status", "won", "--value", "$1,200", *at)[1] == (
        "updated lead 10 (Leo Santos): won, $1,200.00; qualified\n"
    )
    row = ledger(sample_project).read_text().splitlines()[10]
    assert ",won,2026-11-23T09:00:00-06:00,2026-11-23T09:00:00-06:00,1200.00,," in row


def test_update_with_an_ambiguous_time_is_refused(sample_project: Path) -> None:
    code, _, err = run(
        sample_project, "update", "10", "--status", "lost", "--at", "2026-11-01T01:30"
    )
    assert code == 2
    assert err.startswith("newsletter: --at: 2026-11-01T01:30 happens twice on 2026-11-01")


def test_malformed_ledger_line_stops_every_change(sample_project: Path) -> None:
    path = ledger(sample_project)
    lines = path.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace("2026-10-14T09:05:00-05:00", "Oct 14")
    path.write_text("".join(lines))
    before = path.read_bytes()
    for args in (ADD, ("update", "10", "--status", "lost")):
        code, _, err = run(sample_project, *args)
        assert code == 2
        assert err.startswith(f"newsletter: {path}:4: received_at: not an ISO 8601 time")
    assert path.read_bytes() == before


def cells(out: str, bar: str = "│") -> list[list[str]]:
    """The cells of a rich table's rows (or, with ``bar="┃"``, its header)."""
    return [[c.strip() for c in line.split(bar)[1:-1]] for line in out.splitlines() if bar in line]


def test_list_shows_leads_of_a_status_with_when_each_is_due(sample_project: Path) -> None:
    code, out, _ = run(sample_project, "list", "--status", "new", "--now", "2026-11-20T12:00")
    assert code == 0
    assert cells(out, "┃") == [
        [
            "#",
            "Received",
            "Due",
            "Lead",
            "Contact",
            "Need",
            "Referred by",
            "Status",
            "Value",
            "Qualification",
        ]
    ]
    assert cells(out) == [
        [
            "10",
            "2026-11-18 18:25 CST",
            "2026-11-19 18:25 CST (overdue)",
            "Leo Santos",
            "(608) 555-0175",
            "Smart thermostat install",
            "María González",
            "new",
            "",
            "qualified",
        ],
        [
            "11",
            "2026-11-22 20:05 CST",
            "2026-11-23 20:05 CST",
            "Beatrice Young",
            "beatrice.young@example.com",
            "Humidifier for dry winter air",
            "Jim Okafor",
            "new",
            "",
            "qualified",
        ],
    ]


def test_list_shows_console_markup_that_people_typed_as_text(sample_project: Path) -> None:
    name = "[link=http://evil.example]Click me[/link] [bold]Bo"
    assert run(sample_project, *ADD[:4], name, "--phone", "(608) 555-0199")[0] == 0
    code, out, _ = run(sample_project, "list", "--status", "new")
    assert code == 0
    assert name in out


def test_list_says_when_nothing_matches(sample_project: Path) -> None:
    ledger(sample_project).unlink()
    assert run(sample_project, "list", "--status", "lost")[1] == "no leads with status lost\n"


def test_report_prints_tables_and_writes_files(sample_project: Path, tmp_path: Path) -> None:
    out_root = tmp_path / "out"
    code, out, _ = run(
        sample_project,
        "report",
        "--month",
        "2026-11",
        "--out",
        str(out_root),
        "--now",
        "2026-11-20T12:00",
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Referrals, November 2026 (as of 2026-11-20 12:00 CST)"
    assert [
        "10",
        "2026-11-18 18:25 CST",
        "1d 17h",
        "Leo Santos",
        "(608) 555-0175",
        "",
        "Smart thermostat install",
        "María González",
    ] in cells(out)
    assert [
        "11",
        "2026-11-23 20:05 CST",
        "3d 8h",
        "Beatrice Young",
        "",
        "beatrice.young@example.com",
        "Humidifier for dry winter air",
        "Jim Okafor",
    ] in cells(out)
    assert lines[-1] == (
        f"wrote {out_root}/referrals/2026-11/ "
        "(due.csv, flagged.csv, index.html, overdue.csv, referrers.csv, sources.csv, totals.csv)"
    )
    overdue = (out_root / "referrals" / "2026-11" / "overdue.csv").read_text("utf-8-sig")
    overdue = overdue.splitlines()
    assert [line.split(",")[0] for line in overdue] == ['"id"', '"10"']


def test_every_referral_command_has_help(sample_project: Path) -> None:
    for name in ("add", "update", "clear", "list", "report", "rewards"):
        result = CliRunner().invoke(main, ["referral", name, "--help"])
        assert result.exit_code == 0
        assert result.stdout.startswith(f"Usage: main referral {name} [OPTIONS]")


def test_check_validates_the_ledger(sample_project: Path) -> None:
    config = str(sample_project / "newsletter.yaml")
    result = CliRunner().invoke(main, ["check", "--config", config, "--month", "2026-11"])
    assert "referrals: 11 leads (2 new, 2 contacted, 6 won, 1 lost), 4 rewards handed out" in (
        result.stdout
    )
    path = ledger(sample_project)
    path.write_text(path.read_text().replace(",contacted,2026-11-04", ",called,2026-11-04"))
    result = CliRunner().invoke(main, ["check", "--config", config, "--month", "2026-11"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"newsletter: {path}:9: status: unknown status 'called'")
