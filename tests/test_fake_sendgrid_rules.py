"""The fake SendGrid's shortcuts answer exactly as the slower way they stand in for: the
check of well-formed personalizations as the full per-item checks (the same errors, in the
same order, for any list), the JSON reader as json.loads (the same values, or a ValueError,
for any bytes)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.deliver.sendgrid import personalization
from newsletter.deliver.transport import Recipient
from tests.fake_sendgrid import read_json
from tests.fake_sendgrid_rules import (
    _personalization_errors,
    _validate_personalizations,
    _well_formed,
)

# Valid addresses (two differ only in case: a repeat), invalid ones (one ends in a newline,
# which the address pattern lets through), and values that are not strings at all.
ADDRESSES = st.sampled_from(
    ["ann@example.com", "ANN@example.com", "bo@example.org", "cy@mail.example.net", "x@y.z\n"]
)
NOT_ADDRESSES = st.sampled_from(["", "not-an-address", "a@b", "a b@example.com", "@example.com"])
NOT_STRINGS = st.sampled_from([None, 7, ["ann@example.com"], {"email": "ann@example.com"}])
EMAILS = st.one_of(ADDRESSES, ADDRESSES, NOT_ADDRESSES, NOT_STRINGS, st.text(max_size=12))

RECIPIENT = st.one_of(
    st.fixed_dictionaries({"email": EMAILS}, optional={"name": st.text(max_size=5)}),
    st.fixed_dictionaries({}, optional={"name": st.text(max_size=5)}),
    NOT_STRINGS,
)
TO = st.one_of(st.lists(RECIPIENT, max_size=3), st.none(), st.just("ann@example.com"))
SUBSTITUTIONS = st.one_of(
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=3),
    st.dictionaries(st.text(max_size=4), st.one_of(st.text(max_size=4), st.integers())),
    st.none(),
    st.just(["%%NAME%%", "Ann"]),
)
PERSONALIZATION = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "to": TO,
            "substitutions": SUBSTITUTIONS,
            "subject": st.sampled_from(["", "Hi", None]),
            "headers": st.just({"List-Unsubscribe": "<mailto:u@example.com>"}),
        },
    ),
    # Mostly the shape a sender builds, so the shortcut is taken as often as refused.
    st.builds(
        lambda email, subs: {"to": [{"email": email}], "substitutions": subs},
        ADDRESSES,
        st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=3),
    ),
    st.sampled_from([None, "ann@example.com", []]),
)


def outcome(check: Any, *arguments: Any) -> Any:
    """What a check returns, or the kind of exception it raises (a personalization that is
    not an object makes the full checks raise; the shortcut must not change that)."""
    try:
        return check(*arguments)
    except Exception as error:  # the kind of failure is what is compared
        return type(error)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PERSONALIZATION, min_size=1, max_size=12), st.booleans())
def test_shortcut_and_full_checks_find_the_same_problems(
    personalizations: list[Any], has_subject: bool
) -> None:
    assert outcome(_validate_personalizations, personalizations, has_subject) == outcome(
        _personalization_errors, personalizations, has_subject
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(PERSONALIZATION, min_size=1, max_size=12))
def test_shortcut_passes_only_what_the_full_checks_pass(personalizations: list[Any]) -> None:
    if _well_formed(personalizations):
        assert _personalization_errors(personalizations, True) == []


def test_shortcut_takes_personalizations_built_as_the_sender_builds_them() -> None:
    built = [
        msgspec.json.decode(  # as the body carries it
            msgspec.json.encode(
                personalization(
                    Recipient(
                        email=f"reader{i}@example.com",
                        name=f"Reader{i}",
                        substitutions={"%%FIRST_NAME%%": f"Reader{i}", "%%CODE%%": "PZKZ3MFZ"},
                        headers={
                            "List-Unsubscribe": "<mailto:news@example.com?subject=unsubscribe>"
                        },
                    )
                )
            )
        )
        for i in range(1000)
    ]
    assert _well_formed(built)


def test_shortcut_refuses_more_than_1000_recipients_in_all() -> None:
    many = [{"to": [{"email": f"p{i}-{j}@example.com"} for j in range(501)]} for i in range(2)]
    assert not _well_formed(many)


def test_shortcut_refuses_an_address_repeated_in_another_case() -> None:
    twice = [{"to": [{"email": "a@example.com"}]}, {"to": [{"email": "A@example.com"}]}]
    assert not _well_formed(twice)


# JSON text written token by token, so that it can hold what json.dumps never writes: a key
# twice in one object, numbers past 64 bits or past a float's range, escapes of lone
# surrogates, spacing anywhere.
NUMBERS = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(
        [
            "-0",
            "-0.0",
            "1E2",
            "1e400",
            "-1e400",
            "18446744073709551616",
            "9007199254740993",
            "2.2250738585072011e-308",
            "4.9e-324",
            "0.30000000000000004441",
            "NaN",
            "Infinity",
        ]
    ),
)
STRINGS = st.one_of(
    st.text(max_size=8).map(json.dumps),
    st.text(max_size=8).map(lambda text: json.dumps(text, ensure_ascii=False)),
    st.sampled_from(['"\\ud800"', '"\\u00e9\\u2019"', '"\\u0000"', '"tab\\there"']),
)
SPACE = st.sampled_from(["", " ", "\n", "\t", "\r\n  "])
JSON_TEXT = st.recursive(
    st.one_of(NUMBERS, STRINGS, st.sampled_from(["true", "false", "null"])),
    lambda inner: st.one_of(
        st.builds(lambda items, s: "[" + s + ("," + s).join(items) + "]", st.lists(inner), SPACE),
        st.builds(
            lambda pairs, s: "{" + ",".join(f"{s}{k}{s}:{s}{v}" for k, v in pairs) + "}",
            st.lists(st.tuples(STRINGS, inner)),
            SPACE,
        ),
    ),
    max_leaves=12,
)
RAW = st.one_of(
    JSON_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
    JSON_TEXT.map(lambda text: text.encode("utf-16")),
    JSON_TEXT.map(lambda text: "\ufeff".encode() + text.encode("utf-8", "surrogatepass")),
    # A byte changed anywhere in well-formed JSON: mostly bad JSON, sometimes other JSON.
    st.builds(
        lambda text, at, byte: (
            (raw := text.encode("utf-8", "surrogatepass"))[:at] + bytes([byte]) + raw[at + 1 :]
        ),
        JSON_TEXT,
        st.integers(0, 40),
        st.integers(0, 255),
    ),
    st.binary(max_size=20),
)


def typed(value: Any) -> Any:
    """``value`` with every type spelled out, so that 1, 1.0 and True, or 0.0 and -0.0,
    differ (== alone would call them equal)."""
    if isinstance(value, dict):
        return ("dict", [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(item) for item in value])
    return (type(value).__name__, repr(value))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RAW)
def test_json_reader_reads_any_bytes_as_json_loads_does(raw: bytes) -> None:
    try:
        expected = typed(json.loads(raw))
    except ValueError as error:
        expected = type(error)
    try:
        got = typed(read_json(raw))
    except ValueError as error:
        got = type(error)
    assert got == expected


def test_json_reader_keeps_integers_past_64_bits() -> None:
    assert read_json(b'{"asm": {"group_id": 18446744073709551616}}') == {
        "asm": {"group_id": 18446744073709551616}
    }
