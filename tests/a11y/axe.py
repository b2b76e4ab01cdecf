"""axe-core run in Chromium on the page a Selenium driver has open.

axe-core comes from the npm registry, pinned with its checksum by package-lock.json beside
this file (``npm ci --prefix tests/a11y``; .ci/run does it). Installed rather than copied
into the repository: an upgrade is a reviewable one-line change of version and checksum,
not half a megabyte of minified code, and the package keeps its own licence (MPL-2.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from selenium.webdriver.remote.webdriver import WebDriver

from tests.requirements import AXE

TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice")
"""WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices."""

EMAIL_EXCEPTIONS = {
    "landmark-one-main": "a mail client shows the message inside its own page, whose main "
    "landmark holds it; a <main> of the message's own would be a second one",
    "region": "the message is one labelled article inside the client's landmarks; it "
    "brings none of its own (see landmark-one-main)",
}
"""Rules left out for emails, by name, with the reason."""

_RUN = """
const [tags, rules, done] = arguments;
axe.run(document, {runOnly: {type: "tag", values: tags}, rules: rules, resultTypes: ["violations"]})
  .then(result => done(result.violations.map(v => ({
    id: v.id,
    help: v.help,
    nodes: v.nodes.map(n => `${n.target.join(" ")} (${n.failureSummary.replace(/\\s+/g, " ")})`),
  }))))
  .catch(error => done([{id: "axe-error", help: String(error), nodes: []}]));
"""


def axe_violations(
    driver: WebDriver, where: str, exceptions: Mapping[str, str] | None = None
) -> list[str]:
    """axe's violations of :data:`TAGS` on the open page, one line each, led by ``where``;
    the rules named in ``exceptions`` are not run."""
    if not driver.execute_script("return typeof axe !== 'undefined'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    rules = {rule: {"enabled": False} for rule in exceptions or {}}
    driver.set_script_timeout(120)
    found: list[dict[str, Any]] = driver.execute_async_script(_RUN, list(TAGS), rules)
    return [
        f"{where}: {v['id']}: {v['help']}: {node}" for v in found for node in v["nodes"] or [""]
    ]


def color_scheme(driver: WebDriver, scheme: str) -> None:
    """Show pages as in a system set to ``scheme`` ("light" or "dark")."""
    driver.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
    )
