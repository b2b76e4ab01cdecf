"""Shared helpers for the print tests: renders made once per test session, recipients made
in memory, and reading text with its position back out of a PDF."""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from pypdf import PdfReader

from newsletter.audience.links import referral_link
from newsletter.config import Settings, load_config
from newsletter.model import Address, Issue
from newsletter.print.document import PrintedIssue, address_font, lettering, render_print_issue
from newsletter.print.mailing import MailRecipient
from newsletter.print.overlay import Lettering
from newsletter.print.pdfdraw import FontMetrics
from newsletter.print.postal import address_lines
from newsletter.render.environment import make_environment
from tests.golden import FIXTURE_PROJECT
from tests.issue_factory import REPO, sample_issue, sample_settings

LANDING = "https://hartwellhvac.example.com/refer"


@functools.cache
def sample_print(variant: str = "generic") -> PrintedIssue:
    """The in-memory sample issue rendered for paper (once per session and variant)."""
    settings = sample_settings()
    env = make_environment(settings.templates_dir)
    return render_print_issue(sample_issue(settings), settings, env, variant=variant)  # type: ignore[arg-type]


def render(issue: Issue, settings: Settings, variant: str = "generic") -> PrintedIssue:
    return render_print_issue(
        issue,
        settings,
        make_environment(settings.templates_dir),
        variant=variant,  # type: ignore[arg-type]
    )


def settings_with(tmp_path: Path, **print_config: object) -> Settings:
    """The sample settings with a ``print:`` section, written next to the real templates."""
    data = yaml.safe_load((FIXTURE_PROJECT / "newsletter.yaml").read_text(encoding="utf-8"))
    data["print"] = print_config
    data["paths"] = {
        "templates": str(REPO / "templates"),
        "content": str(tmp_path / "content"),
        "subscribers": str(tmp_path / "subscribers"),
        "state": str(tmp_path / "state"),
    }
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "newsletter.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_config(path)


def recipient(
    first: str = "Łukasz",
    last: str = "Nowak",
    *,
    company: str = "",
    street: str = "517 Jenifer Street",
    city: str = "Madison",
    region: str = "WI",
    postal_code: str = "53703",
    country: str = "US",
    code: str = "K7QH3MZX",
    line: int = 2,
) -> MailRecipient:
    address = Address(street, city, region, postal_code, country)
    name = f"{first} {last}".strip()
    return MailRecipient(
        email=f"{first}.{last}@example.com".lower(),
        first_name=first,
        last_name=last,
        company=company,
        address=address,
        lines=address_lines(name, company, address, home_country="US"),
        code=code,
        link=referral_link(LANDING, code, "2026-11", medium="print"),
        line=line,
    )


def recipients(count: int) -> list[MailRecipient]:
    names = [("Łukasz", "Nowak"), ("Zoë", "Lindqvist"), ("María", "González"), ("Jim", "Okafor")]
    return [
        replace(recipient(*names[n % len(names)], code=f"CODE{n:04d}"), email=f"r{n}@example.com")
        for n in range(count)
    ]


@dataclass(frozen=True)
class Text:
    """A run of text drawn on a page: its font size and baseline origin, in points."""

    text: str
    x: float
    y: float
    size: float
    font: str


def page_texts(pdf: bytes, page: int = 0) -> list[Text]:
    """Every text run on ``page`` with its position, via pypdf's extraction visitor."""
    reader = PdfReader(io.BytesIO(pdf))
    found: list[Text] = []

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: object, size: float):
        if not text.strip():
            return
        # Position = text matrix then CTM; our layers use identity CTMs and 1 0 0 1 Tm.
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = (cm[0] ** 2 + cm[1] ** 2) ** 0.5 * (tm[0] ** 2 + tm[1] ** 2) ** 0.5
        name = str(font.get("/BaseFont", "")) if isinstance(font, dict) else ""
        found.append(Text(text.strip(), x, y, size * scale, name))

    reader.pages[page].extract_text(visitor_text=visit)
    return found


def address_metrics() -> FontMetrics:
    return address_font(sample_settings())


@functools.cache
def sample_lettering() -> Lettering:
    """The sample's fonts and salutation for addressed copies."""
    settings = sample_settings()
    return lettering(settings, make_environment(settings.templates_dir))


def page_image(pdf: bytes, page: int, folder: Path, *, dpi: int = 150) -> Path:
    """Page ``page`` (0-based) as a greyscale PNG, through poppler's pdftoppm."""
    tool = shutil.which("pdftoppm")
    assert tool, "pdftoppm not found: apt-get install poppler-utils (.ci/run does)"
    source = folder / "in.pdf"
    source.write_bytes(pdf)
    stem = folder / f"page-{page + 1}"
    number = str(page + 1)
    args = [tool, "-f", number, "-l", number, "-r", str(dpi), "-gray", "-png", "-singlefile"]
    subprocess.run([*args, str(source), str(stem)], check=True, capture_output=True)
    return stem.with_suffix(".png")


def scanned_qr_codes(pdf: bytes, page: int) -> list[str]:
    """What a QR reader finds on ``page`` printed at 150 dpi: zbar, independent of the
    encoder that drew the codes."""
    tool = shutil.which("zbarimg")
    assert tool, "zbarimg not found: apt-get install zbar-tools (.ci/run does)"
    with tempfile.TemporaryDirectory() as tmp:
        image = page_image(pdf, page, Path(tmp))
        run = subprocess.run(
            [tool, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode in (0, 4), run.stderr  # 4: the page holds no code at all
    return run.stdout.splitlines()
