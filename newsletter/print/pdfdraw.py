"""Drawing small PDF layers directly: text in an embedded TrueType font, and QR codes.

Addressed copies and labels need thousands of tiny per-recipient layers; running WeasyPrint
for each would take a second a copy. These layers are a few hundred bytes of PDF operators
instead, drawn in one subset of a bundled font that is embedded once and shared by every
page (a Type0 font with Identity-H encoding and a ToUnicode map, so any Latin letter prints
and the text stays searchable and extractable).

Coordinates passed in are PDF user space: points, origin at the bottom-left, y upwards.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import zxingcpp
from fontTools import subset
from fontTools.ttLib import TTFont
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from newsletter.print.compat import add_object, set_file_identifier

DARK_RUN = re.compile(rb"\x00+")  # in zxing-cpp's module image a dark module is a 0 byte
REPLACEMENT = "?"  # drawn for a character the font lacks (after NFC normalization)
LEADING = 1.05  # line pitch, in ems: with DejaVu's tall accents, lines never touch


def set_identifier(writer: PdfWriter, parts: Iterable[bytes]) -> None:
    """Give the file an /ID derived from ``parts`` (the content it was made from): the same
    input then gives the same bytes, where pypdf would draw random ones. PDF/X needs one."""
    digest = hashlib.md5(usedforsecurity=False)
    for part in parts:
        digest.update(part)
        digest.update(b"\x00")
    set_file_identifier(writer, digest.digest())


def stream(
    writer: PdfWriter,
    data: bytes,
    extra: dict[str, PdfObject] | None = None,
    *,
    compressed: bool = False,
) -> IndirectObject:
    """Add a Flate-compressed stream holding ``data`` (already compressed if told so)."""
    obj = StreamObject()
    obj.set_data(data if compressed else zlib.compress(data, 6))  # the bytes stored as-is
    obj[NameObject("/Filter")] = NameObject("/FlateDecode")
    for key, value in (extra or {}).items():
        obj[NameObject(key)] = value
    return add_object(writer, obj)


class FontMetrics:
    """Widths, glyph ids and vertical metrics of a TrueType font, for laying out and encoding
    text before the font is subset. Plain data: worker processes receive it pickled."""

    def __init__(self, path: Path) -> None:
        self.path = path
        font = TTFont(path, lazy=True)
        self.units: int = font["head"].unitsPerEm
        self.cmap: dict[int, str] = font.getBestCmap()
        metrics = font["hmtx"].metrics
        self._advance: dict[int, int] = {cp: metrics[name][0] for cp, name in self.cmap.items()}
        # Subsets keep the full font's glyph ids (retain_gids), so text can be encoded before
        # anyone knows which characters the whole document needs.
        self._glyph_hex = {
            chr(cp): f"{font.getGlyphID(name):04X}" for cp, name in self.cmap.items()
        }
        self.ascent = font["hhea"].ascent / self.units  # covers accented capitals
        self.descent = -font["hhea"].descent / self.units  # positive
        self.postscript_name = str(font["name"].getDebugName(6) or path.stem)

    def clean(self, text: str) -> str:
        """``text`` in NFC with characters the font lacks replaced, so widths are exact."""
        text = unicodedata.normalize("NFC", text)
        return "".join(ch if ord(ch) in self.cmap else REPLACEMENT for ch in text)

    def width(self, text: str, size: float) -> float:
        """Advance width of ``text`` (cleaned) at ``size`` points."""
        units = sum(self._advance.get(ord(ch), self._advance[ord(REPLACEMENT)]) for ch in text)
        return units * size / self.units

    def encode(self, text: str) -> str:
        """``text`` (cleaned) as a hex string operand of ``Tj``: two bytes a glyph id."""
        return "<" + "".join(self._glyph_hex[ch] for ch in text) + ">"


@dataclass(frozen=True)
class FontSubset:
    """A font cut down to the characters a document draws, glyph ids unchanged."""

    data: bytes  # the subset TrueType file
    glyphs: dict[str, int]  # character -> glyph id (the same as in the full font)
    widths: dict[int, float]  # glyph id -> advance in 1/1000 em
    name: str  # "ABCDEF+DejaVuSans"
    bbox: tuple[float, float, float, float]  # 1/1000 em
    ascent: float  # em
    descent: float  # em, positive


def subset_font(metrics: FontMetrics, chars: Iterable[str]) -> FontSubset:
    """The subset of ``metrics``' font holding ``chars`` (plus space and the replacement)."""
    wanted = sorted({*metrics.clean("".join(chars)), REPLACEMENT, " "})
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.retain_gids = True  # text was encoded with the full font's ids (a few KB more)
    options.drop_tables += ["FFTM"]  # FontForge's timestamps: fontTools cannot subset them
    subsetter = subset.Subsetter(options)
    font = TTFont(metrics.path, recalcTimestamp=False)  # else "modified" is now: not reproducible
    subsetter.populate(unicodes=[ord(ch) for ch in wanted])
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    cmap = font.getBestCmap()
    order = font.getGlyphOrder()
    gid_of = {name: gid for gid, name in enumerate(order)}
    glyphs = {ch: gid_of[cmap[ord(ch)]] for ch in wanted}
    scale = 1000 / metrics.units
    hmtx = font["hmtx"].metrics
    head = font["head"]
    # A subset's name starts with six capital letters (PDF 32000 9.6.4), derived here from
    # the characters so the same text always gives the same bytes.
    digest = hashlib.sha256("".join(wanted).encode()).digest()
    tag = "".join(chr(65 + b % 26) for b in digest[:6])
    return FontSubset(
        data=buffer.getvalue(),
        glyphs=glyphs,
        widths={gid: round(hmtx[order[gid]][0] * scale, 2) for gid in glyphs.values()},
        name=f"{tag}+{metrics.postscript_name}",
        bbox=tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)),
        ascent=metrics.ascent,
        descent=metrics.descent,
    )


def embed_font(writer: PdfWriter, font: FontSubset) -> IndirectObject:
    """``font`` as a Type0 font (CIDFontType2, Identity-H, ToUnicode) in ``writer``."""
    name = NameObject(f"/{font.name}")
    widths = ArrayObject()
    for gid, width in sorted(font.widths.items()):
        widths += [NumberObject(gid), ArrayObject([FloatObject(width)])]
    descriptor = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/FontDescriptor"),
            NameObject("/FontName"): name,
            NameObject("/Flags"): NumberObject(32),  # nonsymbolic
            NameObject("/FontBBox"): ArrayObject(FloatObject(v) for v in font.bbox),
            NameObject("/ItalicAngle"): NumberObject(0),
            NameObject("/Ascent"): FloatObject(round(font.ascent * 1000)),
            NameObject("/Descent"): FloatObject(round(-font.descent * 1000)),
            NameObject("/CapHeight"): FloatObject(round(font.ascent * 780)),
            NameObject("/StemV"): NumberObject(80),
            NameObject("/FontFile2"): stream(
                writer, font.data, {"/Length1": NumberObject(len(font.data))}
            ),
        }
    )
    cid_font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/CIDFontType2"),
            NameObject("/BaseFont"): name,
            NameObject("/CIDSystemInfo"): DictionaryObject(
                {
                    NameObject("/Registry"): TextStringObject("Adobe"),
                    NameObject("/Ordering"): TextStringObject("Identity"),
                    NameObject("/Supplement"): NumberObject(0),
                }
            ),
            NameObject("/FontDescriptor"): add_object(writer, descriptor),
            NameObject("/W"): widths,
            NameObject("/CIDToGIDMap"): NameObject("/Identity"),
        }
    )
    return add_object(
        writer,
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type0"),
                NameObject("/BaseFont"): name,
                NameObject("/Encoding"): NameObject("/Identity-H"),
                NameObject("/DescendantFonts"): ArrayObject([add_object(writer, cid_font)]),
                NameObject("/ToUnicode"): stream(writer, _to_unicode(font.glyphs)),
            }
        ),
    )


def _to_unicode(glyphs: dict[str, int]) -> bytes:
    """A ToUnicode CMap: glyph id -> the character, so text can be searched and copied."""
    pairs = sorted((gid, ch) for ch, gid in glyphs.items())
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    for start in range(0, len(pairs), 100):  # at most 100 entries per block
        chunk = pairs[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        for gid, ch in chunk:
            utf16 = ch.encode("utf-16-be").hex().upper()
            lines.append(f"<{gid:04X}> <{utf16}>")
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    return "\n".join(lines).encode("ascii")


# ---- laying out and drawing -------------------------------------------------------------


@dataclass(frozen=True)
class TextBlock:
    """Lines fitted into a box: the size chosen and each line's baseline from the box top."""

    size: float
    lines: tuple[str, ...]
    baselines: tuple[float, ...]


def wrap(metrics: FontMetrics, text: str, size: float, width: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` (a single word that is
    wider stays whole: the caller shrinks the size until it fits)."""
    words = [(word, metrics.width(word, 1.0)) for word in text.split()]
    return [line for line, _ in _wrap_units(words, metrics.width(" ", 1.0), width / size)]


def _wrap_units(
    words: Sequence[tuple[str, float]], space: float, limit: float
) -> list[tuple[str, float]]:
    """Greedy line breaking on widths at 1 pt (advances add up: no kerning is applied), so
    trying another size costs a pass over the words, not over every character."""
    lines: list[tuple[str, float]] = []
    current, current_width = "", 0.0
    for word, word_width in words:
        if current and current_width + space + word_width > limit:
            lines.append((current, current_width))
            current, current_width = word, word_width
        elif current:
            current, current_width = f"{current} {word}", current_width + space + word_width
        else:
            current, current_width = word, word_width
    if current:
        lines.append((current, current_width))
    return lines


def fit_text(
    metrics: FontMetrics,
    paragraphs: Sequence[str],
    width: float,
    height: float,
    *,
    max_size: float,
    min_size: float,
    leading: float = LEADING,
    step: float = 0.25,
) -> TextBlock | None:
    """The largest size (``max_size`` down to ``min_size``, in ``step``s) at which
    ``paragraphs``, each wrapped to ``width``, fit ``height`` with every glyph's full ascent
    and descent inside. None when nothing fits."""
    space = metrics.width(" ", 1.0)
    paragraph_words = [
        [(word, metrics.width(word, 1.0)) for word in metrics.clean(p).split()] for p in paragraphs
    ]
    size = max_size
    while size >= min_size - 1e-9:
        lines = [
            line for words in paragraph_words for line in _wrap_units(words, space, width / size)
        ]
        needed = size * (metrics.ascent + metrics.descent + leading * (len(lines) - 1))
        widest = max((w for _, w in lines), default=0.0) * size
        if needed <= height and widest <= width:
            first = size * metrics.ascent
            baselines = tuple(first + i * size * leading for i in range(len(lines)))
            return TextBlock(size, tuple(line for line, _ in lines), baselines)
        size -= step
    return None


def text_ops(font: FontMetrics, resource: str, size: float, x: float, y: float, text: str) -> str:
    """Operators drawing ``text`` (already cleaned) with its baseline starting at (x, y)."""
    return f"BT /{resource} {size:.2f} Tf 1 0 0 1 {x:.2f} {y:.2f} Tm {font.encode(text)} Tj ET\n"


@dataclass(frozen=True)
class QrCode:
    """A QR code's modules: ``size`` rows of ``size`` bytes from the top, 0 for dark."""

    size: int
    modules: bytes

    def row(self, index: int) -> bytes:
        return self.modules[index * self.size : (index + 1) * self.size]


def qr_code(text: str) -> QrCode:
    """``text`` as a QR code at error correction level M (15 %), smallest version, mask chosen
    by the standard's penalty rules. zxing-cpp encodes in C++: segno, in Python, took 15 ms a
    code (most of it choosing the mask), zxing-cpp under 1 ms (benchmarks/bench_qr.py)."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    image = barcode.to_image(scale=1, add_quiet_zones=False)
    size = int(image.shape[0])
    # One byte a module, row by row; the stub does not declare the buffer protocol it has.
    return QrCode(size, bytes(memoryview(image)))  # type: ignore[arg-type]


def qr_ops(code: QrCode, x: float, y: float, size: float) -> str:
    """Operators filling the dark modules of ``code`` in a square of ``size`` points whose
    bottom-left corner is (x, y). Drawn in module units (one ``cm`` scales them), so each run
    of dark modules in a row is one small-integer rectangle: short and quick."""
    count = code.size
    module = size / count
    parts = [f"q {module:.4f} 0 0 {module:.4f} {x:.3f} {y:.3f} cm 0 g"]
    for row_index in range(count):
        bottom = count - 1 - row_index
        for run in DARK_RUN.finditer(code.row(row_index)):
            start, end = run.span()
            parts.append(_rectangle(start, bottom, end - start))
    parts.append("f Q\n")
    return "\n".join(parts)


@functools.cache
def _rectangle(left: int, bottom: int, width: int) -> str:
    """``re`` for a run of modules: the same few thousand recur in every code of a job, so
    each is formatted once (a quarter of the drawing time)."""
    return f"{left} {bottom} {width} 1 re"
