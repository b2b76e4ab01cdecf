"""A keyboard user sees where they are: every element the Tab key reaches on the web page,
the archive, the report and the desk's forms shows a focus outline at least 2 px wide whose
colour has 3:1 against the background it is drawn on (WCAG 2.2 2.4.7 and 1.4.11), in the
sample's colours and a pale brand, light and dark. axe-core does not check focus styles."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from newsletter.render.palette import contrast
from tests.a11y.axe import color_scheme
from tests.a11y.project import BRANDS
from tests.desk.support import RunningDesk, wait_for
from tests.project_factory import MONTH

pytestmark = pytest.mark.browser

NON_TEXT_CONTRAST = 3.0
MOST_STOPS = 80
"""More Tab stops than any page has: a page that never gives focus back is a trap."""

_FOCUSED = """
const element = document.activeElement;
if (!element || element === document.body) return null;
const style = getComputedStyle(element);
// The outline sits outside the element: on the first ancestor that paints a background.
let ground = null;
for (let node = element.parentElement; node && !ground; node = node.parentElement) {
  const color = getComputedStyle(node).backgroundColor;
  if (!/^rgba\\(.*, 0\\)$/.test(color) && color !== "transparent") ground = color;
}
return {
  element: element.outerHTML.slice(0, 90),
  style: style.outlineStyle,
  width: parseFloat(style.outlineWidth),
  color: style.outlineColor,
  ground: ground || "rgb(255, 255, 255)",
};
"""


def hex_of(css: str) -> str:
    """``#rrggbb`` of a computed ``rgb(r, g, b)`` or ``rgba(r, g, b, a)`` colour."""
    red, green, blue = (int(float(part)) for part in css[css.index("(") + 1 : -1].split(",")[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


def weak_focus(browser: WebDriver, where: str) -> list[str]:
    """Each Tab stop on the open page whose focus outline is missing, thin or faint."""
    found, seen = [], []
    for _ in range(MOST_STOPS):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        focused = browser.execute_script(_FOCUSED)
        if focused is None or focused["element"] in seen[:1]:
            return found
        seen.append(focused["element"])
        ratio = contrast(hex_of(focused["color"]), hex_of(focused["ground"]))
        if focused["style"] == "none" or focused["width"] < 2 or ratio < NON_TEXT_CONTRAST:
            found.append(
                f"{where}: {focused['element']}: {focused['style']} {focused['width']}px "
                f"{focused['color']} on {focused['ground']} ({ratio:.2f}:1)"
            )
    return [*found, f"{where}: Tab never leaves the page after {MOST_STOPS} stops"]


@BRANDS
def test_every_tab_stop_on_the_web_page_archive_and_report_shows_its_focus(
    out: Path, browser: WebDriver
) -> None:
    pages = (
        out / MONTH / "web" / "index.html",
        out / MONTH / "web" / "archive.html",
        out / "reports" / MONTH / "index.html",
    )
    browser.set_window_size(1200, 900)
    found = []
    for page in pages:
        for scheme in ("light", "dark"):
            color_scheme(browser, scheme)
            browser.get(page.as_uri())
            found += weak_focus(browser, f"{page.name} ({scheme})")
    assert found == []


@BRANDS
def test_every_tab_stop_on_the_desk_s_forms_shows_its_focus_before_and_after_errors(
    desk: RunningDesk, browser: WebDriver
) -> None:
    found = []
    for path in ("r", "join"):
        browser.get(desk.url + path)
        found += weak_focus(browser, path)
        browser.find_element(By.CSS_SELECTOR, "main button[type='submit']").click()
        wait_for(lambda: browser.title.startswith("Error: "), what=f"{path} with errors")
        found += weak_focus(browser, f"{path}, failed")
    assert found == []
