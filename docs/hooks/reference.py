"""An MkDocs hook that writes the reference pages' tables from the code, so they cannot drift.

A page asks for a table with a marker line, ``<!-- reference: NAME -->``:

    config        every key of newsletter.yaml, walked from the pydantic models: key, type,
                  default, and the description from the field's own docstring
    data-files    each CSV's columns (from the code's constants) with a sample's first rows
    placeholders  the per-recipient placeholders (newsletter.model.Placeholder)
    exit-codes    the command line's exit statuses (newsletter.cli.options)
    environment   every environment variable the package reads
    make-targets  the Makefile's targets, from their ``##`` comments

What the code names but cannot describe (a placeholder's meaning, a column's) is in
descriptions.yaml beside this file; the build fails when a name in the code is missing
there, or a name there is not in the code, and when a config key has no docstring.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

import newsletter
from newsletter.cli import options as cli_options
from newsletter.config.settings import Config
from newsletter.model import Placeholder

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PACKAGE = Path(newsletter.__file__).resolve().parent
MARKER = re.compile(r"^<!-- reference: ([a-z-]+) -->$", re.MULTILINE)
POINTS_PER_INCH = 72
VALIDATORS = {  # a validator's function name -> what the reference calls such a value
    "check_url": "URL",
    "check_image_src": "URL, or `images/NAME`",
    "check_project_path": "path inside the project",
    "check_segment": "segment",
    "_points": "length",
}
BASIC = {str: "text", int: "integer", float: "number", bool: "`true` or `false`"}
PATTERNS = {
    r"^#[0-9a-fA-F]{6}$": "`#rrggbb`",
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$": "an email address",
}
ENVIRONMENT_NAME = re.compile(r"^(NEWSLETTER|SENDGRID|SMTP)_[A-Z0-9_]+$")


class ReferenceError(Exception):
    """The code and the reference disagree; the message says where."""


def descriptions() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((HERE / "descriptions.yaml").read_text("utf-8"))
    return loaded


def same_names(what: str, in_code: set[str], described: set[str]) -> None:
    if in_code != described:
        raise ReferenceError(
            f"{what}: in the code without a description: {sorted(in_code - described)}; "
            f"described but not in the code: {sorted(described - in_code)} "
            "(docs/hooks/descriptions.yaml)"
        )


def cell(text: str) -> str:
    """One table cell: reST's ``code`` as Markdown's, on one line, pipes escaped."""
    return " ".join(text.replace("``", "`").split()).replace("|", "\\|")


# ---- the config ---------------------------------------------------------------------------


def field_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """The string under each field in the class bodies of ``model`` and its bases."""
    found: dict[str, str] = {}
    for klass in reversed(model.__mro__):
        if not (isinstance(klass, type) and issubclass(klass, BaseModel)) or klass is BaseModel:
            continue
        tree = ast.parse(inspect.cleandoc("\n" + inspect.getsource(klass)))
        body = tree.body[0].body  # type: ignore[attr-defined]
        for statement, following in itertools.pairwise(body):
            if (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            ):
                found[statement.target.id] = inspect.cleandoc(following.value.value)
    return found


def models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in get_args(annotation):
        yield from models_in(argument)


def constraint(item: Any, base: str) -> str | None:
    kind = type(item).__name__
    scale = POINTS_PER_INCH if base == "length" else 1
    unit = " in" if base == "length" else ""
    bounds = {"Gt": ">", "Ge": "≥", "Lt": "<", "Le": "≤"}
    if kind in bounds:
        value = getattr(item, kind.lower()) / scale
        return f"{bounds[kind]} {value:g}{unit}"
    if kind == "MinLen":
        return "not empty" if item.min_length == 1 else f"at least {item.min_length}"
    if kind == "MaxLen":
        return f"at most {item.max_length}"
    pattern = getattr(item, "pattern", None)
    if pattern:
        return PATTERNS.get(pattern, f"matching `{pattern}`")
    return None


def type_name(annotation: Any, metadata: list[Any] | None = None) -> str:
    """What a value of ``annotation`` looks like in YAML, in a few words."""
    metadata = list(metadata or ())
    if get_origin(annotation) is Annotated:
        base, *extra = get_args(annotation)
        return type_name(base, [*extra, *metadata])
    origin, arguments = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        named = [type_name(a, metadata) for a in arguments if a is not type(None)]
        return " or ".join(named) + (", or none" if type(None) in arguments else "")
    if origin is Literal:
        return "one of " + ", ".join(f"`{value}`" for value in arguments)
    if origin is tuple:
        return f"list of: {type_name(arguments[0])}" + suffix(metadata, "")
    if origin is dict:
        return f"mapping of {type_name(arguments[0])} to {type_name(arguments[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "mapping"
    functions = [getattr(getattr(m, "func", None), "__name__", "") for m in metadata]
    named = [VALIDATORS[f] for f in functions if f in VALIDATORS]
    base = named[0] if named else BASIC.get(annotation, getattr(annotation, "__name__", "?"))
    return base + suffix(metadata, base)


def suffix(metadata: list[Any], base: str) -> str:
    said = [c for c in (constraint(m, base) for m in metadata) if c]
    return f", {', '.join(said)}" if said else ""


def plain(value: Any) -> Any:
    """``value`` as YAML would hold it: models as mappings, tuples as lists."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    return value


def yaml_value(value: Any) -> str:
    shown = yaml.safe_dump(plain(value), default_flow_style=True, width=10_000, allow_unicode=True)
    return shown.strip().removesuffix("...").strip()


def default_text(info: FieldInfo, base: str) -> str:
    if info.is_required():
        return "**required**"
    value = info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]
    if value is None:
        return "none"
    if value is PydanticUndefined:
        return ""
    if isinstance(value, BaseModel):
        return "see below"
    if base.startswith("length") and isinstance(value, float):
        return f"`{value / POINTS_PER_INCH:g}` in"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    shown = yaml_value(value)
    return f"`{shown}`" if shown else '`""`'


def config_sections(model: type[BaseModel], key: str, about: str) -> Iterator[str]:
    """A table for ``model`` (at dotted ``key``), then one for each mapping inside it."""
    documented = field_docstrings(model)
    rows, nested, missing = [], [], []
    for name, info in model.model_fields.items():
        dotted = f"{key}.{name}" if key else name
        inner = list(dict.fromkeys(models_in(info.annotation)))
        text = documented.get(name) or (own_docstring(inner[0]) if inner else "")
        if not text:
            missing.append(dotted)
        listed = get_origin(info.annotation) is tuple
        for submodel in inner:
            shown = f"{dotted}[]" if listed else dotted
            nested.append((submodel, shown, documented.get(name) or ""))
        kind = type_name(info.annotation, info.metadata)
        if inner:
            kind = f"[{kind}](#{anchor(nested[-1][1])})"
        row = [f"`{dotted}`", kind, default_text(info, kind), cell(text)]
        rows.append("| " + " | ".join(row) + " |")
    if missing:
        raise ReferenceError(f"config keys without a docstring: {', '.join(missing)}")
    heading = f"`{key}`" if key else "The top level"
    yield f"### {heading} {{#{anchor(key or 'top-level')}}}\n"
    if about:
        yield cell(about) + "\n"
    yield "| key | type | default | description |\n| --- | --- | --- | --- |"
    yield "\n".join(rows) + "\n"
    for submodel, shown, _ in nested:
        yield from config_sections(submodel, shown, own_docstring(submodel))


def own_docstring(model: type[BaseModel]) -> str:
    """The class's own docstring, not one it inherits (``Strict``'s says nothing of it)."""
    text = model.__dict__.get("__doc__")
    return inspect.cleandoc(text) if isinstance(text, str) else ""


def anchor(key: str) -> str:
    return "key-" + re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


def config_reference() -> str:
    return "\n".join(config_sections(Config, "", ""))


# ---- names the code defines -----------------------------------------------------------------


def placeholders_reference() -> str:
    said = descriptions()["placeholders"]
    same_names("placeholders", {p.name for p in Placeholder}, set(said))
    rows = [f"| `{p.value}` | {cell(said[p.name])} |" for p in Placeholder]
    return "| placeholder | filled with |\n| --- | --- |\n" + "\n".join(rows) + "\n"


def exit_codes_reference() -> str:
    said = descriptions()["exit_codes"]
    codes = {"EXIT_OK": 0} | {
        name: value
        for name, value in vars(cli_options).items()
        if name.startswith("EXIT_") and isinstance(value, int)
    }
    same_names("exit codes", set(codes), set(said))
    by_code = sorted(codes.items(), key=lambda item: item[1])
    rows = [f"| {code} | {cell(said[name])} |" for name, code in by_code]
    return "| status | meaning |\n| --- | --- |\n" + "\n".join(rows) + "\n"


def environment_names() -> dict[str, list[str]]:
    """Each environment variable name the package's code holds -> the modules naming it."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and ENVIRONMENT_NAME.match(node.value)
            ):
                module = path.relative_to(PACKAGE.parent).with_suffix("").as_posix()
                found.setdefault(node.value, []).append(module.replace("/", "."))
    return found


def environment_reference() -> str:
    said = descriptions()["environment"]
    found = environment_names()
    same_names("environment variables", set(found), set(said))
    rows = []
    for name in sorted(found):
        modules = ", ".join(f"`{module}`" for module in sorted(set(found[name])))
        rows.append(f"| `{name}` | {cell(said[name])} | {modules} |")
    return "| variable | what | read by |\n| --- | --- | --- |\n" + "\n".join(rows) + "\n"


def constant(dotted: str) -> tuple[str, ...]:
    module, _, name = dotted.rpartition(".")
    value: tuple[str, ...] = getattr(importlib.import_module(module), name)
    return value


def data_files_reference() -> str:
    parts = []
    for entry in descriptions()["data_files"]:
        columns = constant(entry["columns"])
        same_names(entry["file"], set(columns), set(entry["column"]))
        rows = [f"| `{c}` | {cell(entry['column'][c])} |" for c in columns]
        parts += [
            f"### `{entry['file']}`\n",
            f"In {entry['where']}. {cell(entry['about'])} The columns, in the order the "
            f"tool writes them (`{entry['columns']}`):\n",
            "| column | what it holds |\n| --- | --- |\n" + "\n".join(rows) + "\n",
        ]
        sample = REPO / "subscribers" / entry["file"]
        if sample.is_file():
            head = sample.read_text("utf-8").splitlines()[:3]
            parts += [
                "The bundled sample's first rows:\n",
                "```text\n" + "\n".join(head) + "\n```\n",
            ]
    return "\n".join(parts)


def make_targets_reference() -> str:
    targets = re.findall(r"^([a-z-]+):.*## (.*)$", (REPO / "Makefile").read_text(), re.MULTILINE)
    rows = [f"| `make {name}` | {cell(text)} |" for name, text in targets]
    return "| target | what it does |\n| --- | --- |\n" + "\n".join(rows) + "\n"


GENERATORS = {
    "config": config_reference,
    "data-files": data_files_reference,
    "placeholders": placeholders_reference,
    "exit-codes": exit_codes_reference,
    "environment": environment_reference,
    "make-targets": make_targets_reference,
}


def expand(markdown: str) -> str:
    """``markdown`` with each reference marker replaced by its table."""

    def generated(match: re.Match[str]) -> str:
        name = match[1]
        if name not in GENERATORS:
            raise ReferenceError(f"unknown reference {name!r} (known: {', '.join(GENERATORS)})")
        return GENERATORS[name]()

    return MARKER.sub(generated, markdown)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """MkDocs hook: expand the markers of every page."""
    return expand(markdown)
