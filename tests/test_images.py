"""The sample's pictures offline: images in content/images/ are published with the issue's
web page and referenced there by email and web; the preview serves the build's copies in
their place; print reads the files."""

from __future__ import annotations

import io
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image as PILImage
from pypdf import PdfReader

from newsletter.config import load_config
from newsletter.errors import ConfigError
from newsletter.pipeline.build import BuildResult, build
from newsletter.pipeline.check import check_all
from newsletter.pipeline.preview import serve
from newsletter.print.assets import _convert
from newsletter.print.document import LOGO_HEIGHT, render_print_issue
from newsletter.print.frontpage import MARGIN
from newsletter.print.pdfdraw import FontMetrics
from newsletter.render.environment import make_environment
from tests.golden import FIXTURE_PROJECT, build_sample, copy_sample
from tests.print.support import page_texts

MONTH = "2026-11"
SAMPLE_IMAGES = ("first-hard-freeze.jpg", "logo.png", "marisol-vega.jpg")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    return build_sample(tmp_path_factory.mktemp("images"))


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # the preview, on loopback
        return bytes(response.read())


def test_build_publishes_the_sample_images_beside_the_web_page(built: BuildResult) -> None:
    folder = built.out_dir / "web" / "images"
    assert sorted(p.name for p in folder.iterdir()) == list(SAMPLE_IMAGES)
    for name in SAMPLE_IMAGES:
        assert (folder / name).read_bytes() == (
            FIXTURE_PROJECT / "content" / "images" / name
        ).read_bytes()
        assert f"web/images/{name}" in built.outputs  # and in the manifest


@pytest.mark.parametrize("page", ["email.html", "web/index.html", "web/archive.html"])
def test_pages_reference_the_logo_where_the_issue_page_publishes_it(
    built: BuildResult, page: str
) -> None:
    html = (built.out_dir / page).read_text(encoding="utf-8")
    assert f'src="{built.issue.web_url}images/logo.png"' in html


def test_email_references_the_editorial_photos_at_their_published_urls(
    built: BuildResult,
) -> None:
    html = (built.out_dir / "email.html").read_text(encoding="utf-8")
    for name in ("first-hard-freeze.jpg", "marisol-vega.jpg"):
        assert f'src="{built.issue.web_url}images/{name}"' in html


def test_logo_missing_from_content_images_stops_the_build_naming_its_key(
    tmp_path: Path,
) -> None:
    project = copy_sample(tmp_path / "project")
    (project / "content" / "images" / "logo.png").unlink()
    settings = load_config(project / "newsletter.yaml")
    with pytest.raises(ConfigError) as caught:
        build(settings, MONTH, out_root=project / "build", offline=True)
    assert caught.value.key == "brand.logo.src"
    assert "images/logo.png: no such file" in caught.value.message


def test_check_finds_a_logo_missing_from_content_images(tmp_path: Path) -> None:
    project = copy_sample(tmp_path / "project")
    (project / "content" / "images" / "logo.png").unlink()
    with pytest.raises(ConfigError) as caught:
        check_all(load_config(project / "newsletter.yaml"), MONTH)
    assert caught.value.key == "brand.logo.src"


def test_logo_outside_content_images_is_a_config_error_naming_its_line(tmp_path: Path) -> None:
    project = copy_sample(tmp_path / "project")
    path = project / "newsletter.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("src: images/logo.png", "src: ../logo.png"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == "brand.logo.src"
    line = path.read_text(encoding="utf-8").splitlines()[caught.value.line - 1]
    assert "../logo.png" in line


def test_preview_shows_the_pictures_from_the_build_folder(built: BuildResult) -> None:
    on_disk = (built.out_dir / "email.html").read_bytes()
    with serve(built.out_dir, port=0) as url:
        email = fetch(f"{url}email.html").decode("utf-8")
        web = fetch(f"{url}web/").decode("utf-8")
        logo = fetch(f"{url}web/images/logo.png")
    assert 'src="/web/images/logo.png"' in email and 'src="/web/images/logo.png"' in web
    assert 'src="/web/images/marisol-vega.jpg"' in email
    assert built.issue.web_url + "images/" not in email
    assert logo == (FIXTURE_PROJECT / "content" / "images" / "logo.png").read_bytes()
    assert (built.out_dir / "email.html").read_bytes() == on_disk  # served, not rewritten


def test_sample_prints_its_logo_and_photos_without_a_warning(built: BuildResult) -> None:
    settings = load_config(built.out_dir.parent.parent / "newsletter.yaml")
    env = make_environment(settings.templates_dir)
    printed = render_print_issue(built.issue, settings, env)
    assert not [w for w in printed.warnings if "image" in w]
    page = PdfReader(io.BytesIO(printed.pdf)).pages[0]
    sizes = {
        (int(x["/Width"]), int(x["/Height"]))
        for x in (o.get_object() for o in page["/Resources"]["/XObject"].values())
        if x["/Subtype"] == "/Image"
    }
    assert {(800, 200), (1200, 600), (1200, 750)} <= sizes  # logo, frost, Marisol


def test_transparent_logo_prints_on_white_paper_in_greyscale() -> None:
    png = (FIXTURE_PROJECT / "content" / "images" / "logo.png").read_bytes()
    converted, kind = _convert(png, "gray")
    image = PILImage.open(io.BytesIO(converted))
    assert kind == "image/png" and image.mode == "L"
    assert image.getpixel((image.width - 1, 0)) == 255  # a transparent corner


def test_a_long_title_is_set_smaller_to_leave_the_logo_its_room(built: BuildResult) -> None:
    settings = load_config(built.out_dir.parent.parent / "newsletter.yaml")
    title = "The Hartwell Home Letter for Homeowners — September 2026"
    issue = replace(built.issue, title=title)
    printed = render_print_issue(issue, settings, make_environment(settings.templates_dir))
    (run,) = [t for t in page_texts(printed.pdf, 0) if t.text == title]
    bold = FontMetrics(settings.templates_dir / "print" / "fonts" / "DejaVuSans-Bold.ttf")
    trim_left = float(PdfReader(io.BytesIO(printed.pdf)).pages[0].trimbox[0])
    logo_left = trim_left + printed.layout.sheet[0] - MARGIN - LOGO_HEIGHT * 4  # 800 x 200 px
    assert run.size < 17
    assert run.x + bold.width(title, run.size) <= logo_left
