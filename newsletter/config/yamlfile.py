"""YAML loading with bounded work that remembers where each key was, so errors name the line.

Config and content files are YAML, and YAML lets a small file stand for a huge one: nine
levels of anchors and aliases (``&a [*b, *b, …]``) expand to billions of values. Before a
document is built, one pass over its parser events counts what it would expand to (an
alias costs what its anchor stands for) and refuses it at the first event that takes it
over ``MAX_NODES`` values or ``MAX_DEPTH`` levels; longer than ``MAX_YAML_CHARS`` it is not
parsed at all. A hostile file fails in milliseconds with a one-line error naming its line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    NodeEvent,
    ScalarEvent,
)
from yaml.resolver import Resolver

from newsletter.errors import NewsletterError
from newsletter.sealed import refuse_sealed

KeyPath = tuple[str | int, ...]
MAX_YAML_CHARS = 64_000
"""A newsletter.yaml is a few KB (a hundred feeds add about 15 KB). The cap bounds the
cost of a valid-looking file too: PyYAML builds each value in Python, so the time to load
grows with the file."""
MAX_NODES = 50_000
"""Values a document may stand for, aliases expanded."""
MAX_DEPTH = 64
# What YAML allows in a document (its "printable" set); anything else is named by line.
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))


class _Refused(Exception):
    """The document is refused before it is built: too big, too deep, or not printable."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _check_expansion(text: str) -> None:
    """Refuse ``text`` if its values, aliases expanded, pass MAX_NODES or nest deeper than
    MAX_DEPTH. Works on parser events, so nothing is built and an alias costs one step."""
    parser = yaml.CSafeLoader if _LIBYAML else yaml.SafeLoader
    anchors: dict[str, int] = {}  # anchor -> values it stands for
    open_: list[list[Any]] = []  # collections being read: [anchor, values so far]
    total = 0
    for event in yaml.parse(text, Loader=parser):
        if not isinstance(event, NodeEvent | CollectionEndEvent):
            continue  # stream and document boundaries
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, CollectionStartEvent):
            if len(open_) >= MAX_DEPTH:
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep", line)
            open_.append([event.anchor, 1])
            total += 1
            continue
        if isinstance(event, CollectionEndEvent):
            anchor, size = open_.pop()
            if anchor is not None:
                anchors[anchor] = size
        elif isinstance(event, AliasEvent):
            if event.anchor not in anchors:
                if any(anchor == event.anchor for anchor, _ in open_):
                    raise _Refused("an alias refers to the value it is part of", line)
                continue  # undefined: the composer names it
            size = anchors[event.anchor]
            total += size
        else:  # a scalar
            size = 1
            total += 1
            if isinstance(event, ScalarEvent) and event.anchor is not None:
                anchors[event.anchor] = 1
        if open_:
            open_[-1][1] += size
        if total > MAX_NODES:
            raise _Refused(
                f"stands for more than {MAX_NODES:,} values (an alias counts as every value "
                "it repeats); a newsletter's YAML needs far fewer",
                line,
            )


class _ConstructorWithLines(SafeConstructor):
    """SafeConstructor whose value errors (a 30 February, an integer of 5,000 digits) name
    the node's line instead of escaping as a bare ValueError."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError, TypeError) as exc:
            line = node.start_mark.line + 1 if node.start_mark else None
            reason = str(exc).split("; use sys.set_int_max_str_digits")[0]
            raise _Refused(f"not a valid value: {reason}", line) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # YAML says a key appears once; PyYAML would keep the last silently, so a second
        # `sender:` further down would quietly replace the first. Merge keys (<<) may be
        # overridden, as YAML intends.
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            if key_node.value in seen:
                line = key_node.start_mark.line + 1 if key_node.start_mark else None
                raise _Refused(f"key {key_node.value!r} appears twice in one mapping", line)
            seen.add(key_node.value)
        return super().construct_mapping(node, deep)


if _LIBYAML:
    from yaml._yaml import CParser

    class _Loader(CParser, _ConstructorWithLines, Resolver):
        """libyaml's parser and composer (fast), our constructor."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _ConstructorWithLines.__init__(self)
            Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml

    class _Loader(yaml.SafeLoader, _ConstructorWithLines):  # type: ignore[no-redef]
        pass


def dotted(path: KeyPath) -> str:
    """('feeds', 2, 'url') -> 'feeds[2].url'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _key_lines(node: yaml.Node, prefix: KeyPath, lines: dict[KeyPath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, key_node.value)
            lines[path] = key_node.start_mark.line + 1
            _key_lines(value_node, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = (*prefix, index)
            lines[path] = item.start_mark.line + 1
            _key_lines(item, path, lines)


def parse_yaml(
    text: str, path: str | Path, error: type[NewsletterError], *, line_offset: int = 0
) -> tuple[Any, dict[KeyPath, int]]:
    """Parse ``text``; return the data and a map from key path to 1-based line number.

    The empty path ``()`` maps to the document's first line. A syntax error, or a document
    refused for its size, depth or expansion, becomes ``error`` naming the file and line.
    """
    try:
        _check_printable(text)
        if len(text) > MAX_YAML_CHARS:
            cut = text.count("\n", 0, MAX_YAML_CHARS) + 1
            raise _Refused(f"longer than {MAX_YAML_CHARS:,} characters", cut)
        _check_expansion(text)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except _Refused as refused:
        where = refused.line + line_offset if refused.line else None
        raise error(refused.message, path=path, line=where) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = mark.line + 1 + line_offset if mark else None
        problem = exc.problem or str(exc)
        raise error(f"malformed YAML: {problem}", path=path, line=where) from None
    except yaml.YAMLError as exc:
        raise error(f"malformed YAML: {exc}", path=path, line=1 + line_offset) from None
    except RecursionError:  # a parser's own recursion, before our depth count sees it
        raise error("nested too deeply", path=path, line=1 + line_offset) from None
    lines: dict[KeyPath, int] = {(): 1}
    if node is not None:
        lines[()] = node.start_mark.line + 1
        _key_lines(node, (), lines)
    if line_offset:
        lines = {k: v + line_offset for k, v in lines.items()}
    return data, lines


def _check_printable(text: str) -> None:
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise _Refused(f"character U+{ord(bad.group()):04X} is not allowed in YAML", line)


def line_for(lines: dict[KeyPath, int], path: KeyPath) -> int | None:
    """The line of ``path``, or of its nearest ancestor that is in the file."""
    while True:
        if path in lines:
            return lines[path]
        if not path:
            return None
        path = path[:-1]


def read_text(path: Path, error: type[NewsletterError], *, max_bytes: int | None = None) -> str:
    """Read a UTF-8 file, turning OS and decoding errors into ``error`` naming the file.

    With ``max_bytes``, a longer file is refused without being read whole.
    """
    try:
        with path.open("rb") as handle:
            raw = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise error("file not found", path=path) from None
    except IsADirectoryError:
        raise error("is a folder, not a file", path=path) from None
    except OSError as exc:
        raise error(f"cannot read: {exc.strerror}", path=path) from None
    refuse_sealed(path, raw, error)
    if max_bytes is not None and len(raw) > max_bytes:
        raise error(f"larger than {max_bytes:,} bytes", path=path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise error(f"not UTF-8 text (byte {exc.start})", path=path, line=line) from None
