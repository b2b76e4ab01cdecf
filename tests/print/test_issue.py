"""issue.pdf: boxes and bleed, pages, fonts, colour modes, PDF/X, images."""

from __future__ import annotations

import io
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from PIL import Image as PILImage
from pypdf import PdfReader
from pypdf.generic import ContentStream

from newsletter.config import Settings
from newsletter.errors import BuildError, ConfigError
from newsletter.model import Image, Issue
from newsletter.print.document import PrintedIssue, address_font
from tests.issue_factory import REPO, sample_issue, sample_settings
from tests.print.support import render, sample_print, scanned_qr_codes, settings_with

BLEED = 9.0  # 0.125 in
BUNDLED = {
    str(TTFont(path)["name"].getDebugName(6))
    for path in (REPO / "templates" / "print" / "fonts").glob("*.ttf")
}


def reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def boxes(pdf: bytes, page: int = 0) -> dict[str, list[float]]:
    p = reader(pdf).pages[page]
    return {
        name: [float(v) for v in getattr(p, name)] for name in ("trimbox", "bleedbox", "mediabox")
    }


def test_trim_box_is_a_us_letter_page() -> None:
    assert boxes(sample_print().pdf)["trimbox"] == [0, 0, 612, 792]


def test_bleed_box_is_an_eighth_of_an_inch_larger_on_every_side() -> None:
    assert boxes(sample_print().pdf)["bleedbox"] == [-BLEED, -BLEED, 612 + BLEED, 792 + BLEED]


def test_crop_marks_lie_outside_the_bleed() -> None:
    pdf = sample_print().pdf
    x0, y0, x1, y1 = boxes(pdf)["mediabox"]
    assert x0 < -BLEED - 18 and y0 < -BLEED - 18 and x1 > 612 + BLEED + 18 and y1 > 792 + BLEED + 18
    marks = reader(pdf).pages[0]["/Contents"][-1].get_object().get_data().decode()
    assert marks.count(" l S") == 8  # two strokes at each corner


def test_every_page_has_the_same_boxes() -> None:
    pdf = sample_print().pdf
    first = boxes(pdf)
    assert all(boxes(pdf, n) == first for n in range(len(reader(pdf).pages)))


def test_sample_issue_prints_on_two_to_four_pages() -> None:
    assert 2 <= len(reader(sample_print().pdf).pages) <= 4


def test_every_page_is_numbered_in_its_footer() -> None:
    pdf = reader(sample_print().pdf)
    count = len(pdf.pages)
    for number, page in enumerate(pdf.pages, start=1):
        assert f"November 2026 · page {number} of {count}" in page.extract_text()


def test_every_font_is_embedded_and_one_of_the_bundled_fonts() -> None:
    pdf = reader(sample_print().pdf)
    for page in pdf.pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            program = descendant["/FontDescriptor"]["/FontFile2"].get_object().get_data()
            name = str(TTFont(io.BytesIO(program))["name"].getDebugName(6))
            assert name in BUNDLED


@pytest.mark.parametrize("path", sorted((REPO / "templates/print/fonts").glob("*.ttf")))
def test_bundled_fonts_cover_latin_1_and_latin_extended_a(path: Path) -> None:
    cmap = TTFont(path).getBestCmap()
    missing = [chr(c) for c in range(0xA0, 0x180) if c not in cmap]
    assert missing == []


def test_bundled_fonts_come_with_their_licence() -> None:
    licence = (REPO / "templates/print/fonts/LICENSE.txt").read_text()
    assert "Bitstream Vera Fonts Copyright" in licence and "Arev Fonts Copyright" in licence


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("print-issue")


@pytest.fixture(scope="module")
def short() -> PrintedIssue:
    return render(short_issue(), sample_settings())


@pytest.fixture(scope="module")
def grey(folder: Path) -> PrintedIssue:
    settings = settings_with(folder / "grey", grayscale=True)
    return render(issue_with_images(settings, {"team.png": (2400, 1600)}), settings)


@pytest.fixture(scope="module")
def photos(folder: Path) -> PrintedIssue:
    """An issue with a sharp photo, a small one and one without a local copy."""
    settings = settings_with(folder / "photos")
    images = {"sharp.png": (1800, 1200), "small.png": (300, 200), "missing.jpg": None}
    return render(issue_with_images(settings, images), settings)


def test_a4_paper_gives_an_a4_trim_box(folder: Path) -> None:
    pdf = render(sample_issue(), settings_with(folder / "a4", paper="a4")).pdf
    assert [round(v) for v in boxes(pdf)["trimbox"]] == [0, 0, 595, 842]


def test_the_same_issue_renders_to_the_same_bytes() -> None:
    settings = sample_settings()
    assert render(sample_issue(settings), settings).pdf == sample_print().pdf


def test_a_short_issue_still_fills_two_pages(short: PrintedIssue) -> None:
    assert short.pages == 2


def test_a_short_issue_keeps_the_offer_on_its_back_page(short: PrintedIssue) -> None:
    back = reader(short.pdf).pages[1].extract_text()
    assert "Send a neighbor" in back or "referral" in back.lower()


def test_an_issue_too_long_for_four_pages_is_an_error() -> None:
    issue = sample_issue()
    editorials = next(s for s in issue.sections if s.kind == "editorials")
    long = replace(editorials, entries=editorials.entries * 25)
    issue = replace(issue, sections=tuple(long if s is editorials else s for s in issue.sections))
    with pytest.raises(BuildError, match="at most 4 fit"):
        render(issue, sample_settings())


def test_grayscale_prints_black_ink_only(grey: PrintedIssue) -> None:
    pdf = reader(grey.pdf)
    for page in pdf.pages:
        for operands, operator in ContentStream(page.get_contents(), pdf).operations:
            assert operator not in (b"rg", b"RG"), "an RGB colour in a greyscale job"
            if operator in (b"scn", b"SCN", b"k", b"K") and len(operands) == 4:
                assert [float(v) for v in operands[:3]] in ([0, 0, 0], [1, 1, 1])


def test_grayscale_turns_photos_grey(grey: PrintedIssue) -> None:
    pdf = reader(grey.pdf)
    images = [
        x.get_object()
        for page in pdf.pages
        for x in page["/Resources"].get("/XObject", {}).values()
        if x.get_object()["/Subtype"] == "/Image"
    ]
    assert images and all(i["/ColorSpace"] == "/DeviceGray" for i in images)


def test_pdfx_4_carries_the_shops_output_intent(folder: Path) -> None:
    (folder / "pdfx").mkdir()
    shutil.copy(srgb_profile(), folder / "pdfx" / "shop.icc")
    settings = settings_with(folder / "pdfx", pdfx="pdf/x-4", output_profile="shop.icc")
    pdf = reader(render(sample_issue(), settings).pdf)
    intents = pdf.trailer["/Root"]["/OutputIntents"]
    assert intents[0]["/S"] == "/GTS_PDFX"
    assert "/DestOutputProfile" in intents[0]
    assert b"PDF/X-4" in pdf.trailer["/Root"]["/Metadata"].get_object().get_data()


def test_pdfx_without_an_output_profile_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs output_profile"):
        settings_with(tmp_path, pdfx="pdf/x-1a")


def test_low_resolution_image_is_a_warning_naming_its_dpi(photos: PrintedIssue) -> None:
    assert any("small.png prints at" in w and "300 dpi needs" in w for w in photos.warnings)


def test_sharp_image_prints_without_a_warning(photos: PrintedIssue) -> None:
    assert not [w for w in photos.warnings if "sharp.png" in w]


def test_image_without_a_local_copy_is_left_out_with_a_warning(photos: PrintedIssue) -> None:
    assert any("no local copy of image" in w and "missing.jpg" in w for w in photos.warnings)


def test_generic_issue_qr_code_scans_to_the_public_landing_page() -> None:
    landing = sample_issue().offer.landing_url
    assert scanned_qr_codes(sample_print("generic").pdf, 0) == [landing]


def test_addressed_base_leaves_the_code_and_qr_spots_empty() -> None:
    generic, base = sample_print("generic"), sample_print("addressed")
    assert "hartwellhvac.example.com/refer" in reader(generic.pdf).pages[0].extract_text()
    assert "hartwellhvac.example.com/refer" not in reader(base.pdf).pages[0].extract_text()
    assert scanned_qr_codes(base.pdf, 0) == []  # each copy gets its own
    assert generic.pages == base.pages


def test_address_font_is_the_bundled_sans() -> None:
    assert address_font(sample_settings()).postscript_name == "DejaVuSans"


# ---- helpers -------------------------------------------------------------------------------


def short_issue() -> Issue:
    """The sample issue with only its editorials, holidays and offer: a quick render."""
    issue = sample_issue()
    keep = tuple(s for s in issue.sections if s.kind in ("editorials", "holidays", "offer"))
    editorials = keep[0]
    keep = (replace(editorials, entries=editorials.entries[:1]), *keep[1:])
    return replace(issue, sections=keep)


def issue_with_images(settings: Settings, images: dict[str, tuple[int, int] | None]) -> Issue:
    """The sample issue with one editorial per image, each saved under content/images/
    when it has a size (None: no local copy)."""
    folder = settings.content_dir / "images"
    folder.mkdir(parents=True, exist_ok=True)
    issue = sample_issue()
    index, editorials = next((n, s) for n, s in enumerate(issue.sections) if s.kind == "editorials")
    entries = []
    for name, size in images.items():
        if size is not None:
            PILImage.new("RGB", size, (200, 80, 40)).save(folder / name)
        image = Image(f"https://example.com/img/{name}", "A test photo")
        entries.append(replace(editorials.entries[0], slug=name, image=image))
    section = replace(editorials, entries=tuple(entries))
    sections = list(issue.sections)
    sections[index] = section
    return replace(issue, sections=tuple(sections))


def srgb_profile() -> Path:
    import weasyprint

    return Path(weasyprint.__file__).parent / "pdf" / "sRGB2014.icc"
