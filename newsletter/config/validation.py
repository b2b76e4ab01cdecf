"""Validate parsed YAML against a pydantic model, reporting every problem with file, line, key."""

from __future__ import annotations

import re
import string
import types
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails

from newsletter.characters import unfit_character
from newsletter.config.yamlfile import KeyPath, dotted, line_for
from newsletter.errors import NewsletterError, together
from newsletter.model import SEGMENTS

M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    """Base for every schema: unknown keys are errors, values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_yes_or_no_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic reads true as 1 and false as 0 for a number; in YAML they are a yes or
        # a no, never a count (``max_items: true`` is a typo or a misunderstanding).
        if isinstance(value, bool) and info.field_name is not None:
            wanted = _plain_types(cls.model_fields[info.field_name].annotation)
            if bool not in wanted and wanted & {int, float}:
                raise ValueError(f"expected a number, not {str(value).lower()}")
        return value


def _plain_types(annotation: Any) -> set[Any]:
    """The types an annotation allows, unions opened and ``Annotated`` metadata left out:
    ``Annotated[int, …] | None`` -> {int, NoneType}."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _plain_types(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return set().union(*(_plain_types(arg) for arg in get_args(annotation)))
    return {annotation}


def check_url(value: str) -> str:
    """An absolute http(s) URL, kept exactly as written."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValueError("not a URL")
    return value


def check_project_path(value: str) -> str:
    """A path relative to the config's folder that stays inside it: not absolute, and no
    ``..`` that climbs out. What the build reads from such paths may be published."""
    path = PurePosixPath(value)
    if path.is_absolute() or value.startswith("~") or "\\" in value or "\x00" in value:
        raise ValueError(f"must be a path inside the project, relative to the config: {value!r}")
    depth = 0
    for part in path.parts:
        depth += -1 if part == ".." else 1
        if depth < 0:
            raise ValueError(f"leads outside the project: {value!r}")
    return value


ProjectPath = Annotated[str, AfterValidator(check_project_path)]


def check_one_line(value: str) -> str:
    """A value that goes into an email header (a From name, a subject) as it is: no line
    break, which would end the header and start another, nor any other unfit character."""
    problem = unfit_character(value)
    if problem:
        raise ValueError(problem)
    return value


OneLine = Annotated[str, AfterValidator(check_one_line)]
"""Text that goes into an email header or the subject line."""


def placeholders(template: str) -> list[tuple[str, str, str]]:
    """Each ``{field:spec!conversion}`` of a ``str.format`` template as (field, spec,
    conversion); ValueError for a stray brace, saying how to write a literal one."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"{exc} (write {{{{ and }}}} for a literal brace)") from None
    return [(field, spec or "", conv or "") for _, field, spec, conv in parts if field is not None]


LOCAL_IMAGE = re.compile(r"^images/[A-Za-z0-9][A-Za-z0-9._-]*$")
NOT_AN_IMAGE = "not a URL, nor images/NAME for a file in content/images/"


def check_image_src(value: str) -> str:
    """An absolute http(s) URL, or ``images/NAME`` for a file in ``content/images/``
    (newsletter/images.py says what becomes of such a file)."""
    if LOCAL_IMAGE.match(value):
        return value
    try:
        return check_url(value)
    except ValueError:
        raise ValueError(NOT_AN_IMAGE) from None


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = error["msg"]
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    elif "input" in error and not isinstance(error["input"], dict | list):
        message = f"{message[0].lower()}{message[1:]} (got {_shown(error['input'])})"
    return message


SHOWN_CHARS = 60
"""Characters of a refused value an error shows: enough to find it, one line at most."""


def _shown(value: object) -> str:
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        return f"{value[:SHOWN_CHARS]!r}… ({len(value):,} characters)"
    return repr(value)


def validate(
    model: type[M],
    data: Any,
    *,
    path: str | Path,
    lines: dict[KeyPath, int],
    error: type[NewsletterError],
    context: dict[str, Any] | None = None,
) -> M:
    """Build ``model`` from ``data`` or raise every problem, each naming file, line and key."""
    if data is None:
        data = {}
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        problems: list[NewsletterError] = []
        for detail in exc.errors():
            loc: KeyPath = tuple(p for p in detail["loc"] if isinstance(p, str | int))
            problems.append(
                error(
                    _message(detail), path=path, line=line_for(lines, loc), key=dotted(loc) or None
                )
            )
        raise together(problems) from None


def check_segment(value: str) -> str:
    """One of the known segments; the message lists them, since a typo is the usual cause."""
    if value not in SEGMENTS:
        raise ValueError(f"unknown segment {value!r} (segments: {', '.join(SEGMENTS)})")
    return value


def check_segments(value: tuple[str, ...]) -> tuple[str, ...]:
    """Non-empty and without repeats; an empty list would show the content to nobody."""
    if not value:
        raise ValueError(f"list at least one segment ({', '.join(SEGMENTS)})")
    return tuple(dict.fromkeys(value))


SegmentName = Annotated[str, AfterValidator(check_segment)]
"""A segment's name as written in newsletter.yaml or content (:class:`newsletter.model.Segment`)."""
Segments = Annotated[tuple[SegmentName, ...], AfterValidator(check_segments)]
