"""Personal hooks: tags pick ``::: only TAG`` blocks, dated facts make hook lines, one email
per combination in use (never per recipient), and the send batches by it."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from newsletter.audience.hooks import Fact, VariantPicker, hook_lines, parse_facts
from newsletter.audience.subscribers import load_subscribers
from newsletter.config import load_config
from newsletter.config.personal import HookLine, PersonalConfig
from newsletter.deliver.job import SendReport
from newsletter.errors import BuildError, ContentError, NewsletterError
from newsletter.pipeline.build import build
from tests.deliver.test_send import send
from tests.smtp_server import Recorder

MONTH = "2026-11"
ISSUE_DATE = date(2026, 11, 1)
PERSONAL = """
personal:
  tags: [pets, kids, new-homeowner]
  max_variants: 50
  hooks:
    - fact: installed
      min_years: 12
      text: "Your {what} turns {years} this winter: worth a look before it quits."
    - fact: last_service
      min_months: 11
      text: "Your yearly tune-up is due: reply to book."
"""
PETS_BLOCK = """
::: only pets
Pet hair clogs filters twice as fast: check yours monthly.
:::
"""
HOOKS = PersonalConfig(
    hooks=(
        HookLine(fact="installed", min_years=12, text="Your {what} turns {years} this winter."),
        HookLine(fact="last_service", min_months=11, text="Your tune-up is due."),
        HookLine(fact="birthday", in_month=True, text="Happy birthday month!"),
    )
)


# ---- facts and hook lines ------------------------------------------------------------------


def test_facts_read_words_and_a_date_of_any_precision() -> None:
    assert parse_facts("installed: furnace 2012; last_service: 2026-03-14; birthday: March") == (
        Fact("installed", "furnace", 2012, None, None),
        Fact("last_service", "", 2026, 3, 14),
        Fact("birthday", "", None, 3, None),
    )


@pytest.mark.parametrize(
    "cell", ["last_service: 2026-13-40", "installed: furnace", "no colon here", "Bad Key: 2020"]
)
def test_a_fact_that_is_not_a_date_is_refused(cell: str) -> None:
    with pytest.raises(ValueError, match="not a"):
        parse_facts(cell)


def test_a_bad_fact_in_the_list_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "subscribers.csv"
    path.write_text(
        "email,segment,channels,facts\n"
        "a@example.com,client,email,installed: furnace 2012\n"
        "b@example.com,client,email,last_service: 2026-02-30\n"
    )
    with pytest.raises(ContentError, match="last_service: not a date") as caught:
        load_subscribers(path)
    assert (caught.value.line, caught.value.key) == (3, "facts")


def test_hook_lines_follow_the_facts_age_on_the_issue_date() -> None:
    facts = parse_facts("installed: furnace 2012; last_service: 2025-12-02; birthday: November")
    assert hook_lines(facts, HOOKS, ISSUE_DATE) == (
        "Your furnace turns 14 this winter.",
        "Happy birthday month!",
    )
    assert hook_lines(parse_facts("last_service: 2025-12-01"), HOOKS, ISSUE_DATE) == (
        "Your tune-up is due.",
    )
    assert hook_lines(parse_facts("installed: furnace 2020"), HOOKS, ISSUE_DATE) == ()


def test_readers_with_the_same_tags_and_hooks_share_one_variant() -> None:
    picker = VariantPicker(HOOKS, ("pets",), ISSUE_DATE)
    one = picker.pick("client", "pets;ac", "installed: furnace 2012")
    two = picker.pick("client", "ac; pets", "installed: boiler 2012")
    assert one.tags == ("pets",) and one.key != two.key  # the words differ
    same = picker.pick("client", "pets", "installed: furnace 2012")
    assert same == one and same.key == one.key
    assert picker.pick("client", "kids", "").key == ""  # kids: no block in this issue


def test_a_reader_gets_the_same_variant_from_the_cells_or_from_the_row_read() -> None:
    picker = VariantPicker(HOOKS, ("pets",), ISSUE_DATE)
    cells = ("kids; pets", "last_service: 2025-12-01; installed: furnace 2012")
    facts = parse_facts(cells[1])
    assert picker.variant("client", ("pets", "kids"), facts) == picker.pick("client", *cells)
    assert picker.pick("client", *cells).hooks == (
        "Your furnace turns 14 this winter.",  # the config's order, not the cell's
        "Your tune-up is due.",
    )


def test_readers_each_with_their_own_dates_share_the_variants_of_their_hook_lines() -> None:
    picker = VariantPicker(HOOKS, (), ISSUE_DATE)
    cells = [f"last_service: {date(2024, 1, 1) + timedelta(days=n)}" for n in range(300)]
    variants = {picker.pick("client", "", cell) for cell in cells}
    assert {v.hooks for v in variants} == {("Your tune-up is due.",)}
    first = picker.pick("client", "", cells[0])
    assert all(picker.pick("client", "", cell) is first for cell in cells)  # one object


def test_a_hook_line_needs_exactly_one_rule_and_known_placeholders() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        HookLine(fact="installed", text="x")
    with pytest.raises(ValueError, match="unknown placeholder"):
        HookLine(fact="installed", min_years=1, text="Your {name}")


# ---- editorial blocks ----------------------------------------------------------------------


def personal_project(project: Path, rows: list[str], block: str = PETS_BLOCK) -> Path:
    config = project / "newsletter.yaml"
    config.write_text(config.read_text() + PERSONAL)
    editorial = sorted((project / "content" / "editorials" / MONTH).glob("*.md"))[0]
    editorial.write_text(editorial.read_text() + block)
    subscribers = project / "subscribers" / "subscribers.csv"
    lines = subscribers.read_text().splitlines()
    lines[0] += ",facts"
    subscribers.write_text("\n".join([*lines, *rows]) + "\n")
    return project


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("\n::: only cats\nMeow.\n:::\n", "unknown tag 'cats' (known: pets, kids, new-homeowner)"),
        ("\n::: only pets\nNever closed.\n", "block 'only pets' is never closed"),
        ("\n:::\n", "':::' closes no block"),
        ("\n::: only pets\n::: only kids\n:::\n:::\n", "a block inside the block"),
        ("\n::: sometimes pets\n", "not a block fence"),
    ],
)
def test_a_bad_block_in_an_editorial_names_file_and_line(
    sample_project: Path, block: str, message: str
) -> None:
    personal_project(sample_project, [], block)
    with pytest.raises(ContentError, match=re.escape(message)) as caught:
        build(
            load_config(sample_project / "newsletter.yaml"),
            MONTH,
            out_root=sample_project / "build",
            offline=True,
        )
    assert caught.value.line is not None and "editorials/2026-11/" in str(caught.value.path)


READERS = [
    "pat@example.com,Pat,Lee,,client,email,,,,,,web,2026-01-01,pets,,installed: furnace 2010",
    "sam@example.com,Sam,Ray,,client,email,,,,,,web,2026-01-01,pets;kids,,installed: furnace 2010",
    "kim@example.com,Kim,Day,,client,email,,,,,,web,2026-01-01,pets,,",
    "lou@example.com,Lou,Fox,,prospect,email,,,,,,web,2026-01-01,,,last_service: 2025-10-20",
]


def test_build_renders_one_variant_per_combination_in_use(sample_project: Path) -> None:
    personal_project(sample_project, READERS)
    result = build(
        load_config(sample_project / "newsletter.yaml"),
        MONTH,
        out_root=sample_project / "build",
        offline=True,
    )
    listing = json.loads((result.out_dir / "variants.json").read_text())
    client = listing["segments"]["client"]
    assert client["tags"] == ["pets"]
    combos = sorted((v["tags"], v["hooks"]) for v in client["variants"].values())
    assert combos == [
        (["pets"], []),
        (["pets"], ["Your furnace turns 16 this winter: worth a look before it quits."]),
    ]  # pat and sam share one: kids has no block
    (key,) = [k for k, v in client["variants"].items() if v["hooks"]]
    html = (result.out_dir / "segments" / "client" / "variants" / key / "email.html").read_text()
    text = (result.out_dir / "segments" / "client" / "variants" / key / "email.txt").read_text()
    plain = (result.out_dir / "segments" / "client" / "email.html").read_text()
    for body in (html, text):
        assert "Pet hair clogs filters" in body and "Your furnace turns 16" in body
        assert "only:pets" not in body and "@@HOOK_LINES@@" not in body and "[[hooks" not in body
    assert "Pet hair clogs filters" not in plain and "Your furnace" not in plain
    prospect = listing["segments"]["prospect"]["variants"]
    assert [v["hooks"] for v in prospect.values()] == [
        ["Your yearly tune-up is due: reply to book."]
    ]


def test_more_combinations_than_the_cap_is_a_clear_error(sample_project: Path) -> None:
    rows = [
        f"r{year}@example.com,,,,client,email,,,,,,web,2026-01-01,,,installed: furnace {year}"
        for year in range(1950, 2010)
    ]
    personal_project(sample_project, rows)
    with pytest.raises(
        BuildError, match=r"needs 60 personal variants .* personal.max_variants \(50\)"
    ):
        build(
            load_config(sample_project / "newsletter.yaml"),
            MONTH,
            out_root=sample_project / "build",
            offline=True,
        )


def built_and_sent(project: Path, port: int, *, change: str = "") -> SendReport:
    """Build the personal project, optionally ``change`` its list after the build (a fact
    rewritten), then send it all over SMTP in batches of 5 (tests.test_send)."""
    settings = load_config(project / "newsletter.yaml")
    build(settings, MONTH, out_root=project / "build", offline=True)
    if change:
        subscribers = project / "subscribers" / "subscribers.csv"
        subscribers.write_text(subscribers.read_text().replace(change, change[:-1] + "1", 1))
    report: SendReport = send(settings, project, port)
    return report


def test_the_send_gives_each_reader_their_variant_in_batches_by_variant(
    sample_project: Path, server: tuple[Recorder, int]
) -> None:
    recorder, port = server
    report = built_and_sent(personal_project(sample_project, READERS), port)
    texts = {rcpts[0]: m.get_body(("plain",)).get_content() for _, rcpts, m in recorder.messages}
    assert "Your furnace turns 16" in texts["pat@example.com"]
    assert "Your furnace turns 16" in texts["sam@example.com"]
    kim = texts["kim@example.com"]
    assert "Pet hair clogs" in kim and "Your furnace" not in kim
    assert "Pet hair clogs" not in texts["maria.gonzalez@example.com"]
    assert "tune-up is due" in texts["lou@example.com"]
    assert report.sent == 21
    # Batches of 5 by variant: client and partner read the same plain email (11 readers: 3
    # batches), prospects' plain (6: 2), and each of the three variants in use (1 each).
    assert report.batches == 3 + 2 + 3


def test_a_list_changed_after_the_build_stops_the_send_before_anyone_gets_anything(
    sample_project: Path, server: tuple[Recorder, int]
) -> None:
    recorder, port = server
    personal_project(sample_project, READERS)
    with pytest.raises(NewsletterError, match="changed since the build: build again"):
        built_and_sent(sample_project, port, change="furnace 2010")
    assert recorder.messages == []


@examples(max_examples=300, deadline=timedelta(seconds=2))
@given(st.text(max_size=120))
def test_any_facts_cell_parses_or_says_what_is_not_a_fact(cell: str) -> None:
    try:
        facts = parse_facts(cell)
    except ValueError as exc:
        assert str(exc).startswith(("not a fact", f"{cell.split(':')[0].strip()}: not a date"))
        return
    for fact in facts:
        assert fact.year is not None or fact.month is not None
        hook_lines((fact,), HOOKS, ISSUE_DATE)  # never raises for a fact that parsed
