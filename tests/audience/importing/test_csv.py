"""A generic CSV export (an invoicing tool's customers, a spreadsheet): its columns mapped
with --map, through the installed console script."""

from __future__ import annotations

from pathlib import Path

import click

from newsletter.audience.importing.columns import TARGETS
from newsletter.cli.importing import import_command
from tests.audience.importing.project import FIXTURES, bakery, by_email, run_import

CUSTOMERS = FIXTURES / "customers.csv"
CUSTOMER_MAP = (
    "Customer=company,E-mail=email,Given name=first_name,Family name=last_name,"
    "State=region,Zip=postal_code,Newsletter opt-in=consent_source,Opt-in date=consent_date"
)
HEADER = "email,first_name,last_name"


def test_mapped_columns_bring_names_addresses_and_consent(tmp_path: Path) -> None:
    config = bakery(tmp_path)

    done = run_import(config, CUSTOMERS, "--map", CUSTOMER_MAP, "--yes")

    assert done.stdout.splitlines()[0] == (
        f"reading {CUSTOMERS}: CSV (Customer → company, E-mail → email, Given name → "
        "first_name, Family name → last_name, State → region, Zip → postal_code, Newsletter "
        "opt-in → consent_source, Opt-in date → consent_date, Street → street, City → city); "
        "not imported: Phone"
    )
    assert "added 4, updated 0, unchanged 0, suppressed 0, refused 2" in done.stdout
    listed = by_email(tmp_path / "subscribers" / "subscribers.csv")
    greta = listed["orders@hallowfarm.example"]
    assert (greta["company"], greta["channels"], greta["postal_code"]) == (
        "Hallow Farm",
        "both",
        "97123",
    )
    assert (greta["consent_source"], greta["consent_date"]) == (
        "signed up at the counter",
        "2024-02-11",
    )
    assert listed["ivy@example.com"]["last_name"] == "Van Der Berg"  # a line break in a cell
    assert listed["kim@example.com"]["channels"] == "mail"  # no consent: post only


def test_refused_rows_name_their_line_and_reason(tmp_path: Path) -> None:
    done = run_import(bakery(tmp_path), CUSTOMERS, "--map", CUSTOMER_MAP)

    refused = [line for line in done.stdout.splitlines() if line.startswith("!")]
    assert refused == [
        f"! {CUSTOMERS}:4: refused: no-at-sign.example.com: not a valid address: An email "
        "address must have an @-sign.",
        f"! {CUSTOMERS}:8: refused: joy@example.com: consent_date: not a date (YYYY-MM-DD): "
        "'05/03/2024'",
    ]
    assert done.returncode == 1


def test_columns_named_like_the_values_need_no_map(tmp_path: Path) -> None:
    export = tmp_path / "list.csv"
    export.write_text(
        "Email,First Name,last-name,Consent Source\nann@example.com,Ann,Lee,order form\n"
    )

    done = run_import(bakery(tmp_path / "project"), export)

    assert f"reading {export}: CSV (email → email, first_name → first_name" not in done.stdout
    assert (
        f"reading {export}: CSV (Email → email, First Name → first_name, last-name → "
        "last_name, Consent Source → consent_source)"
    ) in done.stdout
    assert f"+ {export}:2: ann@example.com: Ann Lee; client, email; consent undated" in (
        done.stdout
    )


def test_an_email_address_or_e_mail_column_needs_no_map(tmp_path: Path) -> None:
    export = tmp_path / "list.csv"
    export.write_text("E-mail,Name,Consent source\nann@example.com,Ann Lee,form\n")

    done = run_import(bakery(tmp_path / "project"), export)

    assert done.stdout.splitlines()[0] == (
        f"reading {export}: CSV (E-mail → email, Name → name, Consent source → consent_source)"
    )


def test_a_line_longer_than_any_contact_is_an_error_naming_it(tmp_path: Path) -> None:
    export = tmp_path / "list.csv"
    export.write_bytes(b"email,name\nann@example.com,Ann\n" + b"x" * (2 * 1024 * 1024) + b"\n")

    done = run_import(bakery(tmp_path / "project"), export)

    assert done.returncode == 2
    assert done.stderr == (
        f"newsletter: {export}:3: a line longer than 1,048,576 bytes: not a contact export\n"
    )


def test_a_file_that_is_not_there_or_an_archive_that_is_not_one_is_named(
    tmp_path: Path,
) -> None:
    config = bakery(tmp_path / "project")
    broken = tmp_path / "export.zip"
    broken.write_bytes(b"PK not really")

    missing = run_import(config, tmp_path / "nothing.csv")
    not_a_zip = run_import(config, broken)

    assert missing.stderr == f"newsletter: {tmp_path / 'nothing.csv'}: file not found\n"
    assert not_a_zip.stderr.startswith(f"newsletter: {broken}: not a ZIP archive that can be read")
    assert (missing.returncode, not_a_zip.returncode) == (2, 2)


def test_a_spreadsheets_semicolons_and_code_page_are_read_with_encoding(tmp_path: Path) -> None:
    export = tmp_path / "excel.csv"
    export.write_bytes(
        "E-mail;Nom;Rue;Ville;Code postal\nrené@example.fr;René Côté;12 rue Ontario;Montréal;"
        "H2X 3K8\n".encode("cp1252")
    )
    config = bakery(tmp_path / "project")
    mapping = "E-mail=email,Nom=name,Rue=street,Ville=city,Code postal=postal_code"

    as_utf8 = run_import(config, export, "--map", mapping)
    as_cp1252 = run_import(config, export, "--map", mapping, "--encoding", "cp1252")

    assert as_utf8.returncode == 2
    assert as_utf8.stderr == (
        f"newsletter: {export}:2: not utf-8 text (byte 4 of the line); give the file's "
        "encoding with --encoding (e.g. cp1252 for Excel's CSV)\n"
    )
    assert as_cp1252.returncode == 0
    assert f"+ {export}:2: rené@example.fr: René Côté; client, post only" in (
        as_cp1252.stdout.splitlines()
    )


def test_a_row_with_more_cells_than_the_header_is_refused_and_the_rest_goes_on(
    tmp_path: Path,
) -> None:
    export = tmp_path / "list.csv"
    export.write_text(
        "email,first_name,consent_source\n"
        "ann@example.com,Ann,form,extra\n"
        "bob@example.com,Bob,form\n"
    )

    done = run_import(bakery(tmp_path / "project"), export)

    assert f"! {export}:2: refused: 4 cells, but the header names 3 columns" in done.stdout
    assert f"+ {export}:3: bob@example.com: Bob; client, email" in done.stdout


def test_a_value_the_list_would_refuse_is_refused_with_the_lists_own_reason(
    tmp_path: Path,
) -> None:
    export = tmp_path / "list.csv"
    export.write_text(
        f"{HEADER},consent_source\n"
        f"ann@example.com,{'A' * 201},Lee,form\n"
        "bob@example.com,Bob\x07,Ray,form\n"
    )

    done = run_import(bakery(tmp_path / "project"), export)

    assert done.stdout.splitlines()[1:3] == [
        f"! {export}:2: refused: ann@example.com: first_name: 201 characters long (at most 200)",
        f"! {export}:3: refused: bob@example.com: first_name: contains the control character "
        "U+0007",
    ]


def test_a_stray_quote_refuses_its_row_and_one_never_closed_says_where_it_opened(
    tmp_path: Path,
) -> None:
    export = tmp_path / "list.csv"
    export.write_text(
        f"{HEADER},consent_source\n"
        'ann@example.com,"Ann"e,Lee,form\n'
        "bob@example.com,Bob,Ray,form\n"
        'cat@example.com,"Cat,Ng,form\n'
        "dan@example.com,Dan,Ito,form\n"
    )

    done = run_import(bakery(tmp_path / "project"), export)

    assert done.stdout.splitlines()[1:-2] == [
        f"! {export}:2: refused: malformed CSV: ',' expected after '\"'",
        f"+ {export}:3: bob@example.com: Bob Ray; client, email; consent undated (form)",
        f"! {export}:4: refused: a quote opened on this line is never closed: the rest of "
        "the file is in this row",
    ]


def test_a_file_without_an_email_column_is_an_error_that_suggests_a_map(tmp_path: Path) -> None:
    export = tmp_path / "list.csv"
    export.write_text("Courriel,Nom\nann@example.com,Ann Lee\n")

    done = run_import(bakery(tmp_path / "project"), export)

    assert done.returncode == 2
    assert done.stderr == (
        f"newsletter: {export}:1: no email column: name it with --map, e.g. --map "
        "'E-mail=email' (the columns: Courriel, Nom)\n"
    )


def test_a_map_to_an_unknown_value_is_a_usage_error(tmp_path: Path) -> None:
    done = run_import(bakery(tmp_path), CUSTOMERS, "--map", "E-mail=mail")

    assert done.returncode == 2
    assert "Invalid value for --map: 'E-mail=mail': 'mail' is not a value to import" in (
        done.stderr
    )


def test_the_help_of_map_names_every_value_to_import() -> None:
    (option,) = [o for o in import_command.params if o.name == "maps"]
    assert isinstance(option, click.Option) and option.help is not None
    listed = option.help.split("Values: ")[1].rstrip(".").split(", ")
    assert listed == list(TARGETS)


def test_a_mapped_column_that_no_file_named_has_is_an_error(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("email\nann@example.com\n")
    second.write_text("email\nbob@example.com\n")

    done = run_import(bakery(tmp_path / "project"), first, second, "--map", "Given=first_name")

    assert done.returncode == 2
    assert done.stderr == "newsletter: --map: no file named has a column 'Given'\n"
