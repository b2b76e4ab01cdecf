"""The one colour function: whatever colours a business configures, every text colour the
templates use reads at WCAG AA on every background of its mode, and a colour the pages had
to change is named in a warning."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from newsletter.config.settings import BrandConfig
from newsletter.render.palette import contrast, palette, palette_adjustments
from tests.a11y.project import PALE, SAMPLE
from tests.project_factory import build, make_project, read_config, write_config

AA = 4.5
LIGHT_GROUNDS = ("background", "surface", "paper", "tint", "accent_tint", "error_tint")
LIGHT_TEXT = ("text", "muted", "primary", "button", "error")
DARK_GROUNDS = ("dark_background", "dark_surface", "dark_tint")
DARK_TEXT = ("dark_text", "dark_muted", "dark_primary", "dark_accent")

colors = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")
brands = st.builds(
    BrandConfig,
    primary_color=colors,
    accent_color=colors,
    text_color=colors,
    background_color=colors,
)


def brand_of(colors: tuple[str, str, str, str]) -> BrandConfig:
    primary, accent, text, background = colors
    return BrandConfig(
        primary_color=primary, accent_color=accent, text_color=text, background_color=background
    )


def sample() -> BrandConfig:
    return brand_of((SAMPLE.primary, SAMPLE.accent, SAMPLE.text, SAMPLE.background))


@given(brands)
def test_every_light_text_colour_reads_at_aa_on_every_light_background(brand: BrandConfig) -> None:
    used = palette(brand)
    for text in LIGHT_TEXT:
        for ground in LIGHT_GROUNDS:
            assert contrast(used[text], used[ground]) > AA, (text, ground, used)


@given(brands)
def test_every_dark_mode_text_colour_reads_at_aa_on_every_dark_background(
    brand: BrandConfig,
) -> None:
    used = palette(brand)
    for text in DARK_TEXT:
        for ground in DARK_GROUNDS:
            assert contrast(used[text], used[ground]) > AA, (text, ground, used)


@given(brands)
def test_white_text_reads_on_buttons_and_badges(brand: BrandConfig) -> None:
    used = palette(brand)
    assert contrast("#ffffff", used["button"]) > AA
    assert contrast("#ffffff", used["primary"]) > AA  # the desk's masthead, reward badges
    assert contrast(used["dark_surface"], used["dark_primary"]) > AA  # badges, dark mode


@given(brands)
def test_a_brand_colour_is_named_exactly_when_the_pages_show_another(brand: BrandConfig) -> None:
    used = palette(brand)
    named = {a.key: a for a in palette_adjustments(brand)}
    shown = {
        "text_color": used["text"],
        "primary_color": used["primary"],
        "background_color": used["background"],
    }
    for key, colour in shown.items():
        changed = colour != getattr(brand, key).lower()
        assert (key in named) == changed, (key, named)
        if changed:
            assert named[key].used == colour and getattr(brand, key) in named[key].message


def test_the_sample_colours_read_as_configured_without_warnings() -> None:
    used = palette(sample())
    assert palette_adjustments(sample()) == ()
    assert (used["primary"], used["text"], used["background"]) == (
        SAMPLE.primary,
        SAMPLE.text,
        SAMPLE.background,
    )


def test_muted_text_is_derived_against_the_darkest_tinted_background() -> None:
    used = palette(sample())
    darkest = min(LIGHT_GROUNDS, key=lambda g: contrast(used[g], "#000000"))
    assert contrast(used["muted"], used[darkest]) > AA
    assert used["muted"] != used["text"]  # still lighter than body text


def test_a_pale_brand_is_adjusted_and_each_change_says_what_and_why() -> None:
    pale = brand_of((PALE.primary, PALE.accent, PALE.text, PALE.background))
    named = {a.key: a.message for a in palette_adjustments(pale)}
    assert set(named) == {"text_color", "primary_color"}
    assert named["primary_color"].startswith(f"{PALE.primary} is 1.42:1 on {PALE.background}")
    assert "under WCAG AA's 4.5:1 for text" in named["primary_color"]


def test_a_background_too_dark_for_text_is_lightened_with_a_warning() -> None:
    dark = BrandConfig(background_color="#333333")
    [adjusted, *_] = palette_adjustments(dark)
    assert adjusted.key == "background_color"
    assert contrast(palette(dark)["background"], "#000000") >= 9


def test_the_build_warns_of_each_adjusted_colour_and_strict_refuses(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    config = read_config(project)
    config["brand"] = {"primary_color": PALE.primary, "accent_color": PALE.accent}
    config["sections"] = [{"id": "editorials"}, {"id": "offer"}]  # none left empty
    write_config(project, config)
    done = build(project)
    assert done.returncode == 0, done.stderr
    config_file = project / "newsletter.yaml"
    assert (
        f"warning: {config_file}: brand.primary_color: {PALE.primary} is 1.53:1 on #f4f4f4, "
        "under WCAG AA's 4.5:1 for text; the pages show text in " in done.stderr
    )
    assert "brand.accent_color" not in done.stderr  # the accent is decoration: never text
    strict = build(project, "--strict")
    assert strict.returncode == 2
    assert "brand.primary_color" in strict.stderr
