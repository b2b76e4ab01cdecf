"""Benchmark: ``newsletter print`` for 5,000 mail subscribers (a 2-page issue: the sample
with its built-in sections only), against rendering every copy from scratch with WeasyPrint
(timed on 50 copies in the same run, extrapolated).

Targets (issue 16): 5,000 addressed copies in ≤ 15 s wall on 2 cores (median of the runs),
peak RSS ≤ 1 GB, and at least 50x faster than the naive way. Each timed run is the whole
print job (issue.pdf, the addressed base, mailing list, addressed.pdf, labels, CSV, job
ticket, written to disk) in a child process of its own, so its peak RSS is its own (and its
workers', reported apart). CPU seconds (the child's and its workers') are printed too: on a
machine shared with other work they vary less than wall time.

``--hooks``: the list with personal hooks (issue 14): 2 of the config's tags have a block in
the month's editorial and every reader some tags and dated facts that call for 0 to 2 hook
lines, so the copies need 16 editions, each a WeasyPrint render of its own. No target: the
figure to compare with the plain list's.

    .venv/bin/python benchmarks/bench_print.py [COPIES] [--runs 3] [--naive-copies 50] [--hooks]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml
from _support import REPO, child_figures, peak_rss_mb, record

from newsletter.config import load_config
from newsletter.pipeline.build import build, issue_of_build
from newsletter.print import document as print_render
from newsletter.print import press as print_press
from newsletter.print.assets import Fetcher
from newsletter.print.frontpage import MARGIN
from newsletter.print.job import print_job
from newsletter.print.mailing import mailing_list
from newsletter.render.environment import make_environment, render_template

SECRET = b"benchmark-secret-0123456789"
MONTH = "2026-11"
NAIVE_COPIES = 50
TARGET_SECONDS = 15.0
TARGET_MB = 1024
TARGET_RATIO = 50
CPU_FIELDS = ("user", "system", "children_user", "children_system")
FIRST = ("Łukasz", "Zoë", "María", "Jürgen", "Anaïs", "Tomáš", "Ngozi", "Sam", "Chloé", "Øystein")
LAST = ("Nowak", "Lindqvist", "González", "Müller", "Dvořák", "Okafor", "Ólafsdóttir", "Lee")
STREETS = ("Atwood Avenue", "Jenifer Street", "Rutledge Street", "Milwaukee Street")
COMPANIES = ("", "", "", "Lakeside Realty", "Eastside Property Management")
COLUMNS = (
    *("email", "first_name", "last_name", "company", "segment", "channels"),
    *("street", "city", "region", "postal_code", "country"),
)
TAGS = ("pets", "kids", "new-homeowner", "allergies", "senior", "smart-home")
PERSONAL = {
    "tags": list(TAGS),
    "hooks": [
        {"fact": "installed", "min_years": 15, "text": "Your {what} is past fifteen."},
        {"fact": "last_service", "min_months": 11, "text": "Your yearly tune-up is due."},
    ],
}


def project(folder: Path, copies: int, *, hooks: bool = False) -> Path:
    for part in ("content", "templates", "subscribers"):
        shutil.copytree(REPO / part, folder / part)
    config = yaml.safe_load((REPO / "newsletter.yaml").read_text(encoding="utf-8"))
    config["feeds"] = []  # editorials, holidays and the offer: two pages
    if hooks:
        config["personal"] = PERSONAL
        editorial = sorted((folder / "content" / "editorials" / MONTH).glob("*.md"))[0]
        notes = "".join(f"\n::: only {t}\nA note for readers tagged {t}.\n:::\n" for t in TAGS[:2])
        editorial.write_text(editorial.read_text(encoding="utf-8") + notes, encoding="utf-8")
    path = folder / "newsletter.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with (folder / "subscribers" / "subscribers.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([*COLUMNS, *(("tags", "facts") if hooks else ())])
        for n in range(copies):
            # As bench_hooks.py: some of 6 tags each, and facts for none, one or both lines.
            tags = ";".join(t for bit, t in enumerate(TAGS) if (n * 2654435761 >> bit + 7) & 1)
            facts = f"installed: furnace {1995 + n % 30}; last_service: 2025-{1 + n % 12:02d}-15"
            personal = [tags, facts] if hooks else []
            writer.writerow(
                [
                    f"reader{n:06d}@example.com",
                    FIRST[n % len(FIRST)],
                    LAST[n % len(LAST)],
                    COMPANIES[n % len(COMPANIES)],
                    "client",
                    "both" if n % 3 else "mail",
                    f"{100 + n % 3900} {STREETS[n % len(STREETS)]}",
                    "Madison",
                    "WI",
                    f"{53700 + n % 20}",
                    "US",
                    *personal,
                ]
            )
    (folder / "subscribers" / "suppressions.csv").unlink(missing_ok=True)
    return path


def child(config: Path, out_root: Path) -> None:
    """The timed run, in its own process: prints its figures as JSON."""
    settings = load_config(config)
    started, times = time.perf_counter(), os.times()
    result = print_job(settings, MONTH, out_root=out_root, secret=SECRET)
    elapsed, after = time.perf_counter() - started, os.times()
    cpu = sum(getattr(after, f) - getattr(times, f) for f in CPU_FIELDS)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = (result.out_dir / "addressed.pdf").stat().st_size
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "cpu_seconds": cpu,
                "copies": len(result.mailing.recipients),
                "pages": result.pages,
                "editions": result.editions,
                "rss_mb": peak_rss_mb(),
                "worker_rss_mb": workers,
                "addressed_mb": size / 1e6,
            }
        )
    )


def naive(config: Path, out_root: Path, copies: int) -> float:
    """Seconds per copy when each copy is its own WeasyPrint render, address and QR code in
    the HTML (timed on ``copies`` copies)."""
    settings = load_config(config)
    issue = issue_of_build(settings, MONTH, out_root=out_root)
    env = make_environment(settings.templates_dir)
    recipients = mailing_list(
        settings, secret=SECRET, landing_url=issue.offer.landing_url, month=MONTH
    ).recipients[:copies]
    layout = print_render.front_layout(settings)
    images, _ = print_render.local_images(issue, settings)
    context = print_render._context(
        env, issue, settings, layout, "addressed", images, "rgb", 0, False
    )
    page = render_template(env, print_render.TEMPLATE, context)
    fetcher = Fetcher(roots=(settings.templates_dir / "print",), extra_files=(), mode="rgb")
    zone, qr, code = layout.address, layout.qr, layout.code
    started = time.perf_counter()
    for r in recipients:
        overlay = (
            f'<div style="position:absolute; left:{zone.left - MARGIN}pt; '
            f"top:{zone.top - MARGIN}pt; font: 9pt 'NL Sans'\">{'<br>'.join(r.lines)}</div>"
            f'<p style="position:absolute; left:{code.left - MARGIN}pt; top:{code.top - MARGIN}pt;'
            f" font: 16pt 'NL Sans'\">{r.code}</p>"
            f'<img style="position:absolute; left:{qr.left - MARGIN}pt; top:{qr.top - MARGIN}pt; '
            f'width:{qr.width}pt" src="{print_render.qr_data_uri(r.link)}">'
        )
        html = page.replace('<div class="panel">', '<div class="panel">' + overlay, 1)
        print_render.weasyprint.HTML(
            string=html,
            base_url=(settings.templates_dir / "print").as_uri() + "/",
            url_fetcher=fetcher,
        ).write_pdf(finisher=print_press.crop_marks(settings.config.print.bleed, "rgb"))
    return (time.perf_counter() - started) / len(recipients)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time `newsletter print` for many addressed copies against WeasyPrint "
        "rendering each copy; exits 1 when a target is missed.",
        epilog=f"Targets: <= {TARGET_SECONDS:.0f} s wall (median), <= {TARGET_MB} MB peak RSS, "
        f">= {TARGET_RATIO}x faster than the naive way.",
    )
    parser.add_argument(
        "copies", nargs="?", type=int, default=5000, help="mail subscribers (default 5000)"
    )
    parser.add_argument("--runs", type=int, default=3, help="timed print jobs (default 3)")
    parser.add_argument(
        "--naive-copies",
        type=int,
        default=NAIVE_COPIES,
        help=f"copies rendered one by one with WeasyPrint (default {NAIVE_COPIES})",
    )
    parser.add_argument(
        "--hooks",
        action="store_true",
        help="a list with personal tags and facts: 16 editions (no target; compare)",
    )
    parser.add_argument("--child", nargs=2, metavar=("CONFIG", "OUT"), help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        config = project(Path(tmp), args.copies, hooks=args.hooks)
        out_root = Path(tmp) / "build"
        build(load_config(config), MONTH, out_root=out_root, offline=True)
        runs = [child_figures(__file__, config, out_root) for _ in range(args.runs)]
        per_copy = naive(config, out_root, args.naive_copies)
    figures = runs[0]
    seconds = statistics.median(r["seconds"] for r in runs)
    cpu = statistics.median(r["cpu_seconds"] for r in runs)
    rss = max(r["rss_mb"] for r in runs)
    workers = max(r["worker_rss_mb"] for r in runs)
    extrapolated = per_copy * figures["copies"]
    ratio = extrapolated / seconds
    spread = ", ".join(f"{r['seconds']:.1f}" for r in runs)
    job = f"print, {figures['copies']} copies, {figures['editions']:.0f} edition(s)"
    plain = None if args.hooks else TARGET_SECONDS  # the targets are the plain list's
    record(f"{job}: wall", [r["seconds"] for r in runs], "s", target=plain)
    record(f"{job}: CPU", [r["cpu_seconds"] for r in runs], "s")
    record(f"{job}: peak RSS", [r["rss_mb"] for r in runs], "MB")
    record("print, WeasyPrint per copy (the naive way)", [per_copy], "s")
    print(
        f"print: {figures['copies']} addressed copies ({figures['editions']:.0f} edition"
        f"{'s' if figures['editions'] != 1 else ''}) of a {figures['pages']}-page issue in "
        f"{seconds:.1f} s wall, median of {len(runs)} runs ({spread}; whole print job; "
        f"target <= {TARGET_SECONDS:.0f} s), {cpu:.1f} s CPU with its workers; peak RSS "
        f"{rss:.0f} MB + workers {workers:.0f} MB each (target <= {TARGET_MB} MB); "
        f"addressed.pdf {figures['addressed_mb']:.1f} MB"
    )
    print(
        f"naive: WeasyPrint per copy {per_copy:.2f} s ({args.naive_copies} copies timed) -> "
        f"{extrapolated / 60:.0f} min for {figures['copies']}; ratio {ratio:.0f}x "
        f"(target >= {TARGET_RATIO}x)"
    )
    missed = seconds > TARGET_SECONDS or rss + 2 * workers > TARGET_MB or ratio < TARGET_RATIO
    if missed and not args.hooks:  # the targets are the plain list's
        sys.exit("print benchmark missed a target")


if __name__ == "__main__":
    main()
