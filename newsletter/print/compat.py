"""The only module that touches pypdf's and WeasyPrint's private internals.

Three things print needs have no public name:

- ``PdfWriter._add_object``: make an object indirect (pypdf's own examples use it);
- ``PdfWriter._ID``: the file identifier, set from the content so the same job gives the
  same bytes (pypdf draws random ones; PDF/X needs one);
- ``Page._page_box``: WeasyPrint's layout tree of a page, to find images printed at too low
  a resolution.

pyproject.toml bounds both libraries above the versions these were checked with, and
``tests/print/test_compat.py`` fails naming the internal that moved when a new version is
tried.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import weasyprint
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, ByteStringObject, IndirectObject, PdfObject


def add_object(writer: PdfWriter, obj: PdfObject) -> IndirectObject:
    """``obj`` made an indirect object of ``writer``."""
    return writer._add_object(obj)


def set_file_identifier(writer: PdfWriter, identifier: bytes) -> None:
    """Both halves of the file's /ID set to ``identifier`` (no public setter)."""
    writer._ID = ArrayObject([ByteStringObject(identifier)] * 2)


def layout_boxes(page: weasyprint.Page) -> Iterator[Any]:
    """Every box WeasyPrint laid out on ``page`` (its types are WeasyPrint's own)."""
    boxes: Iterator[Any] = page._page_box.descendants()
    return boxes
