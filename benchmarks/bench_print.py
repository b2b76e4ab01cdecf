"""Benchmark: ``newsletter print`` for 5,000 mail subscribers (a 2-page issue: the sample
with its built-in sections only), against rendering every copy from scratch with WeasyPrint
(timed on 50 copies in the same run, extrapolated).

Targets (issue 4): 5,000 addressed copies in ≤ 60 s wall on 2 cores, peak RSS ≤ 1 GB, and at
least 50x faster than the naive way. The timed run is the whole print job (issue.pdf, the
addressed base, mailing list, addressed.pdf, labels, CSV, job ticket, written to disk) in a
child process, so its peak RSS is its own (and its workers', reported apart).

    .venv/bin/python benchmarks/bench_print.py [COPIES]   (default: 5000)
"""

from __future__ import annotations

import csv
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newsletter.audience.mail import mailing_list  # noqa: E402
from newsletter.build import build, issue_of_build  # noqa: E402
from newsletter.config import load_config  # noqa: E402
from newsletter.printjob import print_job  # noqa: E402
from newsletter.render import print as print_render  # noqa: E402
from newsletter.render.environment import make_environment, render_template  # noqa: E402
from newsletter.render.frontpage import MARGIN  # noqa: E402

SECRET = b"benchmark-secret-0123456789"
MONTH = "2026-11"
NAIVE_COPIES = 50
FIRST = ("Łukasz", "Zoë", "María", "Jürgen", "Anaïs", "Tomáš", "Ngozi", "Sam", "Chloé", "Øystein")
LAST = ("Nowak", "Lindqvist", "González", "Müller", "Dvořák", "Okafor", "Ólafsdóttir", "Lee")
STREETS = ("Atwood Avenue", "Jenifer Street", "Rutledge Street", "Milwaukee Street")
COMPANIES = ("", "", "", "Lakeside Realty", "Eastside Property Management")
COLUMNS = (
    *("email", "first_name", "last_name", "company", "segment", "channels"),
    *("street", "city", "region", "postal_code", "country"),
)


def project(folder: Path, copies: int) -> Path:
    for part in ("content", "templates", "subscribers"):
        shutil.copytree(REPO / part, folder / part)
    config = yaml.safe_load((REPO / "newsletter.yaml").read_text(encoding="utf-8"))
    config["feeds"] = []  # editorials, holidays and the offer: two pages
    path = folder / "newsletter.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with (folder / "subscribers" / "subscribers.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for n in range(copies):
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
                ]
            )
    (folder / "subscribers" / "suppressions.csv").unlink(missing_ok=True)
    return path


def child(config: Path, out_root: Path) -> None:
    """The timed run, in its own process: prints its figures as JSON."""
    settings = load_config(config)
    started = time.perf_counter()
    result = print_job(settings, MONTH, out_root=out_root, secret=SECRET)
    elapsed = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = (result.out_dir / "addressed.pdf").stat().st_size
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "copies": len(result.mailing.recipients),
                "pages": result.pages,
                "rss_mb": own,
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
    context = print_render._context(issue, settings, layout, "addressed", images, "rgb", 0, False)
    page = render_template(env, print_render.TEMPLATE, context)
    fetcher = print_render.Fetcher(
        roots=(settings.templates_dir / "print",), extra_files=(), mode="rgb"
    )
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
        ).write_pdf(finisher=print_render._crop_marks(settings.config.print.bleed, "rgb"))
    return (time.perf_counter() - started) / len(recipients)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    copies = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        config = project(Path(tmp), copies)
        out_root = Path(tmp) / "build"
        build(load_config(config), MONTH, out_root=out_root, offline=True)
        run = subprocess.run(
            [sys.executable, __file__, "--child", str(config), str(out_root)],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(run.stdout.strip().splitlines()[-1])
        per_copy = naive(config, out_root, NAIVE_COPIES)
    seconds = figures["seconds"]
    extrapolated = per_copy * figures["copies"]
    ratio = extrapolated / seconds
    print(
        f"print: {figures['copies']} addressed copies of a {figures['pages']}-page issue in "
        f"{seconds:.1f} s wall (whole print job; target <= 60 s), peak RSS "
        f"{figures['rss_mb']:.0f} MB + workers {figures['worker_rss_mb']:.0f} MB each "
        f"(target <= 1 GB); addressed.pdf {figures['addressed_mb']:.1f} MB"
    )
    print(
        f"naive: WeasyPrint per copy {per_copy:.2f} s ({NAIVE_COPIES} copies timed) -> "
        f"{extrapolated / 60:.0f} min for {figures['copies']}; ratio {ratio:.0f}x (target >= 50x)"
    )
    if seconds > 60 or figures["rss_mb"] + figures["worker_rss_mb"] > 1024 or ratio < 50:
        sys.exit("print benchmark missed a target")


if __name__ == "__main__":
    main()
