"""`check` evaluates everything `build` evaluates (the title's placeholders, every template),
so a build never fails on input that check passed; and the known tracebacks are one-line
errors: a stray brace in the title, an expression that fails in a template, `preview` on a
busy port or with `--month ..`."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from newsletter.cli import main

MONTH = "2026-11"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def check(project: Path) -> tuple[int, str, str]:
    return run("check", "--config", str(project / "newsletter.yaml"), "--month", MONTH)


def build(project: Path) -> tuple[int, str, str]:
    config = str(project / "newsletter.yaml")
    out = str(project / "build")
    return run("build", "--config", config, "--month", MONTH, "--out", out, "--offline")


def set_title(project: Path, title: str) -> Path:
    path = project / "newsletter.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.setdefault("issue", {})["title"] = title
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("title", "says"),
    [
        ("{nope}", "unknown placeholder {nope} (known: {business}, {month_name}, {year})"),
        ("Prices { up", "expected '}' before end of string (write {{ and }} for a literal brace)"),
        ("{business.__class__}", "unknown placeholder {business.__class__}"),
        ("{year:>999999999}", "write placeholders plainly"),
    ],
)
def test_a_title_the_build_could_not_format_is_a_config_error(
    sample_project: Path, title: str, says: str
) -> None:
    path = set_title(sample_project, title)
    code, _, err = check(sample_project)
    line = next(
        n
        for n, text in enumerate(path.read_text().splitlines(), 1)
        if text.strip().startswith("title:")
    )
    assert code == 2
    assert err.startswith(f"newsletter: {path}:{line}: issue.title: {says}")
    assert err.count("\n") == 1
    assert build(sample_project)[0] == 2  # and the build says the same, without a traceback


def test_a_title_with_literal_braces_builds(sample_project: Path) -> None:
    set_title(sample_project, "{{Hartwell}} news, {month_name} {year}")
    assert check(sample_project)[0] == 0
    code, out, _ = build(sample_project)
    assert code == 0 and "built {Hartwell} news, November 2026" in out


def test_a_template_expression_that_fails_is_found_by_check(sample_project: Path) -> None:
    template = sample_project / "templates" / "email.txt.j2"
    template.write_text(template.read_text() + "\n{{ (issue.sections | length) / 0 }}\n")
    code, out, err = check(sample_project)
    assert (code, out) == (2, "")
    assert err.startswith(f"newsletter: {template}:")
    assert err.endswith(": an expression failed: division by zero\n")
    assert "Error" not in err and err.count("\n") == 1
    assert build(sample_project)[2] == err  # the build fails the same way, not differently


def test_a_template_naming_what_is_not_there_is_found_by_check(sample_project: Path) -> None:
    template = sample_project / "templates" / "web" / "base.html.j2"
    template.write_text(template.read_text().replace("</body>", "{{ issue.nope }}</body>"))
    code, _, err = check(sample_project)
    assert code == 2
    assert f"{template}:36: 'newsletter.model.Issue object' has no attribute 'nope'" in err
    assert err.count("\n") == 1


def test_check_passes_the_sample_and_renders_what_the_build_writes(sample_project: Path) -> None:
    code, out, _ = check(sample_project)
    assert code == 0
    assert build(sample_project)[0] == 0
    written = [
        p
        for p in (sample_project / "build" / MONTH).rglob("*")
        if p.is_file() and p.name != "manifest.json" and "snapshot" not in p.parts
    ]
    assert f"templates: 5 found, {len(written)} files rendered" in out


def test_check_writes_nothing(sample_project: Path) -> None:
    before = sorted(p.relative_to(sample_project) for p in sample_project.rglob("*"))
    assert check(sample_project)[0] == 0
    assert sorted(p.relative_to(sample_project) for p in sample_project.rglob("*")) == before


# ---- preview ------------------------------------------------------------------------------


def built(project: Path) -> Path:
    assert build(project)[0] == 0
    return project / "build"


@pytest.mark.parametrize("month", ["..", "../..", "2026-11/../..", "/etc"])
def test_preview_month_must_be_a_month(sample_project: Path, month: str) -> None:
    config = str(sample_project / "newsletter.yaml")
    code, _, err = run(
        "preview", "--config", config, "--month", month, "--out", str(built(sample_project))
    )
    assert code == 2
    assert err == f"newsletter: --month: not a month (expected YYYY-MM): {month!r}\n"


def test_preview_on_a_busy_port_is_a_one_line_error(sample_project: Path) -> None:
    out = built(sample_project)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = str(sample_project / "newsletter.yaml")
        code, _, err = run(
            "preview", "--config", config, "--month", MONTH, "--out", str(out), "--port", str(port)
        )
    assert code == 2
    assert err == (
        f"newsletter: --port: cannot serve on 127.0.0.1:{port}: Address already in use "
        f"(another preview? try --port {port + 1})\n"
    )
