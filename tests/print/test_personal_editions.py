"""Personal editions on paper: an addressed copy carries the ``::: only TAG`` blocks and the
hook lines its reader's email carries, from a base rendered once per combination in use;
labels and the mailing list stay in the copies' order. Read back from real WeasyPrint PDFs
made by the installed console script on a terminal."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from newsletter.config import load_config
from newsletter.errors import BuildError
from newsletter.pipeline.build import build
from newsletter.print.job import print_job
from newsletter.print.mailing import MailingList
from newsletter.print.shop import JobFacts, job_ticket
from tests.golden import copy_sample
from tests.print.test_terminal import CONSOLE_SCRIPT, environment, print_package
from tests.terminal import run_on_terminal

MONTH = "2026-11"
SECRET = b"a-test-secret-of-enough-length"
TIMEOUT = 300.0  # a loaded machine; seconds when idle
PERSONAL = {
    "tags": ["pets", "kids"],
    "max_variants": 50,
    "hooks": [
        {"fact": "installed", "min_years": 12, "text": "Your {what} turns {years} this winter."},
        {"fact": "last_service", "min_months": 11, "text": "Your yearly tune-up is due."},
    ],
}
PETS_BLOCK = "\n::: only pets\nPet hair clogs filters twice as fast: check yours monthly.\n:::\n"
BLOCK = "Pet hair clogs filters"
FURNACE = "Your furnace turns 16 this winter."
TUNE_UP = "Your yearly tune-up is due."
HEADER = "email,first_name,last_name,segment,channels,street,city,region,postal_code,country,"
HEADER += "tags,facts"
# Postal codes put them in this order on the mailing list: the copies' order.
READERS = {
    "pat@example.com": ("Pat", "Lee", "mail", "53701", "pets;ac", "installed: furnace 2010"),
    "kim@example.com": ("Kim", "Day", "both", "53702", "pets", ""),
    "lou@example.com": ("Lou", "Fox", "mail", "53703", "", "last_service: 2025-10-20"),
    "ann@example.com": ("Ann", "Orr", "mail", "53704", "kids", "last_service: 2026-10-01"),
    "sam@example.com": ("Sam", "Ray", "mail", "53705", "pets", "installed: furnace 2010"),
}
EXPECTED = {  # what each copy says beyond the plain edition
    "pat@example.com": {BLOCK, FURNACE},
    "kim@example.com": {BLOCK},
    "lou@example.com": {TUNE_UP},
    "ann@example.com": set(),  # kids: no block this month; the service is recent
    "sam@example.com": {BLOCK, FURNACE},  # pat's edition
}


def personal_project(folder: Path, rows: list[str], *, editorial_block: str = PETS_BLOCK) -> Path:
    """The sample without feeds, a ``personal:`` config, a pets block and ``rows``."""
    copy_sample(folder)
    config = yaml.safe_load((folder / "newsletter.yaml").read_text(encoding="utf-8"))
    config["feeds"] = []
    config["personal"] = PERSONAL
    (folder / "newsletter.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    editorial = sorted((folder / "content" / "editorials" / MONTH).glob("*.md"))[0]
    editorial.write_text(editorial.read_text(encoding="utf-8") + editorial_block)
    subscribers = folder / "subscribers" / "subscribers.csv"
    subscribers.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    (folder / "subscribers" / "suppressions.csv").unlink(missing_ok=True)
    build(load_config(folder / "newsletter.yaml"), MONTH, out_root=folder / "build", offline=True)
    return folder


def row(
    email: str, first: str, last: str, channels: str, postal: str, tags: str, facts: str
) -> str:
    address = f"1 Main Street,Madison,WI,{postal},US"
    return f"{email},{first},{last},client,{channels},{address},{tags},{facts}"


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The personal project printed as a person does: console script, terminal, --split."""
    rows = [row(email, *fields) for email, fields in READERS.items()]
    folder = personal_project(tmp_path_factory.mktemp("personal-print"), rows)
    env = environment(TERM="xterm-256color", COLUMNS="120")
    status, output = run_on_terminal(print_package(folder, "--split"), env, timeout=TIMEOUT)
    assert status == 0, output
    assert "Traceback" not in output
    assert "editions: 4 (" in output  # pat and sam's, kim's, lou's, and the plain one (ann)
    return folder / "build" / MONTH / "print"


def text_of(pdf: PdfReader, pages: range) -> str:
    return " ".join(" ".join(pdf.pages[n].extract_text().split()) for n in pages)


def copies(pdf: PdfReader, codes: list[str]) -> list[range]:
    """The pages of each copy, in order: a copy starts at the page with its referral code."""
    starts = []
    for code in codes:
        after = starts[-1] + 1 if starts else 0
        starts.append(
            next(n for n in range(after, len(pdf.pages)) if code in pdf.pages[n].extract_text())
        )
    return [range(a, b) for a, b in zip(starts, [*starts[1:], len(pdf.pages)], strict=True)]


def mailing_rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "mailing-list.csv").open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def said(text: str) -> set[str]:
    return {phrase for phrase in (BLOCK, FURNACE, TUNE_UP) if phrase in text}


def test_each_addressed_copy_says_what_its_readers_email_says(printed: Path) -> None:
    assert CONSOLE_SCRIPT.is_file(), "the package is not installed in this environment"
    rows = mailing_rows(printed)
    pdf = PdfReader(io.BytesIO((printed / "addressed.pdf").read_bytes()))
    by_name = {f"{first} {last}": email for email, (first, last, *_) in READERS.items()}
    found = {}
    for entry, pages in zip(rows, copies(pdf, [r["referral_code"] for r in rows]), strict=True):
        text = text_of(pdf, pages)
        assert entry["name"] in text  # the copy is addressed to the mailing list's row
        found[by_name[entry["name"]]] = said(text)
    assert found == EXPECTED


def test_labels_and_the_mailing_list_follow_the_copies_in_postal_order(printed: Path) -> None:
    rows = mailing_rows(printed)
    assert [r["postal_code"] for r in rows] == sorted(r["postal_code"] for r in rows)
    labels = PdfReader(io.BytesIO((printed / "labels.pdf").read_bytes()))
    label_text = " ".join(page.extract_text() for page in labels.pages)
    names = [r["name"] for r in rows]
    assert sorted(names, key=label_text.index) == names


def test_each_split_copy_is_its_readers_edition(printed: Path) -> None:
    rows = mailing_rows(printed)
    files = sorted((printed / "addressed").iterdir())
    assert len(files) == len(rows)
    by_name = {f"{first} {last}": email for email, (first, last, *_) in READERS.items()}
    for entry, path in zip(rows, files, strict=True):
        pdf = PdfReader(io.BytesIO(path.read_bytes()))
        text = text_of(pdf, range(len(pdf.pages)))
        assert entry["name"] in text
        assert said(text) == EXPECTED[by_name[entry["name"]]], path.name


def test_the_hand_out_issue_has_no_tagged_block_and_no_hook_line(printed: Path) -> None:
    pdf = PdfReader(io.BytesIO((printed / "issue.pdf").read_bytes()))
    assert said(text_of(pdf, range(len(pdf.pages)))) == set()


def test_more_print_editions_than_the_cap_stops_the_job_before_rendering(tmp_path: Path) -> None:
    # Mail only: the email build has no variants to cap, the paper has 60.
    rows = [
        row(f"r{year}@example.com", "R", f"Y{year}", "mail", "53703", "", f"installed: x {year}")
        for year in range(1950, 2010)
    ]
    folder = personal_project(tmp_path / "project", rows)
    message = r"needs 60 personal variants of the print edition .*max_variants \(50\)"
    with pytest.raises(BuildError, match=message):
        print_job(load_config(folder / "newsletter.yaml"), MONTH, out_root=folder / "build",
                  secret=SECRET)  # fmt: skip
    assert not (folder / "build" / MONTH / "print").exists()


def test_job_ticket_gives_the_pages_of_the_shortest_and_longest_edition(tmp_path: Path) -> None:
    settings = load_config(copy_sample(tmp_path / "project") / "newsletter.yaml")
    facts = JobFacts("Title", MONTH, 2, MailingList(()), 0, most_pages=3)
    ticket = job_ticket(settings, facts)
    assert re.search(r"Pages: +2 to 3 by copy \(2 sheets at most", ticket)
