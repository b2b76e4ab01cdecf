"""Who is the same person: an import matches addresses against the list, the suppressions
and itself whatever their case, Unicode form or IDN spelling, and a row already listed only
gains what it lacks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newsletter.audience.importing import Choices, Imported, import_contacts
from newsletter.audience.importing.report import report_lines
from newsletter.errors import ContentError
from tests.audience.importing.project import CONSOLE_SCRIPT, bakery, by_email

PORTLAND = ZoneInfo("America/Los_Angeles")
HEADER = "email,first_name,last_name,street,city,postal_code,consent_source,tags\n"


def imported(project: Path, text: str, *, write: bool = False) -> Imported:
    export = project / "export.csv"
    export.write_text(HEADER + text, encoding="utf-8")
    return import_contacts(
        project / "subscribers", [export], Choices(), tz=PORTLAND, write_files=write
    )


def changes(result: Imported) -> list[tuple[str, int, str]]:
    return [(c.kind, c.origin.line, c.detail) for c in result.plan.changes]


def test_case_unicode_form_and_idn_spelling_find_the_listed_person(tmp_path: Path) -> None:
    bakery(tmp_path)
    decomposed = "ju\u0308rgen@bu\u0308cher.example"

    result = imported(
        tmp_path,
        f"JÜRGEN@XN--BCHER-KVA.EXAMPLE,,,,,,,\n{decomposed},,,,,,,\nRuth@EXAMPLE.com,,,,,,,\n",
    )

    assert changes(result) == [
        ("unchanged", 2, "on line 4 already"),
        ("refused", 3, f"read already on {tmp_path / 'export.csv'}:2"),
        ("unchanged", 4, "on line 3 already"),
    ]


def test_a_suppressed_address_in_another_spelling_is_not_added(tmp_path: Path) -> None:
    bakery(tmp_path)

    result = imported(tmp_path, "Dana@Example.COM,Dana,Cole,,,,website form,\n")

    assert changes(result) == [
        ("suppressed", 2, "not added: unsubscribe on 2024-05-01 (line 2 of suppressions.csv)")
    ]


def test_a_listed_row_gains_what_it_lacks_and_keeps_what_it_has(tmp_path: Path) -> None:
    bakery(tmp_path)

    result = imported(
        tmp_path,
        "ruth@example.com,Ruthie,Hall-Baker,7 Ash St,Portland,97202,counter sign-up,Rye;VIP\n",
        write=True,
    )

    assert changes(result) == [("updated", 2, "line 3 gains postal address; tags rye, vip")]
    ruth = by_email(tmp_path / "subscribers" / "subscribers.csv")["ruth@example.com"]
    assert (ruth["first_name"], ruth["last_name"]) == ("Ruth", "Hall")  # never overwritten
    assert (ruth["consent_source"], ruth["consent_date"]) == ("website form", "2021-05-01")
    assert (ruth["street"], ruth["postal_code"], ruth["tags"]) == ("7 Ash St", "97202", "rye;vip")
    assert ruth["channels"] == "email"  # post is not assumed for someone already listed


def test_rows_not_changed_keep_every_byte_and_changed_ones_stay_in_place(tmp_path: Path) -> None:
    bakery(tmp_path)
    listed = tmp_path / "subscribers" / "subscribers.csv"
    before = listed.read_text(encoding="utf-8").splitlines()

    imported(
        tmp_path,
        "marco.rossi@example.com,Marco,,,,,,\nnew@example.com,New,Person,,,,form,\n",
        write=True,
    )

    after = listed.read_text(encoding="utf-8").splitlines()
    assert [after[0], *after[2:4]] == [before[0], *before[2:4]]
    assert after[1].startswith("marco.rossi@example.com,Marco,,")
    assert after[4].startswith("new@example.com,New,Person,,client,email,")
    assert len(after) == 5


def test_a_suppressed_person_on_the_list_never_gains_the_email_channel(tmp_path: Path) -> None:
    bakery(tmp_path)
    (tmp_path / "subscribers" / "suppressions.csv").write_text(
        "email,reason,date,source\nmarco.rossi@example.com,unsubscribe,2024-01-01,\n"
    )

    result = imported(tmp_path, "marco.rossi@example.com,Marco,,,,,website form,\n")

    assert changes(result) == [("updated", 2, "line 2 gains first_name Marco; consent")]


def test_a_new_list_gets_a_header_with_every_column(tmp_path: Path) -> None:
    bakery(tmp_path)
    (tmp_path / "subscribers" / "subscribers.csv").unlink()

    imported(tmp_path, "ann@example.com,Ann,,,,,form,\n", write=True)

    text = (tmp_path / "subscribers" / "subscribers.csv").read_text()
    assert text.splitlines()[0].startswith("email,first_name,last_name,company,segment,")
    assert text.splitlines()[1].startswith("ann@example.com,Ann,,,client,email,")


def test_an_older_list_without_the_source_column_gains_it_at_its_end(tmp_path: Path) -> None:
    bakery(tmp_path)
    listed = tmp_path / "subscribers" / "subscribers.csv"
    listed.write_text("email,segment,channels\nold@example.com,client,email\n")

    imported(tmp_path, "ann@example.com,Ann,,,,,form,\n", write=True)

    lines = listed.read_text().splitlines()
    assert lines[0].startswith("email,segment,channels,first_name,")
    assert lines[0].endswith(",source")
    assert lines[1] == "old@example.com,client,email"


def test_a_list_its_own_loader_refuses_stops_the_import_naming_its_line(tmp_path: Path) -> None:
    bakery(tmp_path)
    listed = tmp_path / "subscribers" / "subscribers.csv"
    listed.write_text(listed.read_text() + "not-an-address,,,,client,email,,,,,,,,,\n")

    with pytest.raises(ContentError) as refused:
        imported(tmp_path, "ann@example.com,Ann,,,,,form,\n", write=True)

    assert refused.value.one_line().startswith(f"{listed}:5: email: not a valid address")
    assert "ann@example.com" not in listed.read_text()


def test_the_report_counts_every_kind_and_lists_all_but_the_unchanged(tmp_path: Path) -> None:
    bakery(tmp_path)

    lines = report_lines(imported(tmp_path, "ruth@example.com,,,,,,,\nnew@example.com,,,,,,x,\n"))

    assert lines[1:] == [
        f"+ {tmp_path / 'export.csv'}:3: new@example.com: client, email; consent undated (x)",
        "added 1, updated 0, unchanged 1, suppressed 0, refused 0",
        "dry run: nothing written; run again with --yes to import",
    ]


def test_four_imports_at_once_all_land_and_nothing_is_lost(tmp_path: Path) -> None:
    config = bakery(tmp_path)
    exports = []
    for batch in range(4):
        export = tmp_path / f"batch-{batch}.csv"
        people = "".join(f"p{batch}-{n}@example.com,P,{n},,,,form,\n" for n in range(2000))
        export.write_text(HEADER + people)
        exports.append(export)

    processes = [
        subprocess.Popen(
            [str(CONSOLE_SCRIPT), "import", str(e), "--config", str(config), "--yes"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"PATH": os.environ["PATH"]},
        )
        for e in exports
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    results = [(p.returncode, *output) for p, output in zip(processes, outputs, strict=True)]

    assert [status for status, _, _ in results] == [0] * 4, results
    listed = by_email(tmp_path / "subscribers" / "subscribers.csv")
    assert len(listed) == 3 + 4 * 2000
