"""Shared helpers for the card tests: a sample project with chosen readers, and what a
card's page holds, read back with pdfplumber in inches from the trim's top-left corner."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import yaml

from newsletter.config import Settings, load_config
from tests.golden import copy_sample

INCH = 72.0
HEADER = "email,first_name,last_name,company,segment,channels,street,city,region,postal_code"
READERS = (
    "ann@example.com,Ann,Lee,,prospect,mail,9 Elm Street,Madison,WI,53714",
    "bo@example.com,María José,González-Berg,,prospect,both,1 Oak Avenue Apt 2,Madison,WI,53703",
    "di@example.com,Di,Diaz,,client,both,5 Pine Road,Madison,WI,53704",
)


def card_project(
    folder: Path,
    cards: dict[str, object] | None = None,
    readers: Sequence[str] = READERS,
    suppressions: Sequence[str] = (),
    desk: bool = True,
) -> Settings:
    """The sample newsletter in ``folder`` with a ``cards:`` section and these readers."""
    copy_sample(folder)
    path = folder / "newsletter.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["cards"] = {"segments": ["client"], **(cards or {})}
    data.pop("desk", None)  # the sample's own
    if desk:
        data["desk"] = {"public_url": "https://desk.example.com/"}
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    subscribers = folder / "subscribers"
    (subscribers / "subscribers.csv").write_text("\n".join([HEADER, *readers]) + "\n")
    lines = ["email,reason,date,source,channel", *suppressions]
    (subscribers / "suppressions.csv").write_text("\n".join(lines) + "\n")
    return load_config(path)


@dataclass(frozen=True)
class Mark:
    """Something drawn on a page (a character, rectangle, line, curve or image), its box in
    inches from the trim's top-left corner."""

    kind: str
    text: str
    left: float
    top: float
    right: float
    bottom: float

    def inside(self, left: float, top: float, right: float, bottom: float) -> bool:
        slack = 0.001
        return (
            self.left >= left - slack
            and self.right <= right + slack
            and self.top >= top - slack
            and self.bottom <= bottom + slack
        )

    def touches(self, left: float, top: float, right: float, bottom: float) -> bool:
        return self.left < right and self.right > left and self.top < bottom and self.bottom > top


@dataclass(frozen=True)
class PageBoxes:
    """A page's boxes in inches: trim size, and how far the bleed and media reach past it."""

    trim: tuple[float, float]  # length (across), height (down)
    bleed: float  # the bleed box past the trim, each side
    media: float  # the media box past the trim, each side (room for crop marks)


def page_marks(pdf: bytes, page: int) -> list[Mark]:
    """Everything drawn on ``page`` (0-based), inside the trim or not."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        sheet = document.pages[page]
        x0, top0 = sheet.trimbox[0], sheet.trimbox[1]
        marks = []
        for kind in ("chars", "rects", "lines", "curves", "images"):
            for item in getattr(sheet, kind):
                marks.append(
                    Mark(
                        kind,
                        item.get("text", ""),
                        (item["x0"] - x0) / INCH,
                        (item["top"] - top0) / INCH,
                        (item["x1"] - x0) / INCH,
                        (item["bottom"] - top0) / INCH,
                    )
                )
        return marks


def page_boxes(pdf: bytes, page: int = 0) -> PageBoxes:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        sheet = document.pages[page]
        trim, bleed, media = sheet.trimbox, sheet.bleedbox, sheet.mediabox
        return PageBoxes(
            trim=((trim[2] - trim[0]) / INCH, (trim[3] - trim[1]) / INCH),
            bleed=round((trim[0] - bleed[0]) / INCH, 4),
            media=round((trim[0] - media[0]) / INCH, 4),
        )


def text_in(marks: Sequence[Mark]) -> str:
    return "".join(m.text for m in marks if m.kind == "chars")
