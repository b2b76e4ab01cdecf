"""Subscriber values must be fit for an email as they are: no line breaks or other control
characters, no absurd lengths. A bad one is an error naming the file, line and column, at
`check`, at the dry run and before a send, never a failure halfway through a batch."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.audience.personalize import Personalizer
from newsletter.audience.subscribers import COLUMNS, MAX_VALUE_CHARS, iter_subscribers
from newsletter.characters import unfit_character
from newsletter.cli import main
from newsletter.config import load_config
from newsletter.deliver.smtp import SmtpTransport
from newsletter.deliver.transport import Message
from newsletter.errors import ContentError
from tests.golden import FIXTURE_PROJECT

SETTINGS = load_config(FIXTURE_PROJECT / "newsletter.yaml")
SECRET = "a-test-secret-of-enough-length"


def csv_text(*rows: dict[str, str]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({"segment": "client", "channels": "email", **row})
    return buffer.getvalue()


def write_rows(folder: Path, *rows: dict[str, str]) -> Path:
    path = folder / "subscribers.csv"
    path.write_text(csv_text(*rows), encoding="utf-8")
    return path


def load_error(path: Path) -> ContentError:
    with pytest.raises(ContentError) as caught:
        list(iter_subscribers(path))
    return caught.value


def test_a_line_break_in_a_quoted_name_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = write_rows(
        tmp_path,
        {"email": "ann@example.com", "first_name": "Ann"},
        {"email": "bo@example.com", "first_name": "Bo\nBcc: everyone@example.com"},
    )
    error = load_error(path)
    assert (Path(str(error.path)), error.line, error.key) == (path, 3, "first_name")
    assert "line break" in error.message


def test_a_carriage_return_alone_is_refused_too(tmp_path: Path) -> None:
    path = write_rows(tmp_path, {"email": "bo@example.com", "last_name": "Smith\rX"})
    assert load_error(path).line == 2  # the CSV reader itself stops at a bare CR


def test_a_fifty_thousand_character_first_name_is_refused_with_its_length(tmp_path: Path) -> None:
    path = write_rows(tmp_path, {"email": "bo@example.com", "first_name": "B" * 50_000})
    error = load_error(path)
    assert (error.line, error.key) == (2, "first_name")
    assert error.message == f"50,000 characters long (at most {MAX_VALUE_CHARS})"


def test_a_tab_or_other_control_character_is_named(tmp_path: Path) -> None:
    path = write_rows(tmp_path, {"email": "bo@example.com", "company": "Acme\tInc"})
    error = load_error(path)
    assert error.key == "company" and "U+0009" in error.message


@pytest.mark.parametrize(
    ("character", "named"),
    [
        ("\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("\u2067", "U+2067 (RIGHT-TO-LEFT ISOLATE)"),
        ("\x9b", "U+009B"),
        ("\u2028", "line break"),
    ],
)
def test_a_bidirectional_override_or_an_invisible_control_is_named(
    tmp_path: Path, character: str, named: str
) -> None:
    path = write_rows(tmp_path, {"email": "bo@example.com", "first_name": f"Ana{character}gpj.exe"})
    error = load_error(path)
    assert (error.line, error.key) == (2, "first_name") and named in error.message


def test_a_value_of_exactly_the_limit_is_fine(tmp_path: Path) -> None:
    path = write_rows(tmp_path, {"email": "bo@example.com", "company": "C" * MAX_VALUE_CHARS})
    assert [s.company for s in iter_subscribers(path)] == ["C" * MAX_VALUE_CHARS]


def test_check_and_the_dry_run_refuse_the_list_naming_the_line(sample_project: Path) -> None:
    config = str(sample_project / "newsletter.yaml")
    env = {"NEWSLETTER_SECRET": SECRET}
    runner = CliRunner()
    build = ["build", "--month", "2026-11", "--offline", "--config", config]
    build += ["--out", str(sample_project / "build")]
    assert runner.invoke(main, build, env=env).exit_code == 0
    path = sample_project / "subscribers" / "subscribers.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    rows[4]["first_name"] = "Line\nbreak"
    path.write_text(csv_text(*rows), encoding="utf-8")
    checked = runner.invoke(main, ["check", "--month", "2026-11", "--config", config], env=env)
    dry_run = ["send", "--month", "2026-11", "--config", config]
    dry_run += ["--out", str(sample_project / "build")]
    sent = runner.invoke(main, dry_run, env=env)
    expected = (
        f"newsletter: {path}:6: first_name: contains a line break, which cannot go into an "
        "email header\n"
    )
    assert (checked.exit_code, checked.stderr) == (2, expected)
    assert (sent.exit_code, sent.stderr) == (2, expected)


# -- properties over generated rows ----------------------------------------------------

values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=260)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=values, last=values, company=values)
def test_every_row_either_loads_fit_for_email_or_names_its_line(
    tmp_path: Path, first: str, last: str, company: str
) -> None:
    path = write_rows(
        tmp_path,
        {"email": "x@example.com", "first_name": first, "last_name": last, "company": company},
    )
    try:
        (subscriber,) = iter_subscribers(path)
    except ContentError as error:
        assert Path(str(error.path)) == path
        assert error.line is not None and error.line >= 2  # where the row or its fault is
        assert error.key in ("first_name", "last_name", "company") or "CSV" in error.message
        return
    for value in (subscriber.first_name, subscriber.last_name, subscriber.company):
        assert len(value) <= MAX_VALUE_CHARS
        assert unfit_character(value) is None


fit_names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=MAX_VALUE_CHARS
)


@settings(max_examples=150, deadline=None)
@given(first=fit_names, last=fit_names)
def test_no_header_line_of_a_fit_subscriber_passes_998_bytes(first: str, last: str) -> None:
    email = f"{'l' * 64}@{'d' * 60}.{'e' * 60}.{'f' * 60}.example.com"
    personalizer = Personalizer(
        SETTINGS, secret=SECRET.encode(), landing_url="https://example.com/refer", month="2026-11"
    )
    recipient = personalizer.recipient(email, first, last, code="K7QH3MZX")
    message = Message("Subject %%FIRST_NAME%%", "news@example.com", "News", None, "<p>x</p>", "x")
    wire = SmtpTransport("localhost", 25).render(personalizer.message(message), recipient)
    head = wire.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 998
