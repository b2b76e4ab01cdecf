"""print/compat.py: the pypdf and WeasyPrint internals print relies on are still there.

A new pypdf or WeasyPrint that moved one fails here, naming it, before a print job does.
"""

from __future__ import annotations

import io
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import weasyprint
from packaging.requirements import Requirement
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, IndirectObject, NameObject

from newsletter.print import compat

REPO = Path(__file__).resolve().parents[2]


def test_pypdf_still_makes_an_object_indirect_through_add_object() -> None:
    writer = PdfWriter()
    marker = DictionaryObject({NameObject("/Type"): NameObject("/Marker")})
    reference = compat.add_object(writer, marker)
    assert isinstance(reference, IndirectObject), "pypdf: PdfWriter._add_object moved"
    assert reference.get_object() is marker


def test_pypdf_still_writes_the_identifier_set_through_ID() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=72, height=72)
    compat.set_file_identifier(writer, b"0123456789abcdef")
    buffer = io.BytesIO()
    writer.write(buffer)
    written = PdfReader(io.BytesIO(buffer.getvalue())).trailer["/ID"]
    assert [part.original_bytes for part in written] == [b"0123456789abcdef"] * 2, (
        "pypdf: PdfWriter._ID is no longer the file identifier it writes"
    )


def test_weasyprint_still_exposes_a_pages_layout_boxes() -> None:
    page = weasyprint.HTML(string='<p style="width: 96px">Hello</p>').render().pages[0]
    boxes = list(compat.layout_boxes(page))
    assert boxes, "WeasyPrint: Page._page_box.descendants() is gone"
    paragraph = next(box for box in boxes if getattr(box, "element_tag", None) == "p")
    # what assets.low_resolution reads from each box
    assert paragraph.width == 96
    assert paragraph.element.tag == "p"


def test_the_installed_versions_are_within_the_bounds_compat_was_checked_with() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    bounds = {
        (req := Requirement(line)).name: req.specifier
        for line in pyproject["project"]["dependencies"]
        if re.match(r"(weasyprint|pypdf)\b", line)
    }
    for name in ("weasyprint", "pypdf"):
        assert any(spec.operator == "<" for spec in bounds[name]), f"{name} has no upper bound"
        assert version(name) in bounds[name], f"{name} {version(name)} outside {bounds[name]}"
