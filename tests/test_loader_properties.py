"""Property-based specifications of the loaders (hypothesis): for any input, subscribers.csv,
suppressions.csv, referrals.csv, newsletter.yaml and an editorial's front matter either
load or raise the project's own error naming a line — never another exception, and never
unbounded work (each example has a deadline far below what a blow-up takes)."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from newsletter.audience.subscribers import COLUMNS as SUBSCRIBER_COLUMNS
from newsletter.audience.subscribers import load_subscribers
from newsletter.audience.suppressions import COLUMNS as SUPPRESSION_COLUMNS
from newsletter.audience.suppressions import load_suppressions
from newsletter.config import load_config
from newsletter.csvfile import appended_csv
from newsletter.diagnostics import Diagnostics
from newsletter.errors import ConfigError, ContentError, NewsletterError
from newsletter.referrals.ledger import COLUMNS as LEDGER_COLUMNS
from newsletter.referrals.ledger import LEGACY_COLUMNS, ledger_text, load_leads
from newsletter.sources.editorials import load_editorials
from tests.golden import FIXTURE_PROJECT

REPO = Path(__file__).resolve().parent.parent
SAMPLE_CONFIG = (FIXTURE_PROJECT / "newsletter.yaml").read_text(encoding="utf-8")
BOUNDED = settings(
    max_examples=150,
    deadline=timedelta(seconds=5),  # a blow-up takes tens of seconds; a load, milliseconds
    suppress_health_check=[HealthCheck.too_slow],
)

# Text that stresses CSV and YAML: their syntax, whitespace, controls, and everything else.
SYNTAX = st.sampled_from(list(",\"\n\r\t :-[]{}&*!|>#%@'?=+\\\x00\x0b\x0c\x1b\x85\u2028\ufeff"))
ANY_TEXT = st.text(st.one_of(SYNTAX, st.characters(exclude_categories=("Cs",))), max_size=300)
CELL = st.one_of(
    ANY_TEXT,
    st.sampled_from(["", "client", "email", "both", "mail", "new", "won", "yes", "bounce"]),
    st.sampled_from(["ann@example.com", "2026-11-02", "2026-11-02T09:00:00-06:00", "12"]),
    st.sampled_from(["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-12:00", "1e400"]),
)


def with_file(payload: bytes, name: str, load: Callable[[Path], object]) -> object:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(payload)
        return load(path)


def loads_or_names_a_line(
    payload: bytes, name: str, load: Callable[[Path], object], error: type[NewsletterError]
) -> object:
    """``load`` the file holding ``payload``: a result, or ``error`` with a line number."""
    try:
        result = with_file(payload, name, load)
    except error as exc:
        assert exc.line is not None and exc.line >= 1, exc.one_line()
        for further in exc.also:
            assert further.line is not None, further.one_line()
        event(f"refused: {exc.key or exc.message[:30]}")  # --hypothesis-show-statistics
        return None
    event("loaded")
    return result


def written_back_as_read(
    payload: bytes,
    name: str,
    load: Callable[[Path], tuple[Any, ...]],
    text: Callable[[Any], str],
    error: type[NewsletterError],
) -> tuple[Any, ...]:
    """What ``payload`` loads as (nothing when it is refused), checked to load again the
    same from the text ``text`` writes for it."""
    loaded = loads_or_names_a_line(payload, name, load, error)
    if not loaded:
        return ()
    assert isinstance(loaded, tuple)
    assert with_file(text(loaded).encode(), name, load) == loaded
    return loaded


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode("utf-8", "surrogatepass")


def table(columns: Sequence[str]) -> st.SearchStrategy[bytes]:
    """A CSV with the real header (sometimes a little off) and rows of awkward cells."""
    header = st.one_of(
        st.just(list(columns)),
        st.permutations(list(columns)),
        st.lists(st.sampled_from([*columns, "extra", ""]), min_size=1, max_size=len(columns) + 2),
    )
    rows = st.lists(st.lists(CELL, max_size=len(columns) + 2), max_size=6)
    return st.builds(csv_bytes, header, rows)


def mutated(sample: Path) -> st.SearchStrategy[bytes]:
    """The bundled sample file with a few of its cells replaced: gets past the header and
    the first column, to every check of every column."""
    header, *rows = list(csv.reader(io.StringIO(sample.read_text(encoding="utf-8"))))

    def mutate(changes: list[tuple[int, int, str]]) -> bytes:
        edited = [list(row) for row in rows]
        for row, column, value in changes:
            edited[row % len(edited)][column % len(header)] = value
        return csv_bytes(header, edited)

    change = st.tuples(st.integers(0, 99), st.integers(0, 99), CELL)
    return st.lists(change, min_size=1, max_size=3).map(mutate)


def files(columns: Sequence[str], sample: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        mutated(FIXTURE_PROJECT / "subscribers" / sample),
        table(columns),
        st.binary(max_size=400),
        ANY_TEXT.map(str.encode),
    )


# ---- CSV loaders ------------------------------------------------------------------------------


@BOUNDED
@given(files(SUBSCRIBER_COLUMNS, "subscribers.csv"))
def test_any_subscribers_csv_loads_or_names_a_line(payload: bytes) -> None:
    loads_or_names_a_line(payload, "subscribers.csv", load_subscribers, ContentError)


@BOUNDED
@given(files(SUPPRESSION_COLUMNS, "suppressions.csv"))
def test_any_suppressions_csv_loads_or_names_a_line(payload: bytes) -> None:
    loads_or_names_a_line(payload, "suppressions.csv", load_suppressions, ContentError)


@BOUNDED
@given(files(LEDGER_COLUMNS, "referrals.csv"))
@example(csv_bytes(LEDGER_COLUMNS, [["1", "0001-01-01T00:00:00+05:00"] + ["x"] * 13]))
@example(csv_bytes(LEGACY_COLUMNS, [["²", "2026-11-02T09:00:00-06:00"] + ["x"] * 13]))
def test_any_referrals_csv_loads_or_names_a_line(payload: bytes) -> None:
    loads_or_names_a_line(payload, "referrals.csv", load_leads, ContentError)


DATA_FILES: dict[str, tuple[Sequence[str], Callable[[Path], object]]] = {
    "subscribers.csv": (SUBSCRIBER_COLUMNS, load_subscribers),
    "suppressions.csv": (SUPPRESSION_COLUMNS, load_suppressions),
    "referrals.csv": (LEDGER_COLUMNS, load_leads),
}


def _outcome(payload: bytes, name: str) -> tuple[object, ...]:
    try:
        return ("loaded", with_file(payload, name, DATA_FILES[name][1]))
    except ContentError as exc:
        return ("refused", exc.line, exc.key, exc.message)


@BOUNDED
@given(
    st.sampled_from(sorted(DATA_FILES)).flatmap(
        lambda name: st.tuples(st.just(name), table(DATA_FILES[name][0]))
    )
)
def test_a_byte_order_mark_before_any_data_file_changes_nothing(case: tuple[str, bytes]) -> None:
    name, payload = case
    assert _outcome("\ufeff".encode() + payload, name) == _outcome(payload, name)


@BOUNDED
@given(files(LEDGER_COLUMNS, "referrals.csv"))
def test_a_ledger_that_loads_is_written_back_as_it_reads(payload: bytes) -> None:
    written_back_as_read(payload, "referrals.csv", load_leads, ledger_text, ContentError)


@BOUNDED
@given(
    st.one_of(
        mutated(REPO / "tests" / "fixtures" / "referrals-before-qualification.csv"),
        table(LEGACY_COLUMNS),
    )
)
def test_a_ledger_from_before_qualification_loads_and_is_written_back_losing_nothing(
    payload: bytes,
) -> None:
    leads = written_back_as_read(payload, "referrals.csv", load_leads, ledger_text, ContentError)
    assert all(x.qualified and x.clock_start == x.received_at for x in leads)


PROSPECT = {
    "email": "new.prospect@example.com",
    "segment": "prospect",
    "channels": "email",
    "source": "business-contact",
    "lead_id": "12",
    "referred_by": "WDTD6PDE",
}


@BOUNDED
@given(files(SUBSCRIBER_COLUMNS, "subscribers.csv"))
def test_a_prospect_appended_to_any_list_keeps_every_subscriber_as_read(payload: bytes) -> None:
    before = loads_or_names_a_line(payload, "subscribers.csv", load_subscribers, ContentError)
    if not before:
        return
    assert isinstance(before, tuple)
    grown = appended_csv(payload.decode("utf-8-sig"), SUBSCRIBER_COLUMNS, [PROSPECT])
    after = with_file(grown.encode(), "subscribers.csv", load_subscribers)
    assert isinstance(after, tuple)
    assert [(s.email, s.segment, s.channels, s.address, s.tags) for s in after[:-1]] == [
        (s.email, s.segment, s.channels, s.address, s.tags) for s in before
    ]
    assert (after[-1].email, after[-1].lead_id) == ("new.prospect@example.com", 12)


# ---- YAML ----------------------------------------------------------------------------------


YAML_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), CELL),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
SAMPLE_KEYS = [line.split(":")[0] for line in SAMPLE_CONFIG.splitlines() if line[:1].isalpha()]


def config_with(key: str, value: Any) -> bytes:
    """The sample config with one top-level key's value replaced by ``value``."""
    data = yaml.safe_load(SAMPLE_CONFIG)
    data[key] = value
    return yaml.safe_dump(data, allow_unicode=True).encode("utf-8", "surrogatepass")


def load_in_sample(path: Path) -> object:
    # Paths in the config resolve next to it: a copy of the sample's folders is not needed
    # for loading the config itself.
    return load_config(path)


@BOUNDED
@given(
    st.one_of(
        st.builds(config_with, st.sampled_from(SAMPLE_KEYS), YAML_VALUES),
        ANY_TEXT.map(str.encode),
        st.binary(max_size=400),
        st.builds(lambda a, b: (SAMPLE_CONFIG[:a] + b).encode(), st.integers(0, 4000), ANY_TEXT),
    )
)
@example(b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
    f"l{n}: &l{n} [{', '.join(['*' + ('a' if n == 1 else f'l{n - 1}')] * 9)}]\n".encode()
    for n in range(1, 10)
))  # fmt: skip
@example(SAMPLE_CONFIG.replace("America/Chicago", "America").encode())  # a folder of zones
def test_any_newsletter_yaml_loads_or_names_a_line(payload: bytes) -> None:
    loads_or_names_a_line(payload, "newsletter.yaml", load_in_sample, ConfigError)


def editorial_file(front: Any, body: str) -> bytes:
    header = front if isinstance(front, str) else yaml.safe_dump(front, allow_unicode=True)
    return f"---\n{header}\n---\n{body}".encode("utf-8", "surrogatepass")


def load_editorial(path: Path) -> object:
    month = path.parent / "content" / "editorials" / "2026-11"
    month.mkdir(parents=True)
    path.rename(month / "story.md")
    return load_editorials(path.parent / "content", "2026-11", diagnostics=Diagnostics())


@BOUNDED
@given(
    st.one_of(
        st.builds(
            editorial_file,
            st.one_of(
                st.fixed_dictionaries(
                    {"title": CELL},
                    optional={"order": YAML_VALUES, "segments": YAML_VALUES, "image": YAML_VALUES},
                ),
                YAML_VALUES,
                ANY_TEXT,
            ),
            ANY_TEXT,
        ),
        ANY_TEXT.map(lambda text: f"---\n{text}".encode("utf-8", "surrogatepass")),
        st.binary(max_size=400),
    )
)
def test_any_editorial_front_matter_loads_or_names_a_line(payload: bytes) -> None:
    loads_or_names_a_line(payload, "story.md", load_editorial, ContentError)
