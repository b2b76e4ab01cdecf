"""Benchmark: the ways to encode the personal QR codes on addressed copies (issue 16).

Encodes COUNT links shaped like the print job's (the landing page, an 8-letter code, the
campaign) with:

- ``segno``: pure Python, the standard's mask selection (ISO/IEC 18004 7.8.3: all eight
  masks tried, the lowest penalty kept). What print used before; most of its time goes
  into trying the masks.
- ``segno-fixed``: segno with one mask, chosen by the standard on the first link and kept
  for every code, each code's penalty checked; a code whose penalty comes out more than
  ``--slack`` above its own best is encoded again with the full selection.
- ``zxing-cpp``: the C++ encoder, the standard's mask selection. What print uses now.

Prints per encoder the median milliseconds per code over ``--runs`` runs and the penalty
of the codes it made, as a share above the standard's best for the same link (all scored
by one scorer, segno's, on the final symbol). segno is needed only for this comparison:
``pip install segno``.

    .venv/bin/python benchmarks/bench_qr.py [--count 1000] [--runs 5] [--slack 0.1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

from _support import record

from newsletter.audience.links import referral_link
from newsletter.audience.tokens import referral_code
from newsletter.print.pdfdraw import QrCode, qr_code

LANDING = "https://hartwellhvac.example.com/refer"
SECRET = b"benchmark-secret-0123456789"
Matrix = list[list[int]]


def links(count: int) -> list[str]:
    return [
        referral_link(
            LANDING, referral_code(SECRET, f"r{n}@example.com"), "2026-11", medium="print"
        )
        for n in range(count)
    ]


def zxing_matrix(code: QrCode) -> Matrix:
    return [[1 if module == 0 else 0 for module in code.row(r)] for r in range(code.size)]


def penalty(matrix: Matrix) -> int:
    from segno import encoder

    rows = tuple(bytearray(row) for row in matrix)
    return encoder.evaluate_mask(rows, len(rows), len(rows))


Encoder = tuple[Callable[[str], object], Callable[[object], Matrix]]
"""Encodes a link (timed), and reads the modules of what it made (not timed)."""


def encoders(first: str, slack: float) -> dict[str, Encoder]:
    import segno

    def segno_matrix(code: object) -> Matrix:
        return [list(row) for row in code.matrix]  # type: ignore[attr-defined]

    chosen = segno.make_qr(first, error="m")
    chosen_penalty = penalty(segno_matrix(chosen))

    def fixed(link: str) -> object:
        code = segno.make_qr(link, error="m", mask=chosen.mask, version=chosen.version)
        if penalty(segno_matrix(code)) > chosen_penalty * (1 + slack):
            fixed.fallbacks += 1  # type: ignore[attr-defined]
            return segno.make_qr(link, error="m")
        return code

    fixed.fallbacks = 0  # type: ignore[attr-defined]
    return {
        "segno": (lambda link: segno.make_qr(link, error="m"), segno_matrix),
        "segno-fixed": (fixed, segno_matrix),
        "zxing-cpp": (qr_code, zxing_matrix),  # type: ignore[dict-item]
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Compare QR encoders for the addressed copies' personal links.",
        epilog="Figures are medians over the runs; other load on the machine shows in them.",
    )
    parser.add_argument("--count", type=int, default=1000, help="links per run (default 1000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per encoder (default 5)")
    parser.add_argument(
        "--slack",
        type=float,
        default=0.1,
        help="segno-fixed: penalty allowed above the first code's, as a share (default 0.1)",
    )
    args = parser.parse_args()
    try:
        import segno  # noqa: F401
    except ImportError:
        sys.exit("bench_qr compares against segno: pip install segno")
    sample = links(args.count)
    standard, as_matrix = encoders(sample[0], args.slack)["segno"]
    best = {link: penalty(as_matrix(standard(link))) for link in sample}
    for name, (encode, as_matrix) in encoders(sample[0], args.slack).items():
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            made = [encode(link) for link in sample]
            timings.append((time.perf_counter() - started) / len(sample) * 1000)
        pairs = zip(sample, made, strict=True)
        excess = [penalty(as_matrix(code)) / best[link] - 1 for link, code in pairs]
        fallbacks = getattr(encode, "fallbacks", None)
        note = f", {fallbacks // args.runs} re-encoded per run" if fallbacks is not None else ""
        record(f"QR code, {name}", timings, "ms")
        print(
            f"{name:12s} {statistics.median(timings):7.3f} ms per code (median of {args.runs} "
            f"runs of {args.count}); penalty vs the standard's best: median "
            f"{statistics.median(excess):+.1%}, worst {max(excess):+.1%}{note}"
        )


if __name__ == "__main__":
    main()
